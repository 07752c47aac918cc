//! The page templates (askama, in `templates/`, escaped by default) and the
//! plain data each one shows; handlers fill these, templates only lay out.

use askama::Template;

/// What every page's frame shows.
pub struct Layout {
    /// `<base>/.web`: where the page's links and forms go.
    pub prefix: String,
    pub title: String,
    /// The logged-in user; None on the login page.
    pub user: Option<String>,
    /// The session's CSRF token, put into every form.
    pub csrf: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html", config = "src/web/askama.toml")]
pub struct Login {
    pub l: Layout,
    pub username: String,
}

#[derive(Template)]
#[template(path = "message.html", config = "src/web/askama.toml")]
pub struct Message {
    pub l: Layout,
    pub message: String,
}

/// The step before a deletion: what will happen, a button that does it
/// (the same form again, with `confirm=yes`) and a way back.
#[derive(Template)]
#[template(path = "confirm.html", config = "src/web/askama.toml")]
pub struct Confirm {
    pub l: Layout,
    pub question: String,
    pub action: String,
    pub button: &'static str,
    pub cancel: String,
}

/// One calendar or address book as the page shows it.
pub struct CollectionView {
    /// The directory name, the id in URLs and forms.
    pub id: String,
    /// `id` percent-encoded for a URL path.
    pub path: String,
    pub name: String,
    pub kind_label: &'static str,
    pub dav_label: &'static str,
    pub count: usize,
    pub count_label: &'static str,
    pub description: Option<String>,
    /// `#RRGGBB`; a neutral grey when none is set.
    pub swatch: String,
    pub dav_url: String,
    pub webcal_url: Option<String>,
    /// False for derived collections (the birthday calendar).
    pub editable: bool,
    /// Whom it is shared with (none for derived ones).
    pub shares: Vec<ShareView>,
}

/// One entry of a collection's `[share]` table.
pub struct ShareView {
    /// A user, or `@group`.
    pub sharee: String,
    pub access_label: &'static str,
}

/// A collection another user shares with the logged-in one.
pub struct SharedView {
    /// The view's name in his home, the id in URLs and forms.
    pub id: String,
    /// `id` percent-encoded for a URL path.
    pub path: String,
    pub name: String,
    pub owner: String,
    pub access_label: &'static str,
    pub kind_label: &'static str,
    pub dav_label: &'static str,
    pub dav_url: String,
}

#[derive(Template)]
#[template(path = "home.html", config = "src/web/askama.toml")]
pub struct Home {
    pub l: Layout,
    pub collections: Vec<CollectionView>,
    /// What others share with the user.
    pub shared: Vec<SharedView>,
    /// Whether `@group` sharees can be named (a groups file is configured).
    pub groups: bool,
}

#[derive(Template)]
#[template(path = "import.html", config = "src/web/askama.toml")]
pub struct ImportResult {
    pub l: Layout,
    pub collection: String,
    pub collection_created: bool,
    pub kind_label: &'static str,
    pub created: usize,
    pub unchanged: usize,
    /// (item, reason) for each skipped component or card.
    pub skipped: Vec<(String, String)>,
}

/// An import job still running; the page refreshes itself (no script).
#[derive(Template)]
#[template(path = "import_running.html", config = "src/web/askama.toml")]
pub struct ImportRunning {
    pub l: Layout,
    pub done: usize,
    /// Items in the file; 0 while it is still being read.
    pub total: usize,
}

/// One trashed collection as the page shows it.
pub struct TrashView {
    pub path: String,
    pub name: String,
    pub kind_label: &'static str,
    pub deleted_at: String,
    pub objects: usize,
}

#[derive(Template)]
#[template(path = "trash.html", config = "src/web/askama.toml")]
pub struct Trash {
    pub l: Layout,
    pub days: u32,
    pub entries: Vec<TrashView>,
}

/// One app password as the page shows it (never the secret).
pub struct AppPasswordView {
    pub label: String,
    /// `label` percent-encoded for a URL path.
    pub path: String,
    pub created: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "devices.html", config = "src/web/askama.toml")]
pub struct Devices {
    pub l: Layout,
    pub passwords: Vec<AppPasswordView>,
    /// (label, secret) of the app password just made: shown once.
    pub new_secret: Option<(String, String)>,
    /// What DAVx5 and other apps are given as the server's URL.
    pub server_url: String,
    pub user: String,
}

#[derive(Template)]
#[template(path = "account.html", config = "src/web/askama.toml")]
pub struct Account {
    pub l: Layout,
    /// `mailto:<user>@<email_domain>`, when a domain is configured.
    pub server_address: Option<String>,
    /// The user's own calendar-user addresses, bare.
    pub own: Vec<String>,
    /// How many he may have.
    pub max: usize,
}

/// A time as the page shows it.
pub fn when(t: impl Into<chrono::DateTime<chrono::Utc>>) -> String {
    t.into().format("%Y-%m-%d %H:%M UTC").to_string()
}
