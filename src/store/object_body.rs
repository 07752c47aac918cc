//! One object's bytes for a GET. A small file is read whole (one read, the
//! fast path); a large one (a contact with a photo) is held open and read a
//! chunk at a time while it is sent, so that many concurrent GETs of large
//! objects cost a chunk each in memory rather than a whole file each.
//!
//! The ETag sent with a streamed body must describe exactly the bytes sent.
//! The file is opened once and its stamp checked against the index, as
//! `Collection::read` does: a write by the server or a vdir tool replaces the
//! file by rename, so the open descriptor keeps the old bytes to the end. An
//! edit in place while the body is sent is caught by the stamp at the end and
//! ends the body with an error (the client sees a cut-off response, never a
//! wrong one under a valid ETag).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::objects::settle;
use super::registry::Collection;
use super::{bounded, confine, no_wait, Etag, FileStamp, Result, StoreError};

/// An object's bytes, whole or to be read in chunks.
pub enum ObjectBody {
    Bytes(Vec<u8>),
    Open(OpenObject),
}

/// What a GET sends besides the bytes: the ETag of exactly those bytes and
/// the stamp of the file they came from (its Last-Modified). Only these two
/// are taken from the index entry: cloning the whole entry would copy a
/// contact's search text on every GET.
#[derive(Debug, Clone, Copy)]
pub struct Served {
    pub etag: Etag,
    pub stamp: FileStamp,
}

/// An object file held open, whose stamp matched the index when opened.
pub struct OpenObject {
    file: File,
    stamp: FileStamp,
    len: u64,
    sent: u64,
}

impl Collection {
    /// Object `name` with its metadata, as `Collection::read` gives them, but
    /// held open instead of read when it is larger than `stream_above` bytes.
    /// The index is looked up once, under one lock.
    pub fn open_for_get(&self, name: &str, stream_above: u64) -> Result<(ObjectBody, Served)> {
        let whole = |coll: &Collection| {
            no_wait::check()?;
            coll.read(name).map(|(bytes, meta)| {
                let served = Served {
                    etag: meta.etag,
                    stamp: meta.stamp,
                };
                (ObjectBody::Bytes(bytes), served)
            })
        };
        if self.derived {
            return whole(self);
        }
        self.check_name(name).map_err(|_| StoreError::NotFound)?;
        let meta = self.served(name)?.ok_or(StoreError::NotFound)?;
        let opened = confine::open_object(&self.dir, name)?.ok_or(StoreError::NotFound)?;
        let stamp = FileStamp::of(&opened.md);
        let len = opened.md.len();
        let max = self.store.max_object_size();
        // Edited behind the index's back, or past the bound: `read` learns
        // the new version or refuses the file, as it does for every reader.
        if stamp != meta.stamp || len > max {
            return whole(self);
        }
        if len > stream_above {
            let file = opened.file;
            let open = OpenObject {
                file,
                stamp,
                len,
                sent: 0,
            };
            return Ok((ObjectBody::Open(open), meta));
        }
        if !no_wait::may_wait() {
            let mut bytes = Vec::new();
            if !super::reader::read_exactly(&opened.file, len as usize, &mut bytes) {
                return Err(no_wait::refuse());
            }
            return Ok((ObjectBody::Bytes(bytes), meta));
        }
        match bounded::read_all(opened.file, len, max) {
            Ok(bytes) => Ok((ObjectBody::Bytes(bytes), meta)),
            Err(bounded::ReadError::Io(e)) => Err(e.into()),
            Err(bounded::ReadError::TooLarge { .. }) => whole(self),
        }
    }
}

impl Collection {
    /// The ETag and stamp the index holds for `name`, as `meta` finds them
    /// (and waiting, as it does, until what they show is durable).
    fn served(&self, name: &str) -> Result<Option<Served>> {
        let (served, pending) = {
            let state = self.locked()?;
            let served = state.index.objects.get(name).map(|m| Served {
                etag: m.etag,
                stamp: m.stamp,
            });
            (served, state.log.pending())
        };
        settle(pending)?;
        Ok(served)
    }
}

impl OpenObject {
    /// The number of bytes the body has: the file's size when opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body has no bytes (never, for a file above a threshold).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The next at most `max` bytes; None after the last. Fails when the file
    /// was changed in place since it was opened (shorter, or a new stamp once
    /// all is read), so a changed file is never sent under the old ETag.
    pub fn next_chunk(&mut self, max: usize) -> io::Result<Option<Vec<u8>>> {
        let left = self.len - self.sent;
        if left == 0 {
            return Ok(None);
        }
        let mut buf = vec![0; left.min(max as u64) as usize];
        self.file.read_exact_at(&mut buf, self.sent)?;
        self.sent += buf.len() as u64;
        if self.sent == self.len && !FileStamp::of(&self.file.metadata()?).same_bytes(&self.stamp) {
            return Err(io::Error::other("object changed in place while being sent"));
        }
        Ok(Some(buf))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{Etag, Store};

    fn card(uid: &str, note_len: usize) -> String {
        let note = "x".repeat(note_len);
        format!(
            "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:{uid}\r\nNOTE:{note}\r\nEND:VCARD\r\n"
        )
    }

    fn book(cards: &[(&str, usize)]) -> (tempfile::TempDir, Arc<Store>, Collection) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), None).unwrap();
        store.ensure_home("u").unwrap();
        let book = store.create_addressbook("u", "b", &[]).unwrap();
        for (uid, len) in cards {
            let body = card(uid, *len);
            let info = crate::vcard::inspect(body.as_bytes()).unwrap();
            book.put(&format!("{uid}.vcf"), body.as_bytes(), info, |_| true)
                .unwrap();
        }
        (dir, store, book)
    }

    fn drain(open: &mut OpenObject, chunk: usize) -> io::Result<Vec<u8>> {
        let mut all = Vec::new();
        while let Some(c) = open.next_chunk(chunk)? {
            assert!(c.len() <= chunk);
            all.extend_from_slice(&c);
        }
        Ok(all)
    }

    /// Small files come whole, large ones open; both give the stored bytes
    /// under the ETag of those bytes, the large one in bounded chunks.
    #[test]
    fn small_objects_come_whole_and_large_ones_in_chunks() {
        let (d, _s, book) = book(&[("small", 100), ("large", 50_000)]);
        let dir = d.path().join("u/b");
        let (body, meta) = book.open_for_get("small.vcf", 1000).unwrap();
        let ObjectBody::Bytes(bytes) = body else {
            panic!("a small object is read whole")
        };
        assert_eq!(bytes, std::fs::read(dir.join("small.vcf")).unwrap());
        assert_eq!(meta.etag, Etag::of_bytes(&bytes));

        let (body, meta) = book.open_for_get("large.vcf", 1000).unwrap();
        let ObjectBody::Open(mut open) = body else {
            panic!("a large object is held open")
        };
        let want = std::fs::read(dir.join("large.vcf")).unwrap();
        assert_eq!(open.len(), want.len() as u64);
        assert_eq!(drain(&mut open, 4096).unwrap(), want);
        assert_eq!(meta.etag, Etag::of_bytes(&want));
        assert!(matches!(
            book.open_for_get("missing.vcf", 1000),
            Err(StoreError::NotFound)
        ));
        assert!(book.open_for_get("../b/large.vcf", 1000).is_err());
    }

    /// A file replaced by rename while sent keeps its old bytes (and ETag);
    /// one changed in place ends the body with an error.
    #[test]
    fn a_file_changed_while_sent_is_never_sent_under_the_old_etag() {
        let (d, _s, book) = book(&[("large", 50_000)]);
        let path = d.path().join("u/b/large.vcf");
        let old = std::fs::read(&path).unwrap();
        let (ObjectBody::Open(mut open), meta) = book.open_for_get("large.vcf", 1000).unwrap()
        else {
            panic!("a large object is held open")
        };
        let first = open.next_chunk(4096).unwrap().unwrap();
        let tmp = d.path().join("u/b/.new");
        std::fs::write(&tmp, card("large", 60_000)).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let rest = drain(&mut open, 4096).unwrap();
        assert_eq!([first, rest].concat(), old);
        assert_eq!(meta.etag, Etag::of_bytes(&old));

        // Now in place: the open file itself shrinks, or grows, under the
        // reader (caught by the short read, or by the stamp at the end).
        book.read("large.vcf").unwrap();
        for grow in [false, true] {
            let (ObjectBody::Open(mut open), _) = book.open_for_get("large.vcf", 1000).unwrap()
            else {
                panic!("a large object is held open")
            };
            open.next_chunk(4096).unwrap();
            let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.set_len(if grow { 70_000 } else { 100 }).unwrap();
            assert!(drain(&mut open, 4096).is_err());
            std::fs::write(&tmp, card("large", 60_000)).unwrap();
            std::fs::rename(&tmp, &path).unwrap();
            book.read("large.vcf").unwrap();
        }
    }
}
