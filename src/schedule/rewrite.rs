//! The server's own rewrites of a user's object (the organizer's copy when
//! a reply comes, an attendee's copy when a request comes) race with that
//! user's clients: an edit stored between our read and our write must not
//! be lost. So the write is conditional on the ETag that was read, and on a
//! mismatch the object is read again and the change applied again, a few
//! times, before giving up.

use crate::store::{Collection, StoreError};

/// Attempts before a rewrite gives up (each lost only to a concurrent write).
pub const TRIES: usize = 5;

/// An object as read: its text and ETag.
pub type Seen = (String, String);

/// The object `name` of `cal` now (None when absent).
pub fn read(cal: &Collection, name: &str) -> Result<Option<Seen>, StoreError> {
    match cal.read(name) {
        Ok((bytes, meta)) => Ok(Some((
            String::from_utf8(bytes).unwrap_or_default(),
            meta.etag.to_string(),
        ))),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `apply` of the object as `seen` (None: absent), only if it is
/// still that version; else reads it again and re-applies. `apply`
/// answering None means nothing to write (false). An error after
/// [`TRIES`] lost races.
pub fn rewrite(
    cal: &Collection,
    name: &str,
    mut seen: Option<Seen>,
    apply: impl Fn(Option<&str>) -> Option<String>,
) -> Result<bool, StoreError> {
    for _ in 0..TRIES {
        let Some(new) = apply(seen.as_ref().map(|(t, _)| t.as_str())) else {
            return Ok(false);
        };
        let info = crate::ical::inspect(new.as_bytes())
            .map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
        let expected = seen.as_ref().map(|(_, e)| e.as_str());
        match cal.put(name, new.as_bytes(), info, |current| current == expected) {
            Ok(_) => return Ok(true),
            Err(StoreError::PreconditionFailed) => seen = read(cal, name)?,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Io(std::io::Error::other(format!(
        "{name} changed under each of {TRIES} rewrites; left as it is"
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn event(uid: &str, summary: &str) -> String {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
             DTSTART:20260101T100000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    }

    fn put(cal: &Collection, body: &str) {
        let info = crate::ical::inspect(body.as_bytes()).unwrap();
        cal.put("e.ics", body.as_bytes(), info, |_| true).unwrap();
    }

    /// The change is applied to the version stored after the stale read,
    /// so the edit made in between is kept.
    #[test]
    fn stale_read_is_read_again_and_reapplied() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), None).unwrap();
        store.ensure_home("u").unwrap();
        let cal = store.calendar("u", crate::store::DEFAULT_CALENDAR).unwrap();
        put(&cal, &event("x", "first"));
        let stale = read(&cal, "e.ics").unwrap();
        put(&cal, &event("x", "edited"));
        let wrote = rewrite(&cal, "e.ics", stale, |t| {
            Some(t?.replace("END:VEVENT", "LOCATION:room\r\nEND:VEVENT"))
        })
        .unwrap();
        assert!(wrote);
        let (now, _) = read(&cal, "e.ics").unwrap().unwrap();
        assert!(now.contains("SUMMARY:edited"), "the edit is kept: {now}");
        assert!(
            now.contains("LOCATION:room"),
            "the change is applied: {now}"
        );
    }

    /// An object made where none was read is not written over one that
    /// appeared meanwhile without looking at it.
    #[test]
    fn absent_when_read_but_present_now_is_reapplied() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), None).unwrap();
        store.ensure_home("u").unwrap();
        let cal = store.calendar("u", crate::store::DEFAULT_CALENDAR).unwrap();
        put(&cal, &event("x", "theirs"));
        let wrote = rewrite(&cal, "e.ics", None, |t| match t {
            None => Some(event("x", "made")),
            Some(_) => None,
        })
        .unwrap();
        assert!(!wrote, "what is there now was seen, and left");
        let (now, _) = read(&cal, "e.ics").unwrap().unwrap();
        assert!(now.contains("SUMMARY:theirs"));
    }
}
