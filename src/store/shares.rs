//! Sharing (docs/DESIGN.md "Sharing"): the `[share]` table of a
//! collection's settings file grants other users read or read-write access,
//! and each sharee sees the collection as a view in his own home, named
//! `<owner>--<collection>` (`view_name`).
//!
//! Why views are resolved here and not in the HTTP layer: a view is a
//! `Collection` handle whose user and name are the sharee's (so every href
//! comes out under his home) and whose directory and cell are the owner's
//! (so objects, ETags, the change log and its sync tokens are the owner's
//! own, one copy). Every write passes `Collection::refuse_if_derived`, which
//! also refuses what the share does not grant.
//!
//! Cost: the tables are read once (a scan of every home's collections) and
//! then re-read only for the collections the watcher reports changed; the
//! map from sharee to views is rebuilt from them on change. A lookup is a
//! map access. Without a watcher the whole scan is redone at most once per
//! `UNWATCHED_LAG`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::MutexGuard;

use super::groups::Groups;
use super::{confine, names, no_wait, CollectionKind, CollectionProps, Result, Store};

/// Whether a user name is an account, as the server's htpasswd file says.
pub type UserKnown = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// What a share grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    ReadWrite,
}

impl Access {
    /// The value in a `[share]` table.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::ReadWrite => "read-write",
        }
    }

    pub fn parse(text: &str) -> Option<Access> {
        match text {
            "read" => Some(Access::Read),
            "read-write" => Some(Access::ReadWrite),
            _ => None,
        }
    }
}

/// A collection as shared with one user.
#[derive(Debug, PartialEq, Eq)]
pub struct View {
    pub owner: String,
    pub collection: String,
    pub access: Access,
}

/// What starts a group's name in a `[share]` table (`"@family"`).
const GROUP_MARK: char = '@';

/// Between owner and collection in a view's name.
const SEPARATOR: &str = "--";

/// The most the tables may lag hand edits when no watcher reports them.
const UNWATCHED_LAG: Duration = Duration::from_secs(1);

/// Why `owner`'s `collection` cannot be seen as a view: its view name is
/// no name a home may hold (longer than a file name may be), so a share
/// would grant nothing; refused and reported rather than granted silently.
fn view_name_fits(owner: &str, collection: &str) -> std::result::Result<(), String> {
    let name = view_name(owner, collection);
    names::check_segment(&name).map_err(|_| {
        format!(
            "{owner}/{collection} cannot be shared: its name in a sharee's home, \
             {name:?}, would be {} bytes, over 255; rename it shorter",
            name.len()
        )
    })
}

/// The name of the view of `owner`'s `collection` in a sharee's home.
pub fn view_name(owner: &str, collection: &str) -> String {
    format!("{owner}{SEPARATOR}{collection}")
}

#[derive(Default)]
pub(super) struct Shares {
    /// When every table was last read; None: never.
    scanned: Option<Instant>,
    /// Collections whose settings may have changed since.
    dirty: HashSet<(String, String)>,
    /// Events were lost: read every table again.
    rescan: bool,
    /// The sound entries of each shared collection, by (owner, collection).
    tables: BTreeMap<(String, String), Vec<(String, Access)>>,
    /// By sharee, his views by name.
    views: BTreeMap<String, BTreeMap<String, Arc<View>>>,
    /// Problems already logged, so each is logged once.
    logged: HashSet<String>,
    /// The groups `"@group"` entries name.
    groups: Groups,
}

impl Shares {
    fn needs_refresh(&self, watched: bool) -> bool {
        match self.scanned {
            None => true,
            Some(at) => {
                self.rescan || !self.dirty.is_empty() || (!watched && at.elapsed() >= UNWATCHED_LAG)
            }
        }
    }

    /// The users an entry names: one user, or a group's members.
    fn users_of<'a>(&'a self, entry: &'a str) -> Vec<&'a str> {
        match entry.strip_prefix(GROUP_MARK) {
            Some(group) => self
                .groups
                .members(group)
                .unwrap_or_default()
                .iter()
                .map(String::as_str)
                .collect(),
            None => vec![entry],
        }
    }

    /// The map from sharee to views, from the tables. A user named himself
    /// gets what his entry says; one named only through groups gets the
    /// most any of them grants. The owner never gets a view of his own.
    fn rebuild_views(&mut self) {
        // (sharee, view name) → (view, whether named himself)
        let mut made: BTreeMap<(String, String), (View, bool)> = BTreeMap::new();
        for ((owner, collection), entries) in &self.tables {
            let name = view_name(owner, collection);
            for (entry, access) in entries {
                let named = !entry.starts_with(GROUP_MARK);
                for sharee in self.users_of(entry) {
                    if sharee == owner {
                        continue;
                    }
                    let view = View {
                        owner: owner.clone(),
                        collection: collection.clone(),
                        access: *access,
                    };
                    match made.entry((sharee.to_string(), name.clone())) {
                        std::collections::btree_map::Entry::Vacant(v) => {
                            v.insert((view, named));
                        }
                        std::collections::btree_map::Entry::Occupied(mut o) => {
                            let (old, old_named) = o.get();
                            // Another collection of the same view name: the first stays.
                            if old.owner != *owner || old.collection != *collection {
                                continue;
                            }
                            let wins = match (named, *old_named) {
                                (true, false) => true,
                                (false, true) => false,
                                _ => *access == Access::ReadWrite,
                            };
                            if wins {
                                o.insert((view, named));
                            }
                        }
                    }
                }
            }
        }
        self.views.clear();
        for ((sharee, name), (view, _)) in made {
            self.views
                .entry(sharee)
                .or_default()
                .insert(name, Arc::new(view));
        }
    }
}

impl Store {
    /// Tells the store which user names are accounts, so shares with
    /// others grant nothing (and are reported).
    pub fn set_user_check(&self, known: UserKnown) {
        *self.user_known.write() = Some(known);
        self.shares.lock().rescan = true;
    }

    /// Whether `user` is one of the server's users: an account when the
    /// accounts are known (`set_user_check`), else a user with a home.
    pub fn is_user(&self, user: &str) -> bool {
        if names::check_segment(user).is_err() {
            return false;
        }
        match self.user_known.read().as_ref() {
            Some(known) => known(user),
            None => self.home_exists(user),
        }
    }

    /// The groups file `"@group"` entries name (`groups` in the config).
    pub fn set_groups_file(&self, path: Option<std::path::PathBuf>) {
        let mut shares = self.shares.lock();
        shares.groups = Groups::new(path);
        shares.rescan = true;
    }

    /// What the groups file's last read skipped (`check`).
    pub fn groups_problems(&self) -> Vec<String> {
        let mut shares = self.shares.lock();
        shares.groups.refresh();
        shares.groups.problems.clone()
    }

    /// Notes that a collection's directory or settings changed (`apply`).
    pub(super) fn shares_touched(&self, user: &str, collection: &str) {
        self.shares
            .lock()
            .dirty
            .insert((user.to_string(), collection.to_string()));
    }

    /// Notes that watcher events were lost.
    pub(super) fn shares_lost(&self) {
        self.shares.lock().rescan = true;
    }

    /// The view named `name` in `sharee`'s home, if one is shared with him.
    pub fn view(&self, sharee: &str, name: &str) -> Result<Option<Arc<View>>> {
        let shares = self.fresh_shares()?;
        Ok(shares.views.get(sharee).and_then(|v| v.get(name)).cloned())
    }

    /// Every view shared with `sharee`, by name.
    pub fn views_of(&self, sharee: &str) -> Result<Vec<(String, Arc<View>)>> {
        let shares = self.fresh_shares()?;
        Ok(shares
            .views
            .get(sharee)
            .map(|v| v.iter().map(|(n, v)| (n.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    /// What a home lists: the user's own collections (`collection_names`),
    /// then the views shared with him, but no view named like one of his
    /// own (his directory wins).
    pub fn listed_collections(
        self: &Arc<Self>,
        user: &str,
    ) -> Result<Vec<(String, CollectionKind)>> {
        let mut out = self.collection_names(user)?;
        let own: HashSet<String> = out.iter().map(|(n, _)| n.clone()).collect();
        for (name, _) in self.views_of(user)? {
            if own.contains(&name) {
                continue;
            }
            if let Ok(c) = self.collection(user, &name) {
                out.push((name, c.kind()));
            }
        }
        Ok(out)
    }

    /// The users a collection is shared with who see it as a view, as the
    /// tables were last read: this runs where a change of the collection is
    /// announced, under its lock, so no settings file is read here.
    pub fn sharees_of(&self, owner: &str, collection: &str) -> Vec<String> {
        let key = (owner.to_string(), collection.to_string());
        let sharees: BTreeSet<String> = {
            let shares = self.shares.lock();
            let Some(entries) = shares.tables.get(&key) else {
                return Vec::new();
            };
            entries
                .iter()
                .flat_map(|(entry, _)| shares.users_of(entry))
                .filter(|u| *u != owner)
                .map(str::to_string)
                .collect()
        };
        let name = view_name(owner, collection);
        sharees
            .into_iter()
            // His own directory of the view's name hides the view.
            .filter(|u| self.root.join(u).join(&name).symlink_metadata().is_err())
            .collect()
    }

    /// Refuses a change of the collection named `name` in `user`'s home
    /// (create, delete, rename, copy onto, its properties) when that name is
    /// a view: only the owner changes a shared collection.
    pub fn refuse_view(&self, user: &str, name: &str) -> Result<()> {
        if self.collection_dir(user, name).is_ok() {
            return Ok(()); // his own directory of that name wins
        }
        match self.view(user, name)? {
            Some(v) => Err(super::StoreError::Shared(format!(
                "{}/{} is shared with you; only its owner may create, delete, \
                 rename or change it",
                v.owner, v.collection
            ))),
            None => Ok(()),
        }
    }

    /// Removes `sharee`'s entry from the table of the collection `view`
    /// shows; his view goes at once.
    pub(super) fn leave_share(&self, sharee: &str, view: &View) -> Result<()> {
        self.set_share(&view.owner, &view.collection, sharee, None)?;
        tracing::info!(
            "{sharee} left the share of {}/{}",
            view.owner,
            view.collection
        );
        Ok(())
    }

    /// Shares `owner`'s `collection` with `sharee` (`Some`), or ends the
    /// share (`None`), in its settings file.
    pub fn set_share(
        &self,
        owner: &str,
        collection: &str,
        sharee: &str,
        access: Option<Access>,
    ) -> Result<()> {
        self.set_shares(owner, collection, &[(sharee.to_string(), access)])
    }

    /// `set_share` for several sharees at once, in one write of the settings
    /// file; under the collection's lock, so no PROPPATCH of the owner
    /// rewrites the file meanwhile. Nothing is written if one is refused.
    pub fn set_shares(
        &self,
        owner: &str,
        collection: &str,
        changes: &[(String, Option<Access>)],
    ) -> Result<()> {
        for (sharee, access) in changes {
            names::check_segment(sharee)?;
            if access.is_some() && sharee == owner {
                return Err(super::StoreError::Shared(format!(
                    "{owner} owns {owner}/{collection}: a share with him grants nothing"
                )));
            }
        }
        if self.is_derived_name(collection) {
            return Err(super::StoreError::Derived(collection.to_string()));
        }
        if changes.iter().any(|(_, a)| a.is_some()) {
            view_name_fits(owner, collection).map_err(super::StoreError::Shared)?;
        }
        let dir = self.collection_dir(owner, collection)?;
        let cell = self.cell(owner, collection, &dir)?;
        let _writing = cell.state.lock();
        let kind = settings_kind(&dir);
        CollectionProps::set_shares(&dir, kind, changes, self.max_object_size())?;
        self.shares_touched(owner, collection);
        Ok(())
    }

    /// Who sees `owner`'s `collection` as a view, and with what access
    /// (groups expanded, as the views were built), by user name.
    pub fn shared_with(&self, owner: &str, collection: &str) -> Result<Vec<(String, Access)>> {
        let shares = self.fresh_shares()?;
        let name = view_name(owner, collection);
        Ok(shares
            .views
            .iter()
            .filter_map(|(sharee, views)| {
                let v = views.get(&name)?;
                (v.owner == owner && v.collection == collection).then(|| (sharee.clone(), v.access))
            })
            .collect())
    }

    /// Why a new share of `owner`'s with `sharee` (a user, or `"@group"`)
    /// would grant nothing, told before it is written (the web page); None
    /// when it would grant. The same rules as `table_of`, users as `is_user`.
    pub fn sharee_refused(&self, owner: &str, sharee: &str) -> Option<String> {
        if let Some(group) = sharee.strip_prefix(GROUP_MARK) {
            let mut shares = self.shares.lock();
            shares.groups.refresh();
            return if !shares.groups.configured() {
                Some(format!("{sharee}: no groups file is configured"))
            } else if shares.groups.members(group).is_none() {
                Some(format!("{sharee}: no such group"))
            } else {
                None
            };
        }
        if names::check_segment(sharee).is_err() {
            Some(format!("{sharee:?} is not a user name"))
        } else if sharee == owner {
            Some("you cannot share with yourself".to_string())
        } else if !self.is_user(sharee) {
            Some(format!("{sharee}: no such user"))
        } else {
            None
        }
    }

    /// Whether `"@group"` entries can grant (`groups` is in the config).
    pub fn groups_configured(&self) -> bool {
        self.shares.lock().groups.configured()
    }

    /// The share table, brought in line with the settings files first.
    fn fresh_shares(&self) -> Result<MutexGuard<'_, Shares>> {
        let watched = self.watched.load(Ordering::SeqCst);
        if !no_wait::may_wait() {
            let shares = self.shares.try_lock().ok_or_else(no_wait::refuse)?;
            if shares.needs_refresh(watched) {
                return Err(no_wait::refuse());
            }
            return Ok(shares);
        }
        let mut shares = self.shares.lock();
        if shares.groups.refresh() {
            // Whose entries grant what may have changed everywhere.
            shares.rescan = true;
            for problem in shares.groups.problems.clone() {
                if shares.logged.insert(problem.clone()) {
                    tracing::warn!("{problem}");
                }
            }
        }
        if !shares.needs_refresh(watched) {
            return Ok(shares);
        }
        let full = shares.scanned.is_none()
            || shares.rescan
            || (!watched && shares.scanned.is_some_and(|t| t.elapsed() >= UNWATCHED_LAG));
        let touched: Vec<(String, String)> = if full {
            shares.tables.clear();
            shares.scanned = Some(Instant::now());
            shares.rescan = false;
            shares.dirty.clear();
            let mut all = Vec::new();
            for user in self.user_names().unwrap_or_default() {
                let Ok(home) = self.home_dir(&user) else {
                    continue;
                };
                let names = super::registry::subdirectories(&home, confine::collection_dir_ok)
                    .unwrap_or_default();
                all.extend(names.into_iter().map(|n| (user.clone(), n)));
            }
            all
        } else {
            shares.dirty.drain().collect()
        };
        for (owner, collection) in touched {
            let (entries, problems) = self.table_of(&owner, &collection, &shares.groups);
            for problem in problems {
                if shares.logged.insert(problem.clone()) {
                    tracing::warn!("{problem}");
                }
            }
            let key = (owner, collection);
            if entries.is_empty() {
                shares.tables.remove(&key);
            } else {
                shares.tables.insert(key, entries);
            }
        }
        shares.rebuild_views();
        Ok(shares)
    }

    /// The sound entries of a collection's `[share]` table, and a line for
    /// each entry that grants nothing (for the log and `check`). A
    /// collection that is not there, or not servable, shares nothing.
    pub fn read_share_table(
        &self,
        owner: &str,
        collection: &str,
    ) -> (Vec<(String, Access)>, Vec<String>) {
        let mut shares = self.shares.lock();
        shares.groups.refresh();
        self.table_of(owner, collection, &shares.groups)
    }

    /// `read_share_table`, with the groups as read (under the shares lock).
    fn table_of(
        &self,
        owner: &str,
        collection: &str,
        groups: &Groups,
    ) -> (Vec<(String, Access)>, Vec<String>) {
        let (mut entries, mut problems) = (Vec::new(), Vec::new());
        if self.is_derived_name(collection) || names::check_segment(collection).is_err() {
            return (entries, problems);
        }
        let Ok(dir) = self.collection_dir(owner, collection) else {
            return (entries, problems);
        };
        let kind = settings_kind(&dir);
        let Ok(props) = CollectionProps::read_as(&dir, kind, self.max_object_size()) else {
            return (entries, problems); // reported as a settings file problem
        };
        let file = dir.join(kind.marker());
        if let Err(reason) = view_name_fits(owner, collection) {
            if !props.share_entries().is_empty() {
                problems.push(format!(
                    "{}: {reason}; its [share] grants nothing",
                    file.display()
                ));
            }
            return (entries, problems);
        }
        let known = self.user_known.read().clone();
        for (sharee, access) in props.share_entries() {
            let group = sharee.strip_prefix(GROUP_MARK);
            let refused = match &access {
                Err(reason) => Some(reason.clone()),
                Ok(_) if group.is_some() && !groups.configured() => Some(format!(
                    "share with {sharee:?}: no groups file is configured (`groups`)"
                )),
                Ok(_) if group.is_some_and(|g| groups.members(g).is_none()) => {
                    Some(format!("share with {sharee:?}: no such group"))
                }
                Ok(access) if group.is_some() => {
                    entries.push((sharee.clone(), *access));
                    None
                }
                Ok(_) if names::check_segment(&sharee).is_err() => {
                    Some(format!("share with {sharee:?}: not a user name"))
                }
                Ok(_) if sharee == owner => {
                    Some(format!("share with {sharee:?}: the owner needs no share"))
                }
                Ok(access) => {
                    // Kept: it grants nothing while nobody can log in under
                    // the name, and works once the account is made.
                    if known.as_ref().is_some_and(|k| !k(&sharee)) {
                        problems.push(format!(
                            "{}: share with {sharee:?}: no such user; grants nothing until the \
                             account exists",
                            file.display()
                        ));
                    }
                    entries.push((sharee, *access));
                    None
                }
            };
            if let Some(reason) = refused {
                problems.push(format!("{}: {reason}; grants nothing", file.display()));
            }
        }
        (entries, problems)
    }
}

impl super::Collection {
    /// The owner's (user, collection) of what this handle shows: a view's
    /// owner's collection, or its own.
    fn shared_source(&self) -> (&str, &str) {
        match &self.view {
            Some(v) => (&v.owner, &v.collection),
            None => (&self.user, &self.name),
        }
    }

    /// Who the collection this handle shows is shared with (`shared_with`);
    /// none for a derived one.
    pub fn sharees(&self) -> Result<Vec<(String, Access)>> {
        if self.derived {
            return Ok(Vec::new());
        }
        let (owner, collection) = self.shared_source();
        self.store.shared_with(owner, collection)
    }
}

/// Which settings file a collection directory keeps (an address book has
/// its marker; anything else reads as a calendar's).
fn settings_kind(dir: &std::path::Path) -> CollectionKind {
    if dir.join(CollectionKind::AddressBook.marker()).exists() {
        CollectionKind::AddressBook
    } else {
        CollectionKind::Calendar
    }
}
