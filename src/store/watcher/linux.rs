//! The watcher's OS side on Linux: inotify itself, through the `inotify`
//! crate, instead of notify's backend.
//!
//! notify 8 subscribes every watch to IN_OPEN, with no option to leave it
//! out, so every file the server opens in a watched collection (indexing at
//! start, GET, queries, export) queued a kernel event and woke two threads;
//! perf put 13-39% of the server's CPU there. The mask here asks only for
//! what can change what a collection holds: names appearing, going and
//! moving, and contents written. Opens, reads and closes after reading
//! (IN_OPEN, IN_ACCESS, IN_CLOSE_NOWRITE) and attribute changes (IN_ATTRIB,
//! which the batcher ignored anyway) are never queued.
//!
//! Events are translated into notify's event type, so the batching and
//! classification in `watcher.rs` are the same on every platform.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

use inotify::{EventMask, Inotify, WatchMask, Watches};
use notify::event::{CreateKind, DataChange, Flag, ModifyKind, RemoveKind, RenameMode};
use notify::{Event, EventKind};
use parking_lot::Mutex;

/// What a watch asks the kernel for. IN_MODIFY as well as IN_CLOSE_WRITE,
/// so a file that a process keeps open while writing is seen before it
/// closes (the batch window coalesces the two); the `*_SELF` events report a
/// watched directory that goes away or moves.
const MASK: WatchMask = WatchMask::CREATE
    .union(WatchMask::DELETE)
    .union(WatchMask::MODIFY)
    .union(WatchMask::CLOSE_WRITE)
    .union(WatchMask::MOVED_FROM)
    .union(WatchMask::MOVED_TO)
    .union(WatchMask::DELETE_SELF)
    .union(WatchMask::MOVE_SELF);

/// One read takes up to this many bytes of events (an event is 16 bytes
/// plus its name); more simply wait for the next read.
const READ_BUFFER: usize = 16 * 1024;

/// Watched directory of each watch descriptor, shared by the thread that
/// adds watches and the one that reads events.
type Paths = Arc<Mutex<HashMap<i32, PathBuf>>>;

/// An inotify instance with its reading thread; dropping it ends the thread,
/// which drops the event sender.
pub struct Backend {
    watches: Watches,
    paths: Paths,
    /// The reader's count of kernel events, which the tests check the mask by.
    #[cfg(test)]
    read: Arc<AtomicU64>,
    /// Dropping this hangs up the reader's end of the pair, which wakes
    /// the reading thread to end.
    _stop: UnixStream,
}

impl Backend {
    /// Starts an inotify instance whose events go to `tx`.
    pub fn start(tx: Sender<notify::Result<Event>>) -> notify::Result<Self> {
        let inotify = Inotify::init().map_err(notify::Error::io)?;
        let (stop, stopped) = UnixStream::pair().map_err(notify::Error::io)?;
        let paths = Paths::default();
        let watches = inotify.watches();
        let read = Arc::new(AtomicU64::new(0));
        let reader = Reader {
            inotify,
            stopped,
            paths: paths.clone(),
            read: read.clone(),
            tx,
        };
        std::thread::Builder::new()
            .name("davdir-inotify".into())
            .spawn(move || reader.run())
            .map_err(notify::Error::io)?;
        Ok(Backend {
            watches,
            paths,
            #[cfg(test)]
            read,
            _stop: stop,
        })
    }

    /// Watches `dir` (not its subdirectories). Watching a directory again
    /// (same inode, perhaps under a new name after a rename) keeps one watch
    /// and records the new name.
    pub fn watch(&mut self, dir: &Path) -> notify::Result<()> {
        // Held across the add, so no event of the new watch is read before
        // its directory is known.
        let mut paths = self.paths.lock();
        let wd = self.watches.add(dir, MASK).map_err(notify::Error::io)?;
        paths.insert(wd.get_watch_descriptor_id(), dir.to_path_buf());
        Ok(())
    }

    /// How many kernel events the reading thread has read.
    #[cfg(test)]
    pub fn events_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

/// The reading thread's side.
struct Reader {
    inotify: Inotify,
    stopped: UnixStream,
    paths: Paths,
    /// Kernel events read, before any is dropped (logged when it ends).
    read: Arc<AtomicU64>,
    tx: Sender<notify::Result<Event>>,
}

impl Reader {
    fn run(mut self) {
        let mut buffer = vec![0u8; READ_BUFFER];
        self.read_until_stopped(&mut buffer);
        let read = self.read.load(Ordering::Relaxed);
        tracing::debug!("file watcher stopped after {read} kernel events");
    }

    fn read_until_stopped(&mut self, buffer: &mut [u8]) {
        loop {
            match self.wait() {
                Ok(true) => {}
                Ok(false) => return, // the Backend was dropped
                Err(e) => return self.fail(e),
            }
            let events = match self.inotify.read_events(buffer) {
                Ok(events) => events,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) =>
                {
                    continue
                }
                Err(e) => return self.fail(e),
            };
            let translated: Vec<Event> = {
                let mut paths = self.paths.lock();
                events
                    .inspect(|_| {
                        self.read.fetch_add(1, Ordering::Relaxed);
                    })
                    .filter_map(|ev| {
                        translate(
                            &mut paths,
                            ev.wd.get_watch_descriptor_id(),
                            ev.mask,
                            ev.name,
                        )
                    })
                    .collect()
            };
            for ev in translated {
                if self.tx.send(Ok(ev)).is_err() {
                    return; // the batching thread is gone
                }
            }
        }
    }

    /// Reports an error the thread cannot go on after; the batching thread
    /// then sees the channel close and falls back to rescans.
    fn fail(&self, e: io::Error) {
        let _ = self.tx.send(Err(notify::Error::io(e)));
    }

    /// Blocks until events can be read (true) or the Backend is dropped
    /// (false).
    fn wait(&self) -> io::Result<bool> {
        let mut fds = [
            libc::pollfd {
                fd: self.inotify.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.stopped.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        loop {
            // SAFETY: `fds` is a valid array of two pollfd for the whole call,
            // and both descriptors stay open while `self` lives.
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
            if rc >= 0 {
                return Ok(fds[1].revents == 0);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

/// notify's form of one inotify event, if it is one the batcher uses.
/// A removed watch (IN_IGNORED) forgets its directory.
fn translate(
    paths: &mut HashMap<i32, PathBuf>,
    wd: i32,
    mask: EventMask,
    name: Option<&OsStr>,
) -> Option<Event> {
    if mask.contains(EventMask::Q_OVERFLOW) {
        return Some(Event::new(EventKind::Other).set_flag(Flag::Rescan));
    }
    if mask.contains(EventMask::IGNORED) {
        paths.remove(&wd);
        return None;
    }
    let dir = paths.get(&wd)?;
    let path = match name {
        Some(name) => dir.join(name),
        None => dir.clone(),
    };
    let is_dir = mask.contains(EventMask::ISDIR);
    let kind = if mask.contains(EventMask::CREATE) {
        EventKind::Create(if is_dir {
            CreateKind::Folder
        } else {
            CreateKind::File
        })
    } else if mask.contains(EventMask::DELETE) {
        EventKind::Remove(if is_dir {
            RemoveKind::Folder
        } else {
            RemoveKind::File
        })
    } else if mask.contains(EventMask::MOVED_FROM) {
        EventKind::Modify(ModifyKind::Name(RenameMode::From))
    } else if mask.contains(EventMask::MOVED_TO) {
        EventKind::Modify(ModifyKind::Name(RenameMode::To))
    } else if mask.intersects(EventMask::MODIFY | EventMask::CLOSE_WRITE) {
        EventKind::Modify(ModifyKind::Data(DataChange::Any))
    } else if mask.intersects(EventMask::DELETE_SELF | EventMask::MOVE_SELF) {
        // The watch stays on a moved directory; its parent's MOVED_TO makes
        // the batcher watch it again under its new name.
        EventKind::Remove(RemoveKind::Folder)
    } else {
        return None;
    };
    Some(Event::new(kind).add_path(path))
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
    use std::time::{Duration, Instant};

    use super::*;

    fn started(dir: &Path) -> (Backend, Receiver<notify::Result<Event>>) {
        let (tx, rx) = channel();
        let mut backend = Backend::start(tx).unwrap();
        backend.watch(dir).unwrap();
        (backend, rx)
    }

    fn next(rx: &Receiver<notify::Result<Event>>) -> Event {
        rx.recv_timeout(Duration::from_secs(5)).unwrap().unwrap()
    }

    /// The point of this backend: the server reading objects (and listing
    /// collections) gives the kernel nothing to queue, while a write does.
    #[test]
    fn reads_queue_no_events_and_writes_do() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.ics");
        std::fs::write(&file, "x").unwrap();
        let (backend, rx) = started(dir.path());
        for _ in 0..100 {
            assert_eq!(std::fs::read(&file).unwrap(), b"x");
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
        // A write after the reads: once it is seen, any read event queued
        // before it has been read too.
        std::fs::write(dir.path().join("b.ics"), "y").unwrap();
        let ev = next(&rx);
        assert_eq!(ev.kind, EventKind::Create(CreateKind::File));
        assert_eq!(ev.paths, [dir.path().join("b.ics")]);
        let until = Instant::now() + Duration::from_secs(5);
        // create, modify, close-write of b.ics, and nothing else.
        while backend.events_read() < 3 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(backend.events_read(), 3, "reads queued kernel events");
    }

    #[test]
    fn renames_and_removals_are_reported_under_current_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("old")).unwrap();
        let (mut backend, rx) = started(root);
        backend.watch(&root.join("old")).unwrap();
        std::fs::rename(root.join("old"), root.join("new")).unwrap();
        let from = next(&rx);
        assert_eq!(
            from.kind,
            EventKind::Modify(ModifyKind::Name(RenameMode::From))
        );
        assert_eq!(from.paths, [root.join("old")]);
        let to = next(&rx);
        assert_eq!(to.kind, EventKind::Modify(ModifyKind::Name(RenameMode::To)));
        assert_eq!(to.paths, [root.join("new")]);
        assert_eq!(next(&rx).kind, EventKind::Remove(RemoveKind::Folder)); // MOVE_SELF
                                                                           // Watched again under its new name (as the batcher does), events
                                                                           // inside carry that name.
        backend.watch(&root.join("new")).unwrap();
        std::fs::write(root.join("new/a.ics"), "x").unwrap();
        assert_eq!(next(&rx).paths, [root.join("new/a.ics")]);
        while rx.recv_timeout(Duration::from_millis(100)).is_ok() {}
        std::fs::remove_file(root.join("new/a.ics")).unwrap();
        let gone = next(&rx);
        assert_eq!(gone.kind, EventKind::Remove(RemoveKind::File));
        assert_eq!(gone.paths, [root.join("new/a.ics")]);
    }

    #[test]
    fn overflow_asks_for_a_rescan_and_ignored_forgets() {
        let mut paths = HashMap::from([(1, PathBuf::from("/d"))]);
        let ev = translate(&mut paths, -1, EventMask::Q_OVERFLOW, None).unwrap();
        assert!(ev.need_rescan());
        assert!(translate(&mut paths, 1, EventMask::IGNORED, None).is_none());
        assert!(paths.is_empty());
        let name = OsStr::new("a.ics");
        assert!(translate(&mut paths, 1, EventMask::CREATE, Some(name)).is_none());
    }

    #[test]
    fn dropping_the_backend_ends_its_thread() {
        let dir = tempfile::tempdir().unwrap();
        let (backend, rx) = started(dir.path());
        drop(backend);
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap_err(),
            RecvTimeoutError::Disconnected
        );
    }
}
