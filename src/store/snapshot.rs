//! The index of a calendar saved in the cache directory, so a restart only
//! re-reads files whose size, mtime or inode moved while the server was down,
//! and reports exactly those as changes to tokens issued before the restart.
//! Written and read line by line: at 100k objects it is ~12 MB.

use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

use crate::ical::{Exact, Periodic, Span};

use super::durable::TempFile;
use super::etag::Etag;
use super::index::{FileStamp, Index, IndexedInfo, Name, ObjectMeta};
use super::kind::CollectionKind;

/// Bumped when what counts as a valid object changes, so files indexed by an
/// older, more lenient version are examined again (5: the collection kind
/// follows on the second line, and contacts are indexed; 6: the exact
/// instance column; 7: the periodic summary column; 8: a contact's search
/// text in the span column; 9: the ctime column).
const HEADER: &str = "davdir-index 9";
/// The component column of a contact's line.
const CONTACT: &str = "VCARD";
/// Starts the line naming the change-log position (a sync token) the index
/// was saved at. It begins with a tab, so no object (whose name is never
/// empty) has such a line, and versions that do not know it skip it.
const POSITION: &str = "\tlog\t";

/// Writes the index (valid objects only; problems are re-read at start) to
/// a temp file beside `path`; the caller commits it outside the collection lock.
pub fn write(path: &Path, index: &Index) -> io::Result<TempFile> {
    write_at(path, index, None)
}

/// Like `write`, naming the change-log `position` the index shows, so an
/// index newer than the log beside it (the two copied at different moments)
/// is told at load and the log's tokens are not trusted with it.
pub fn write_at(path: &Path, index: &Index, position: Option<&str>) -> io::Result<TempFile> {
    let dir = path.parent().ok_or_else(|| io::Error::other("no parent"))?;
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::other("bad name"))?;
    let mut tmp = TempFile::create(dir, name)?;
    let w = tmp.writer();
    writeln!(w, "{HEADER}")?;
    writeln!(w, "{}", index.kind)?;
    if let Some(token) = position {
        writeln!(w, "{POSITION}{token}")?;
    }
    for (name, m) in &index.objects {
        let (component, span) = match m.info.component() {
            Some(c) => (c.as_str(), span_text(&m.info.span())),
            None => (CONTACT, search_text(m.info.search())),
        };
        let exact = m.info.exact().map_or_else(|| "-".into(), Exact::to_text);
        let periodic = m
            .info
            .periodic()
            .map_or_else(|| "-".into(), Periodic::to_text);
        writeln!(
            w,
            "{name}\t{}\t{}\t{}\t{}\t{}\t{component}\t{span}\t{exact}\t{periodic}\t{:016x}",
            m.stamp.size,
            m.stamp.mtime_ns,
            m.stamp.ctime_ns,
            m.stamp.ino,
            m.etag,
            m.info.uid_hash()
        )?;
    }
    Ok(tmp)
}

/// A contact's search text in the span column: `+` and the text (which
/// holds no control character, so no tab or newline), or `-` for none.
fn search_text(search: Option<&str>) -> String {
    search.map_or_else(|| "-".into(), |s| format!("+{s}"))
}

fn span_text(span: &Span) -> String {
    match span {
        Span::Bounded(lo, hi) => format!("{lo},{hi}"),
        Span::Unbounded => "*".into(),
        Span::Unknown => "?".into(),
    }
}

fn parse_span(text: &str) -> Option<Span> {
    match text {
        "*" => Some(Span::Unbounded),
        "?" => Some(Span::Unknown),
        _ => {
            let (lo, hi) = text.split_once(',')?;
            Some(Span::Bounded(lo.parse().ok()?, hi.parse().ok()?))
        }
    }
}

fn parse_line(line: &str) -> Option<(Name, ObjectMeta)> {
    let f: Vec<&str> = line.splitn(11, '\t').collect();
    let [name, size, mtime, ctime, ino, etag, component, span, exact, periodic, uid_hash] = f[..]
    else {
        return None;
    };
    let uid_hash = u64::from_str_radix(uid_hash, 16).ok()?;
    Some((
        Name::from(name),
        ObjectMeta {
            etag: Etag::parse_hex(etag)?,
            stamp: FileStamp {
                size: size.parse().ok()?,
                mtime_ns: mtime.parse().ok()?,
                ctime_ns: ctime.parse().ok()?,
                ino: ino.parse().ok()?,
            },
            info: match component {
                CONTACT => IndexedInfo::Contact {
                    uid_hash,
                    search: span.strip_prefix('+').map(Box::from),
                },
                _ if periodic != "-" => IndexedInfo::Recurring {
                    uid_hash,
                    component: crate::ical::component_kind(component)?,
                    periodic: Box::new(Periodic::parse(periodic)?),
                },
                _ => IndexedInfo::Calendar {
                    uid_hash,
                    component: crate::ical::component_kind(component)?,
                    span: parse_span(span)?,
                    exact: match exact {
                        "-" => None,
                        _ => Some(Exact::parse(exact)?),
                    },
                },
            },
            // Filled in from the change log when it is loaded.
            seq: 0,
        },
    ))
}

/// A saved index and the change-log position it was saved at, if named.
pub struct Saved {
    pub index: Index,
    pub position: Option<String>,
}

/// Reads a saved index: None when there is none or it is unreadable (a full
/// rescan, and the change log cannot be trusted either), and an unreadable
/// line just that file being looked at again.
pub fn load(path: &Path) -> Option<Saved> {
    let mut index = Index::default();
    let file = fs::File::open(path).ok()?;
    let mut lines = BufReader::new(file).lines().map_while(Result::ok);
    if lines.next().as_deref() != Some(HEADER) {
        return None;
    }
    index.kind = match lines.next().as_deref() {
        Some("calendar") => CollectionKind::Calendar,
        Some("addressbook") => CollectionKind::AddressBook,
        _ => return None,
    };
    // In sorted batches: see `Index::add_objects`.
    let mut batch = Vec::new();
    let mut position = None;
    for line in lines {
        if let Some(token) = line.strip_prefix(POSITION) {
            position = Some(token.to_string());
        } else if let Some(entry) = parse_line(&line) {
            batch.push(entry);
            if batch.len() >= index.batch_size() {
                index.add_objects(&mut batch);
            }
        }
    }
    index.add_objects(&mut batch);
    Some(Saved { index, position })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_periodic_facts_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let single = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260101T100000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let floating = single.replace("UID:a", "UID:b").replace("00Z", "00");
        fs::write(dir.path().join("a.ics"), single).unwrap();
        let weekly = single.replace("UID:a", "UID:c").replace(
            "DURATION:PT1H\r\n",
            "DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=9\r\n",
        );
        fs::write(dir.path().join("b.ics"), floating).unwrap();
        fs::write(dir.path().join("c.ics"), weekly).unwrap();
        let berlin = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART;TZID=Europe/Berlin:20250106T090000\r\nDTEND;TZID=Europe/Berlin:20250106T100000\r\nRRULE:FREQ=WEEKLY\r\nEXDATE;TZID=Europe/Berlin:20250113T090000,20250120T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        fs::write(dir.path().join("d.ics"), berlin).unwrap();
        let mut index = Index::default();
        index.rescan(dir.path()).unwrap();
        assert!(index.objects["a.ics"].info.exact().is_some());
        assert!(index.objects["b.ics"].info.exact().is_none());
        assert!(index.objects["c.ics"].info.periodic().is_some());
        assert!(index.objects["d.ics"].info.periodic().is_some());
        let path = dir.path().join("cache/index");
        write(&path, &index).unwrap().commit().unwrap();
        let loaded = load(&path).expect("the saved index loads").index;
        assert_eq!(loaded.objects.len(), 4);
        for (name, meta) in &index.objects {
            assert_eq!(loaded.objects[name].info, meta.info, "{name}");
        }
    }

    #[test]
    fn contact_search_texts_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let card = |uid: &str, lines: &str| {
            format!("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\n{lines}END:VCARD\r\n")
        };
        let cards = [
            card("a", "FN:Anna Müller\r\nitem1.EMAIL:a@b.c\r\nN:M;A;;;\r\n"),
            card("b", "NOTE:no indexed property\r\n"),
            // An escaped newline in FN: no search text, read at query time.
            card("c", "FN:two\\nlines\r\n"),
        ];
        for (i, c) in cards.iter().enumerate() {
            fs::write(dir.path().join(format!("{i}.vcf")), c).unwrap();
        }
        let mut index = Index::default();
        index.kind = CollectionKind::AddressBook;
        index.rescan(dir.path()).unwrap();
        let search = |i: &Index, n: &str| i.objects[n].info.search().map(str::to_string);
        assert!(search(&index, "0.vcf").unwrap().contains("Anna Müller"));
        assert_eq!(search(&index, "1.vcf").as_deref(), Some(""));
        assert_eq!(search(&index, "2.vcf"), None);
        let path = dir.path().join("cache/index");
        write(&path, &index).unwrap().commit().unwrap();
        let loaded = load(&path).expect("the saved index loads").index;
        for name in ["0.vcf", "1.vcf", "2.vcf"] {
            assert_eq!(
                loaded.objects[name].info, index.objects[name].info,
                "{name}"
            );
        }
    }
}
