//! The index of a calendar saved in the cache directory, so a restart only
//! re-reads files whose size, mtime or inode moved while the server was down,
//! and reports exactly those as changes to tokens issued before the restart.

use std::fs;
use std::io;
use std::path::Path;

use crate::ical::ObjectInfo;
use crate::query::Span;

use super::durable;
use super::etag::Etag;
use super::index::{FileStamp, Index, ObjectMeta};

const HEADER: &str = "caldir-index 2";

/// The index as snapshot text (valid objects only; problems are re-read at
/// start). Cheap enough to run under the calendar lock; `write` is not.
pub fn render(index: &Index) -> String {
    let mut text = String::with_capacity(64 + index.objects.len() * 160);
    text.push_str(HEADER);
    text.push('\n');
    for (name, m) in &index.objects {
        if m.info.uid.contains(['\t', '\n']) {
            continue; // re-read at next start instead of mangling the line
        }
        text.push_str(&format!(
            "{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            m.stamp.size,
            m.stamp.mtime_ns,
            m.stamp.ino,
            m.etag,
            m.info.component,
            span_text(&m.info.span),
            m.info.uid
        ));
    }
    text
}

/// Writes snapshot text durably.
pub fn write(path: &Path, text: &str) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::other("no parent"))?;
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::other("bad name"))?;
    durable::write_file(dir, name, text.as_bytes())
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

/// Reads a saved index; anything unreadable yields an empty index (a full rescan).
pub fn load(path: &Path) -> Index {
    let mut index = Index::default();
    // Line by line: at 100k objects the file is ~17 MB, which would
    // otherwise sit in memory beside the index being built.
    let Ok(file) = fs::File::open(path) else {
        return index;
    };
    let mut lines = io::BufRead::lines(io::BufReader::new(file)).map_while(Result::ok);
    if lines.next().as_deref() != Some(HEADER) {
        return index;
    }
    for line in lines {
        let f: Vec<&str> = line.splitn(8, '\t').collect();
        let [name, size, mtime, ino, etag, component, span, uid] = f[..] else {
            continue;
        };
        let Some(span) = parse_span(span) else {
            continue;
        };
        let (Ok(size), Ok(mtime_ns), Ok(ino)) = (size.parse(), mtime.parse(), ino.parse()) else {
            continue;
        };
        index.put_object(
            name.to_string(),
            ObjectMeta {
                etag: match Etag::parse_hex(etag) {
                    Some(e) => e,
                    None => continue,
                },
                stamp: FileStamp {
                    size,
                    mtime_ns,
                    ino,
                },
                info: ObjectInfo {
                    uid: uid.to_string(),
                    component: match crate::ical::component_kind(component) {
                        Some(c) => c,
                        None => continue,
                    },
                    span,
                },
            },
        );
    }
    index
}
