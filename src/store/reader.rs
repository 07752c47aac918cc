//! Reading many objects of one collection whose metadata the caller already
//! holds from a listing (a calendar-query's hits, an export).
//!
//! `Collection::read` pays for generality on every object: the collection
//! lock and a copy of the entry, an `lstat` of the directory for the
//! symlink rule, and a path walk for the open. Here the directory is opened
//! once (`O_NOFOLLOW`: a linked directory gets no fast path) and each object
//! is opened relative to it with `O_NOFOLLOW`, then checked against the
//! stamp the caller holds. Anything unexpected (a link, an edited or
//! vanished file, a file grown past the bound) falls back to
//! `Collection::read`, which knows how to treat it, so the answers are
//! those of `Collection::read`.

use std::fs::File;

use rustix::fs::{openat, Mode, OFlags};

use super::registry::Collection;
use super::{FileStamp, ObjectMeta, Result, StoreError};

/// A collection's directory held open for a run of reads.
pub struct Reader {
    coll: Collection,
    /// None when the directory is a link, derived, or could not be opened:
    /// every read then goes through `Collection::read`.
    dir: Option<File>,
}

/// Flags of every object open: never follow a final link (a link is left
/// to the symlink rule), never block on a FIFO, never adopt a terminal.
fn object_flags() -> OFlags {
    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
}

impl Collection {
    /// A reader for many of this collection's objects, e.g. the hits of a
    /// query; it holds one file descriptor while it lives.
    pub fn reader(&self) -> Reader {
        let dir = if self.derived {
            None
        } else {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            rustix::fs::open(&self.dir, flags, Mode::empty())
                .ok()
                .map(File::from)
        };
        Reader {
            coll: self.clone(),
            dir,
        }
    }
}

impl Reader {
    /// The collection read from.
    pub fn collection(&self) -> &Collection {
        &self.coll
    }

    /// The metadata of object `name`, its bytes put in `buf` (which a
    /// caller reading many reuses), for a caller that names it without
    /// holding its metadata (a multiget's href).
    pub fn read_named(&self, name: &str, buf: &mut Vec<u8>) -> Result<ObjectMeta> {
        let slow = |buf: &mut Vec<u8>| {
            super::no_wait::check()?;
            let (bytes, meta) = self.coll.read(name)?;
            *buf = bytes;
            Ok(meta)
        };
        if self.dir.is_none() {
            return slow(buf);
        }
        let meta = self.coll.meta(name)?.ok_or(StoreError::NotFound)?;
        // The index's copy is handed out as it is: a contact's holds its
        // search texts, so a second copy costs an allocation per card.
        if self.read_unchanged(name, &meta, buf) {
            Ok(meta)
        } else {
            slow(buf)
        }
    }

    /// The bytes of object `name` with their metadata, as
    /// `Collection::read` gives them, for a caller that holds `meta`, the
    /// object's indexed metadata (from a listing, which waited for what it
    /// saw to be durable).
    pub fn read(&self, name: &str, meta: &ObjectMeta) -> Result<(Vec<u8>, ObjectMeta)> {
        let mut bytes = Vec::new();
        if self.read_unchanged(name, meta, &mut bytes) {
            return Ok((bytes, meta.clone()));
        }
        super::no_wait::check()?;
        self.coll.read(name)
    }

    /// Whether `name`, a plain file in the directory still stamped
    /// `meta.stamp` and within the size bound, was read into `buf`.
    fn read_unchanged(&self, name: &str, meta: &ObjectMeta, buf: &mut Vec<u8>) -> bool {
        let Some(dir) = self.dir.as_ref() else {
            return false;
        };
        if self.coll.check_name(name).is_err() {
            return false;
        }
        let Ok(fd) = openat(dir, name, object_flags(), Mode::empty()) else {
            return false;
        };
        let file = File::from(fd);
        let unchanged = file
            .metadata()
            .is_ok_and(|md| md.is_file() && FileStamp::of(&md) == meta.stamp);
        unchanged
            && meta.stamp.size <= self.coll.store.max_object_size()
            && usize::try_from(meta.stamp.size).is_ok_and(|len| read_exactly(&file, len, buf))
    }
}

/// Whether the whole of `file` (from its start), which held `len` bytes
/// when it was stamped, was read into `buf` (replacing what it held; left
/// empty when not) with one read
/// (`read_to_end` makes a second call to see the end). One byte more is
/// asked for: a regular file's read comes back short only at its end, so
/// getting exactly `len` proves the file still ends there. A file that grew
/// or shrank since its `fstat`, or a short read of any other cause, gives
/// false, and the caller's fallback (`Collection::read`, which bounds the
/// size itself) decides. Where nothing may wait, only what the page cache
/// holds is read (no disk read is started).
pub(super) fn read_exactly(file: &File, len: usize, buf: &mut Vec<u8>) -> bool {
    let Some(want) = len.checked_add(1) else {
        return false;
    };
    buf.clear();
    buf.reserve(want);
    let spare = &mut buf.spare_capacity_mut()[..want];
    let got = if super::no_wait::may_wait() {
        rustix::io::pread(file, spare, 0)
            .ok()
            .map(|(init, _)| init.len())
    } else {
        super::no_wait::read_cached(file, spare).ok()
    };
    if got != Some(len) {
        return false;
    }
    // SAFETY: the read initialised the first `len` bytes of the spare capacity.
    unsafe { buf.set_len(len) };
    true
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::ical;
    use crate::store::{Store, StoreError};

    fn event(uid: &str, summary: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{summary}\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    }

    fn calendar() -> (tempfile::TempDir, Arc<Store>, crate::store::Collection) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), None).unwrap();
        store.ensure_home("u").unwrap();
        let cal = store.create_calendar("u", "c", &[]).unwrap();
        for (name, uid) in [("a.ics", "a"), ("b.ics", "b")] {
            let body = event(uid, "first");
            let info = ical::inspect(body.as_bytes()).unwrap();
            cal.put(name, body.as_bytes(), info, |_| true).unwrap();
        }
        (dir, store, cal)
    }

    /// Every case gives what `Collection::read` gives: unchanged files,
    /// a file edited behind the index's back, a link within the home (the
    /// slow path), a link outside it and a vanished file (refused).
    #[test]
    fn reads_agree_with_collection_read() {
        let (d, _store, cal) = calendar();
        let listed = cal.objects().unwrap();
        let dir = d.path().join("u/c");
        std::fs::write(dir.join("b.ics"), event("b", "edited by hand")).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("x.ics"), event("x", "outside")).unwrap();
        let reader = cal.reader();
        assert!(reader.dir.is_some());
        for (name, meta) in &listed {
            let (bytes, fresh) = reader.read(name, meta).unwrap();
            let (want, want_meta) = cal.read(name).unwrap();
            assert_eq!(
                (bytes, fresh.etag, fresh.stamp),
                (want, want_meta.etag, want_meta.stamp)
            );
        }
        let (edited, meta) = reader.read("b.ics", &listed[1].1).unwrap();
        assert!(String::from_utf8(edited)
            .unwrap()
            .contains("edited by hand"));
        assert_ne!(meta.etag, listed[1].1.etag);

        // a.ics becomes a link to a file within the home: read through it.
        std::fs::write(d.path().join("u/kept.ics"), event("a", "linked")).unwrap();
        std::fs::remove_file(dir.join("a.ics")).unwrap();
        std::os::unix::fs::symlink(d.path().join("u/kept.ics"), dir.join("a.ics")).unwrap();
        let (linked, _) = reader.read("a.ics", &listed[0].1).unwrap();
        assert!(String::from_utf8(linked).unwrap().contains("linked"));

        // ... and then to a file outside the home: refused.
        std::fs::remove_file(dir.join("a.ics")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("x.ics"), dir.join("a.ics")).unwrap();
        assert!(reader.read("a.ics", &listed[0].1).is_err());
        std::fs::remove_file(dir.join("b.ics")).unwrap();
        assert!(matches!(
            reader.read("b.ics", &listed[1].1),
            Err(StoreError::NotFound)
        ));
        assert!(reader.read("../c/b.ics", &listed[1].1).is_err());
    }

    /// One read gives the file when it still has the stamped size, and
    /// nothing when it has grown or shrunk since; alike where nothing may
    /// wait (the file, just written, is in the page cache).
    #[test]
    fn read_exactly_wants_the_stamped_size() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("x.vcf");
        let body = vec![b'x'; 70_000];
        std::fs::write(&path, &body).unwrap();
        let read = |len| {
            // A buffer that held something else: replaced, not appended to.
            let mut buf = b"old".to_vec();
            let file = std::fs::File::open(&path).unwrap();
            super::read_exactly(&file, len, &mut buf).then_some(buf)
        };
        assert_eq!(read(70_000).as_ref(), Some(&body));
        assert_eq!(read(69_999), None);
        assert_eq!(read(70_001), None);
        crate::store::no_wait::without_waiting(|| {
            if cfg!(target_os = "linux") {
                assert_eq!(read(70_000).as_ref(), Some(&body));
            }
            assert_eq!(read(69_999), None);
            assert_eq!(read(70_001), None);
        });
        std::fs::write(&path, b"").unwrap();
        assert_eq!(read(0), Some(Vec::new()));
    }
}
