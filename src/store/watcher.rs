//! Watches the data directory so edits made outside the server (an editor,
//! `git pull`, `cp -r`, khal/todoman) reach the index and change log without
//! a restart. Events are batched briefly, then each touched file is re-stated
//! and hashed only if it changed. A lost event (queue overflow) or a watcher
//! error falls back to full rescans; the watcher never stops silently.
//!
//! Only the directories that can hold calendar data are watched, each one
//! non-recursively: the data root, every home `<data>/<user>/` and every
//! calendar `<data>/<user>/<cal>/`. Hidden trees (`.git`, the cache with its
//! change logs, appended on every change) are never watched. A home or
//! calendar that appears later (mkdir, `cp -r`, `git checkout`, a rename) is
//! watched when its batch is handled, and then rescanned, since files may
//! have arrived before its watch did. A removed directory's watch goes away
//! by itself.
//!
//! The OS side is a `Backend` with one job, watching a directory: inotify
//! itself on Linux (`linux.rs`, which never asks for open or read events,
//! so the server's own reads cost the watcher nothing), notify elsewhere
//! (`portable.rs`). Both deliver notify's event type, so the batching and
//! `classify` here are written once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use notify::event::{ModifyKind, RenameMode};
use notify::{Event, EventKind};
use parking_lot::Mutex;

use super::Store;

#[cfg(target_os = "linux")]
mod linux;
mod mode;
mod poll;
#[cfg_attr(target_os = "linux", allow(dead_code))]
mod portable;

pub use mode::Mode;

#[cfg(target_os = "linux")]
use linux::Backend;
#[cfg(not(target_os = "linux"))]
use portable::Backend;

/// How long to wait for more relevant events before acting on a batch.
const BATCH_WINDOW: Duration = Duration::from_millis(30);
/// The longest a batch may wait, however busy the directory is.
const BATCH_LIMIT: Duration = Duration::from_millis(250);

/// Keeps the OS watches (or the polling thread) alive; dropping it stops
/// watching (the batching thread holds only a weak reference, and ends
/// when the watcher does).
pub struct WatchHandle {
    _watcher: Running,
}

/// What a `WatchHandle` keeps alive (held, never read).
enum Running {
    Notify { _backend: Arc<Mutex<Backend>> },
    Poll { _thread: poll::PollHandle },
}

/// What a batch of events asks the store to do.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Batch {
    /// (user, collection, file name) of files that may have changed.
    pub files: HashSet<(String, String, String)>,
    /// Collections whose directory or metadata changed.
    pub collections: HashSet<(String, String)>,
    /// Something was missed: rescan everything.
    pub rescan: bool,
    /// Paths at home or collection depth that were created or renamed into
    /// place: the watcher thread watches those that are directories.
    pub new_dirs: HashSet<PathBuf>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.files.is_empty()
            && self.collections.is_empty()
            && !self.rescan
            && self.new_dirs.is_empty()
    }

    /// A size that grows with every new observation (for the batch window).
    fn len(&self) -> usize {
        self.files.len() + self.collections.len() + usize::from(self.rescan) + self.new_dirs.len()
    }
}

/// Reads and attribute-only changes never change content (only backends
/// other than Linux's report them).
fn content_neutral(ev: &Event) -> bool {
    matches!(
        ev.kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
    ) && !ev.need_rescan()
}

/// Starts watching `store.root()` and applying changes in a thread.
pub fn spawn(store: Arc<Store>) -> notify::Result<WatchHandle> {
    let (tx, rx) = channel::<notify::Result<Event>>();
    let mut watcher = Backend::start(tx)?;
    watch_all(&mut watcher, store.root(), store.cache_dir())?;
    let watcher = Arc::new(Mutex::new(watcher));
    let weak = Arc::downgrade(&watcher);
    store.set_watched(true);
    std::thread::Builder::new()
        .name("davdir-watch".into())
        .spawn(move || run(store, rx, weak))
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    Ok(WatchHandle {
        _watcher: Running::Notify { _backend: watcher },
    })
}

fn run(store: Arc<Store>, rx: Receiver<notify::Result<Event>>, watcher: Weak<Mutex<Backend>>) {
    let root = store.root().to_path_buf();
    let cache = store.cache_dir().map(Path::to_path_buf);
    loop {
        let first = match rx.recv() {
            Ok(ev) => ev,
            Err(_) => {
                // The backend ended while its handle lives: events would
                // be lost from now on.
                if watcher.upgrade().is_some() {
                    tracing::warn!("file watcher stopped; falling back to rescans per request");
                    store.set_watched(false);
                }
                return;
            }
        };
        let mut batch = Batch::default();
        classify(&root, cache.as_deref(), first, &mut batch);
        if batch.is_empty() {
            continue; // reads and other events that change nothing
        }
        // Only relevant events extend the window (reads, including our own,
        // must not hold changes back), and never past BATCH_LIMIT.
        let started = Instant::now();
        let mut quiet_until = started + BATCH_WINDOW;
        loop {
            let now = Instant::now();
            let deadline = quiet_until.min(started + BATCH_LIMIT);
            if now >= deadline {
                break;
            }
            match rx.recv_timeout(deadline - now) {
                Ok(ev) => {
                    let before = batch.len();
                    classify(&root, cache.as_deref(), ev, &mut batch);
                    if batch.len() != before {
                        quiet_until = Instant::now() + BATCH_WINDOW;
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        if batch.rescan || !batch.new_dirs.is_empty() {
            let Some(watcher) = watcher.upgrade() else {
                return; // watcher dropped: server shutting down
            };
            // Bind the result so the lock is released before `watcher` drops.
            let watched = watch_new(&mut watcher.lock(), &root, cache.as_deref(), &mut batch);
            if let Err(e) = watched {
                // A calendar we cannot watch would go stale unnoticed.
                tracing::warn!(
                    "cannot watch a new directory: {e}; falling back to rescans per request"
                );
                store.set_watched(false);
                return;
            }
        }
        store.apply(batch);
    }
}

/// Watches the directories that appeared in `batch` (and, after lost events,
/// every home and calendar again), marking each calendar for a rescan.
fn watch_new(
    watcher: &mut Backend,
    root: &Path,
    cache: Option<&Path>,
    batch: &mut Batch,
) -> notify::Result<()> {
    if batch.rescan {
        // Directories made while events were lost have no watch yet; adding
        // one twice is harmless. Every calendar is rescanned anyway.
        batch.new_dirs.clear();
        return watch_all(watcher, root, cache);
    }
    for dir in std::mem::take(&mut batch.new_dirs) {
        // A file, gone again, or a link leaving its parent (never served,
        // so not watched either: `confine`).
        if !dir
            .parent()
            .is_some_and(|p| super::confine::collection_dir_ok(p, &dir))
        {
            continue;
        }
        let Ok(rel) = dir.strip_prefix(root) else {
            continue;
        };
        let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
        match parts.as_slice() {
            // A new home, perhaps already holding calendars (`cp -r`).
            [_user] => watch_home(watcher, &dir, cache, Some(&mut batch.collections))?,
            [user, cal] => {
                watch_dir(watcher, &dir)?;
                batch
                    .collections
                    .insert((user.to_string(), cal.to_string()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Watches the data root, every home and every calendar, each non-recursively.
fn watch_all(watcher: &mut Backend, root: &Path, cache: Option<&Path>) -> notify::Result<()> {
    watcher.watch(root)?;
    for (_, home) in visible_subdirs(root, cache) {
        watch_home(watcher, &home, cache, None)?;
    }
    Ok(())
}

/// Watches a home and the calendars in it; the calendars found are added
/// to `found`, when given, as (user, calendar).
fn watch_home(
    watcher: &mut Backend,
    home: &Path,
    cache: Option<&Path>,
    mut found: Option<&mut HashSet<(String, String)>>,
) -> notify::Result<()> {
    // The home first, so a calendar made meanwhile is either listed below
    // or reported by the home's watch.
    watch_dir(watcher, home)?;
    let user = home
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    for (name, cal) in visible_subdirs(home, cache) {
        watch_dir(watcher, &cal)?;
        if let Some(found) = found.as_deref_mut() {
            found.insert((user.to_string(), name));
        }
    }
    Ok(())
}

/// Adds a non-recursive watch; a directory already gone again is no error
/// (its removal reaches the batch as an event of its parent).
fn watch_dir(watcher: &mut Backend, dir: &Path) -> notify::Result<()> {
    match watcher.watch(dir) {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other,
    }
}

fn is_not_found(e: &notify::Error) -> bool {
    match &e.kind {
        notify::ErrorKind::PathNotFound => true,
        notify::ErrorKind::Io(io) => io.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

/// Visible subdirectories of `dir` that can be homes or calendars (names the
/// store accepts), as (name, path); never the cache, nor a link leading out
/// of `dir` (`confine`). Unreadable means none.
fn visible_subdirs(dir: &Path, cache: Option<&Path>) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            let path = entry.path();
            let wanted = super::names::check_segment(&name).is_ok()
                && !cache.is_some_and(|c| path.starts_with(c))
                && super::confine::collection_dir_ok(dir, &path);
            wanted.then_some((name, path))
        })
        .collect()
}

/// Sorts one event into the batch by where its paths lie.
pub fn classify(root: &Path, cache: Option<&Path>, ev: notify::Result<Event>, batch: &mut Batch) {
    let ev = match ev {
        Ok(ev) => ev,
        Err(e) => {
            tracing::warn!("file watcher error, rescanning: {e}");
            batch.rescan = true;
            return;
        }
    };
    if content_neutral(&ev) {
        return;
    }
    if ev.need_rescan() {
        tracing::warn!("file watcher lost events, rescanning");
        batch.rescan = true;
    }
    tracing::debug!("watch event {:?} {:?}", ev.kind, ev.paths);
    let dir_event = matches!(
        ev.kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Name(_))
            | EventKind::Any
            | EventKind::Other
    );
    // Paths that may be new directories, to watch (a symlink to one is
    // created as a file; the watcher thread stats each candidate).
    let appeared = match ev.kind {
        EventKind::Create(_) | EventKind::Any | EventKind::Other => true,
        EventKind::Modify(ModifyKind::Name(mode)) => mode != RenameMode::From,
        _ => false,
    };
    for path in &ev.paths {
        if cache.is_some_and(|c| path.starts_with(c)) {
            continue;
        }
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
        if parts.iter().any(|p| p.starts_with('.') && !is_settings(p)) {
            continue; // temp files, .git, the cache
        }
        match parts.as_slice() {
            [_user] if appeared => {
                batch.new_dirs.insert(path.clone());
            }
            [user, cal] if dir_event => {
                batch
                    .collections
                    .insert((user.to_string(), cal.to_string()));
                if appeared {
                    batch.new_dirs.insert(path.clone());
                }
            }
            [user, cal, file] if file.ends_with(".ics") || file.ends_with(".vcf") => {
                batch
                    .files
                    .insert((user.to_string(), cal.to_string(), file.to_string()));
            }
            [user, cal, meta] if is_metadata(meta) => {
                batch
                    .collections
                    .insert((user.to_string(), cal.to_string()));
            }
            _ => {}
        }
    }
}

fn is_settings(part: &str) -> bool {
    part == super::kind::CALENDAR_MARKER || part == super::kind::ADDRESSBOOK_MARKER
}

/// Files whose change is a change of collection properties.
fn is_metadata(name: &str) -> bool {
    super::collection_props::is_property_file(name)
}

/// Starts watching as `mode` says (none when `Off`), logging instead of
/// failing when the OS refuses (then every request rescans, which is
/// slower but still correct).
pub fn start_or_fall_back(
    store: &Arc<Store>,
    mode: Mode,
    poll_interval: Duration,
) -> Option<WatchHandle> {
    let started = match mode {
        Mode::Off => return None,
        Mode::Notify => spawn(store.clone()),
        Mode::Poll => poll::spawn(store.clone(), poll_interval)
            .map(|h| WatchHandle {
                _watcher: Running::Poll { _thread: h },
            })
            .map_err(notify::Error::io),
    };
    match started {
        Ok(h) => Some(h),
        Err(e) => {
            tracing::warn!(
                "cannot watch {}: {e}; falling back to rescans per request",
                store.root().display()
            );
            store.set_watched(false);
            None
        }
    }
}

/// Paths for tests: where a (user, calendar, file) lives.
pub fn object_path(root: &Path, user: &str, cal: &str, file: &str) -> PathBuf {
    root.join(user).join(cal).join(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, CreateKind};

    use super::super::{Collection, SyncChange, DEFAULT_CALENDAR};

    fn ev(paths: &[&Path]) -> notify::Result<Event> {
        let mut e = Event::new(EventKind::Create(CreateKind::File));
        for p in paths {
            e = e.add_path(p.to_path_buf());
        }
        Ok(e)
    }

    #[test]
    fn classifies_paths() {
        let root = Path::new("/data");
        let cache = root.join(".davdir-cache");
        let mut b = Batch::default();
        classify(
            root,
            Some(&cache),
            ev(&[&object_path(root, "u", "c", "a.ics")]),
            &mut b,
        );
        classify(
            root,
            Some(&cache),
            ev(&[&root.join("u/c/.a.ics.123.tmp")]),
            &mut b,
        );
        classify(root, Some(&cache), ev(&[&root.join("u/c/color")]), &mut b);
        classify(
            root,
            Some(&cache),
            ev(&[&root.join("u/c/.calendar.toml")]),
            &mut b,
        );
        classify(root, Some(&cache), ev(&[&root.join("u/new")]), &mut b);
        classify(root, Some(&cache), ev(&[&cache.join("u/c.log")]), &mut b);
        classify(root, Some(&cache), ev(&[&root.join(".git/index")]), &mut b);
        classify(
            root,
            Some(&cache),
            ev(&[&root.join("u/c/notes.txt")]),
            &mut b,
        );
        let read = Event::new(EventKind::Access(AccessKind::Any)).add_path(root.join("u/other"));
        classify(root, Some(&cache), Ok(read), &mut b);
        assert_eq!(b.files.len(), 1);
        assert_eq!(
            b.collections,
            [
                ("u".to_string(), "c".to_string()),
                ("u".to_string(), "new".to_string())
            ]
            .into_iter()
            .collect()
        );
        assert!(!b.rescan);
        assert_eq!(
            b.new_dirs,
            [root.join("u/new")].into_iter().collect(),
            "created paths at calendar depth are candidates to watch"
        );
    }

    #[test]
    fn links_leaving_their_home_are_not_watched() {
        let d = tempfile::tempdir().unwrap();
        let base = d.path().canonicalize().unwrap();
        let home = base.join("data/u");
        std::fs::create_dir_all(home.join("c")).unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::os::unix::fs::symlink(base.join("outside"), home.join("out")).unwrap();
        std::os::unix::fs::symlink(home.join("c"), home.join("alias")).unwrap();
        let mut names: Vec<String> = visible_subdirs(&home, None)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        names.sort();
        assert_eq!(names, ["alias", "c"]);
    }

    #[test]
    fn new_homes_and_calendars_are_candidates_to_watch() {
        let root = Path::new("/data");
        let mut b = Batch::default();
        let made = Event::new(EventKind::Create(CreateKind::Folder)).add_path(root.join("v"));
        classify(root, None, Ok(made), &mut b);
        let moved = Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::Both)))
            .add_path(root.join("u/old"))
            .add_path(root.join("u/renamed"));
        classify(root, None, Ok(moved), &mut b);
        let gone = Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::From)))
            .add_path(root.join("w"));
        classify(root, None, Ok(gone), &mut b);
        let hidden = Event::new(EventKind::Create(CreateKind::Folder)).add_path(root.join(".git"));
        classify(root, None, Ok(hidden), &mut b);
        let deep = Event::new(EventKind::Create(CreateKind::Folder)).add_path(root.join("u/c/d"));
        classify(root, None, Ok(deep), &mut b);
        let expected: HashSet<PathBuf> = ["v", "u/old", "u/renamed"]
            .iter()
            .map(|p| root.join(p))
            .collect();
        assert_eq!(b.new_dirs, expected);
        assert!(!b.is_empty());
    }

    fn event(uid: &str) -> String {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
             DTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    }

    /// Polls until `name` shows in the changes of `cal` since `token`.
    fn wait_for_change(cal: &Collection, token: &str, name: &str) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            let changes = cal.changes_since(token, None).unwrap().changes;
            let seen = changes.iter().any(|c| match c {
                SyncChange::Changed(n, _) => n == name,
                SyncChange::Removed(_) => false,
            });
            if seen {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn directories_made_after_start_are_watched() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), None).unwrap();
        store.ensure_home("u").unwrap();
        let _watch = spawn(store.clone()).unwrap();
        let root = store.root().to_path_buf();

        // Present at start: watched from the beginning.
        let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
        let token = cal.sync_token().unwrap();
        std::fs::write(cal.dir().join("a.ics"), event("a")).unwrap();
        assert!(wait_for_change(&cal, &token, "a.ics"));

        // A calendar made in a home, a home made with a calendar in it (as
        // `cp -r` does), and a calendar renamed into place.
        std::fs::create_dir(root.join("u/later")).unwrap();
        std::fs::create_dir_all(root.join("v/cal")).unwrap();
        std::fs::create_dir_all(root.join("elsewhere/moved")).unwrap();
        std::fs::rename(root.join("elsewhere/moved"), root.join("u/moved")).unwrap();
        // Let the watcher handle those directories before the calendars are
        // first used: the only way a file written below can then reach the
        // change log is an event from a watch on its new directory.
        std::thread::sleep(BATCH_LIMIT * 4);

        for (user, name) in [("u", "later"), ("v", "cal"), ("u", "moved")] {
            let cal = store.calendar(user, name).unwrap();
            let token = cal.sync_token().unwrap();
            assert!(cal.changes_since(&token, None).unwrap().changes.is_empty());
            std::fs::write(cal.dir().join("b.ics"), event(name)).unwrap();
            assert!(
                wait_for_change(&cal, &token, "b.ics"),
                "{user}/{name}: a file written after the directory appeared went unseen"
            );
        }
    }
}
