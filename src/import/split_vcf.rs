//! Splits a vCard file into one card per object, each with its lines as
//! written (CRLF endings). A card's UID is read by `vcard::inspect` when
//! the object is validated; here only repeated UIDs are caught, so the
//! first card of a UID wins and the others are reported.

use std::collections::HashMap;

use super::{Piece, Skipped, Split};

pub fn split(text: &str) -> Split {
    let text = crate::bom::strip(text);
    let mut out = Split::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut depth = 0usize;
    let mut current: Option<(usize, String)> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.eq_ignore_ascii_case("BEGIN:VCARD") {
            depth += 1;
            if depth == 1 {
                current = Some((n + 1, String::new()));
            }
        }
        if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push_str("\r\n");
        }
        if line.eq_ignore_ascii_case("END:VCARD") && depth > 0 {
            depth -= 1;
            if depth > 0 {
                continue;
            }
            let Some((start, body)) = current.take() else {
                continue;
            };
            let uid = crate::vcard::inspect(body.as_bytes()).ok().map(|i| i.uid);
            let item = match &uid {
                Some(uid) => format!("UID {uid}"),
                None => format!("VCARD at line {start}"),
            };
            if let Some(uid) = uid {
                if let Some(first) = seen.get(&uid) {
                    out.skipped.push(Skipped {
                        item: format!("VCARD {uid} at line {start}"),
                        reason: format!(
                            "duplicate UID {uid} in the file (first at line {first}); the first was kept"
                        ),
                    });
                    continue;
                }
                seen.insert(uid, start);
            }
            // A card that does not inspect is passed on: the import
            // validates every object and reports why.
            out.pieces.push(Piece {
                item,
                bytes: body.into_bytes(),
            });
        }
    }
    if let Some((start, _)) = current {
        out.skipped.push(Skipped {
            item: format!("VCARD at line {start}"),
            reason: "invalid: no END:VCARD before the end of the file".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_card_each_and_duplicates_reported() {
        let file = "BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:A\nEND:VCARD\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nUID:2\r\nFN:B\r\nN:B;;;;\r\nEND:VCARD\r\n\
BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:A again\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:4.0\nFN:no uid\nEND:VCARD\n";
        let split = super::split(file);
        assert_eq!(split.pieces.len(), 3);
        assert_eq!(split.pieces[0].item, "UID 1");
        assert_eq!(
            split.pieces[0].bytes,
            b"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:1\r\nFN:A\r\nEND:VCARD\r\n"
        );
        assert_eq!(split.pieces[2].item, "VCARD at line 17");
        assert_eq!(split.skipped.len(), 1);
        assert!(split.skipped[0].reason.starts_with("duplicate UID 1"));
    }
}
