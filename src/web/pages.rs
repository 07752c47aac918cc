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
}

#[derive(Template)]
#[template(path = "home.html", config = "src/web/askama.toml")]
pub struct Home {
    pub l: Layout,
    pub collections: Vec<CollectionView>,
}
