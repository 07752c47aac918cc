//! Before a vCard is parsed for a filter, the content lines no prop-filter
//! names are dropped: evaluation only ever looks at the properties a filter
//! names, and parsing the rest (a PHOTO of 100 KB of base64 above all) was
//! most of an addressbook-query's time.

use std::borrow::Cow;

use super::filter::Filter;

/// Properties every vCard keeps, so the narrowed text is still one vCard.
const FRAME: [&str; 3] = ["BEGIN", "END", "VERSION"];

/// The vCard text with only the frame and the properties `filter` names (in
/// any group), folded continuations included; the text itself when nothing
/// would be dropped. The first line is always kept, so whatever precedes
/// BEGIN (a byte-order mark) reaches the parser as before.
pub fn narrow<'a>(vcf: &'a str, filter: &Filter) -> Cow<'a, str> {
    let wanted = |line: &str| {
        let name = property_name(line);
        FRAME.iter().any(|f| f.eq_ignore_ascii_case(name))
            || filter
                .props
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(name))
    };
    let mut out = String::new();
    let mut keep = true;
    let mut dropped = false;
    for (i, line) in vcf.split_inclusive('\n').enumerate() {
        let continued = line.starts_with([' ', '\t']);
        if !continued {
            // A quoted-printable value continues on lines that are not
            // folded: where one appears, the card is parsed whole.
            let head = &line[..line.find(':').unwrap_or(line.len())];
            if contains_ignore_ascii_case(head, "QUOTED-PRINTABLE") {
                return Cow::Borrowed(vcf);
            }
            keep = i == 0 || wanted(line);
        }
        if keep {
            out.push_str(line);
        } else {
            dropped = true;
        }
    }
    if dropped {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(vcf)
    }
}

fn contains_ignore_ascii_case(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The property name of a content line (`item1.EMAIL;TYPE=work:..` gives
/// `EMAIL`): what precedes the first `;` or `:`, without its group.
fn property_name(line: &str) -> &str {
    let end = line.find([';', ':']).unwrap_or(line.len());
    let head = line[..end].trim_end_matches(['\r', '\n']);
    head.rsplit_once('.').map_or(head, |(_, name)| name)
}

#[cfg(test)]
mod tests;
