//! Watches the data directory so edits made outside the server (an editor,
//! `git pull`, `cp -r`, khal/todoman) reach the index and change log without
//! a restart. Events are batched briefly, then each touched file is re-stated
//! and hashed only if it changed. A lost event (queue overflow) or a watcher
//! error falls back to full rescans; the watcher never stops silently.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::event::ModifyKind;
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::Store;

/// How long to wait for more relevant events before acting on a batch.
const BATCH_WINDOW: Duration = Duration::from_millis(30);
/// The longest a batch may wait, however busy the directory is.
const BATCH_LIMIT: Duration = Duration::from_millis(250);

/// Keeps the OS watch alive; dropping it stops watching.
pub struct WatchHandle {
    _watcher: RecommendedWatcher,
}

/// What a batch of events asks the store to do.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Batch {
    /// (user, calendar, file name) of files that may have changed.
    pub files: HashSet<(String, String, String)>,
    /// Calendars whose directory or metadata changed.
    pub calendars: HashSet<(String, String)>,
    /// Something was missed: rescan everything.
    pub rescan: bool,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.files.is_empty() && self.calendars.is_empty() && !self.rescan
    }

    /// A size that grows with every new observation (for the batch window).
    fn len(&self) -> usize {
        self.files.len() + self.calendars.len() + usize::from(self.rescan)
    }
}

/// Starts watching `store.root()` and applying changes in a thread.
pub fn spawn(store: Arc<Store>) -> notify::Result<WatchHandle> {
    let (tx, rx) = channel::<notify::Result<Event>>();
    let mut watcher = notify::recommended_watcher(move |ev| {
        let _ = tx.send(ev);
    })?;
    watcher.watch(store.root(), RecursiveMode::Recursive)?;
    store.set_watched(true);
    std::thread::Builder::new()
        .name("caldir-watch".into())
        .spawn(move || run(store, rx))
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    Ok(WatchHandle { _watcher: watcher })
}

fn run(store: Arc<Store>, rx: Receiver<notify::Result<Event>>) {
    let root = store.root().to_path_buf();
    let cache = store.cache_dir().map(Path::to_path_buf);
    loop {
        let first = match rx.recv() {
            Ok(ev) => ev,
            Err(_) => return, // watcher dropped: server shutting down
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
        store.apply(batch);
    }
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
    if ev.need_rescan() {
        tracing::warn!("file watcher lost events, rescanning");
        batch.rescan = true;
    }
    tracing::debug!("watch event {:?} {:?}", ev.kind, ev.paths);
    // Reads (including our own) and attribute-only changes never change content.
    if matches!(
        ev.kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
    ) {
        return;
    }
    let dir_event = matches!(
        ev.kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Name(_))
            | EventKind::Any
            | EventKind::Other
    );
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
            [user, cal] if dir_event => {
                batch.calendars.insert((user.to_string(), cal.to_string()));
            }
            [user, cal, file] if file.ends_with(".ics") => {
                batch
                    .files
                    .insert((user.to_string(), cal.to_string(), file.to_string()));
            }
            [user, cal, meta] if is_metadata(meta) => {
                batch.calendars.insert((user.to_string(), cal.to_string()));
            }
            _ => {}
        }
    }
}

fn is_settings(part: &str) -> bool {
    part == super::collection_props::SETTINGS_FILE
}

/// Files whose change is a change of collection properties.
fn is_metadata(name: &str) -> bool {
    use super::collection_props::{COLOR_FILE, DESCRIPTION_FILE, DISPLAYNAME_FILE, SETTINGS_FILE};
    [
        DISPLAYNAME_FILE,
        DESCRIPTION_FILE,
        COLOR_FILE,
        SETTINGS_FILE,
    ]
    .contains(&name)
}

/// Starts the watcher, logging instead of failing when the OS refuses
/// (then every request rescans, which is slower but still correct).
pub fn start_or_fall_back(store: &Arc<Store>) -> Option<WatchHandle> {
    match spawn(store.clone()) {
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
        let cache = root.join(".caldir-cache");
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
            b.calendars,
            [
                ("u".to_string(), "c".to_string()),
                ("u".to_string(), "new".to_string())
            ]
            .into_iter()
            .collect()
        );
        assert!(!b.rescan);
    }
}
