//! A user's scheduling inbox (RFC 6638 §2.2) on disk: `<home>/.inbox/`, a
//! directory of plain `.ics` files, one iTIP message each. It is a dot
//! directory so that vdir tools globbing the home never take it for a
//! calendar, and the store (which skips dot names) never serves or watches
//! it as one. It has no index and no change log: inboxes are small (a
//! client deletes what it has processed), so every request lists and reads
//! the directory as it is, and a hand edit is seen at the next request.
//! Files are read without following links, as the store reads objects.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::store::{durable, names, Etag, Result};

/// Most messages an inbox holds: past it, new messages are not stored (and
/// logged by the sender; the calendar copy still lands), so no other user
/// can grow an inbox, and the cost of its every listing, without bound.
/// Nothing in it is ever dropped.
pub const MAX_MESSAGES: usize = 1000;

/// The inbox directory's name in a home.
pub const INBOX_DIR: &str = ".inbox";

/// The outbox's URL name in a home: it has no directory, but no collection
/// may take the name either (collection names never start with `.`).
pub const OUTBOX: &str = ".outbox";

/// One user's inbox.
pub struct Inbox {
    dir: PathBuf,
}

/// One message of an inbox.
pub struct Item {
    /// The file name, which is also its URL name.
    pub name: String,
    pub etag: Etag,
    pub bytes: Vec<u8>,
}

impl Inbox {
    /// The inbox of the user whose home is `home`.
    pub fn in_home(home: &Path) -> Inbox {
        Inbox {
            dir: home.join(INBOX_DIR),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The messages, sorted by name; files over `max` bytes, links and
    /// names that are no object names are left out.
    pub fn items(&self, max: u64) -> Result<Vec<Item>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for entry in entries {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Ok(Some(item)) = self.read(name, max) {
                out.push(item);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// One message by name; None when there is none (or it is no regular
    /// file, or larger than `max`).
    pub fn read(&self, name: &str, max: u64) -> Result<Option<Item>> {
        if names::check_object_name(name).is_err() || name.starts_with('.') {
            return Ok(None);
        }
        let file = match fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(self.dir.join(name))
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let md = file.metadata()?;
        if !md.is_file() || md.len() > max {
            return Ok(None);
        }
        let mut bytes = Vec::with_capacity(md.len() as usize);
        file.take(max + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max {
            return Ok(None);
        }
        Ok(Some(Item {
            name: name.to_string(),
            etag: Etag::of_bytes(&bytes),
            bytes,
        }))
    }

    /// Stores a message durably under a new name; its name.
    pub fn deliver(&self, bytes: &[u8]) -> Result<String> {
        if !self.dir.is_dir() {
            match durable::create_dir(&self.dir) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e.into()),
                _ => {}
            }
        }
        if self.is_full()? {
            return Err(io::Error::other(format!(
                "{} holds {MAX_MESSAGES} messages, the most it takes; \
                 no message stored there until some are deleted",
                self.dir.display()
            ))
            .into());
        }
        let name = format!("{}.ics", uuid::Uuid::new_v4());
        durable::write_file(&self.dir, &name, bytes)?;
        Ok(name)
    }

    /// Whether it holds [`MAX_MESSAGES`], so that new messages are refused
    /// (the calendar copy still lands: `Scheduler::deliver_local`).
    fn is_full(&self) -> Result<bool> {
        match fs::read_dir(&self.dir) {
            Ok(entries) => Ok(entries.count() >= MAX_MESSAGES),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a message; false when there was none.
    pub fn remove(&self, name: &str) -> Result<bool> {
        if names::check_object_name(name).is_err() || name.starts_with('.') {
            return Ok(false);
        }
        match fs::symlink_metadata(self.dir.join(name)) {
            Ok(md) if md.is_file() => {
                durable::remove_file(&self.dir, name)?;
                Ok(true)
            }
            Ok(_) => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliver_list_read_remove() {
        let tmp = tempfile::tempdir().unwrap();
        let inbox = Inbox::in_home(tmp.path());
        assert!(inbox.items(1000).unwrap().is_empty());
        let a = inbox
            .deliver(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
            .unwrap();
        let b = inbox.deliver(&[b'x'; 2000]).unwrap();
        let items = inbox.items(1000).unwrap();
        assert_eq!(items.len(), 1, "the oversized one is left out");
        assert_eq!(items[0].name, a);
        assert!(inbox.read("../x.ics", 1000).unwrap().is_none());
        std::os::unix::fs::symlink(
            tmp.path().join(".inbox").join(&a),
            inbox.dir().join("l.ics"),
        )
        .unwrap();
        assert!(
            inbox.read("l.ics", 1000).unwrap().is_none(),
            "links are not followed"
        );
        assert!(inbox.remove(&a).unwrap());
        assert!(!inbox.remove(&a).unwrap());
        assert!(inbox.remove(&b).unwrap());
    }
}
