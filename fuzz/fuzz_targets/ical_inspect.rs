//! Fuzzes validation of a calendar object (`ical::inspect`, what PUT and the
//! startup scan run on every body and file) and the time span the index
//! keeps for it (`query::span`).
#![no_main]

use davdir::ical::{component_kind, inspect};
use davdir::query::{span, Span};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let checked = inspect(data);
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(checked.is_err(), "non-UTF-8 bytes must be refused");
        return;
    };
    if let Span::Bounded(lo, hi) = span(text) {
        assert!(lo <= hi, "span {lo}..{hi} is inverted");
    }
    if !text.starts_with('\u{feff}') {
        // A leading byte-order mark is ignored, nothing else changes.
        let with_bom = format!("\u{feff}{text}");
        assert_eq!(
            inspect(with_bom.as_bytes()),
            checked,
            "BOM changes the verdict"
        );
    }
    if let Ok(info) = checked {
        assert!(
            !info.uid.is_empty() && info.uid.trim() == info.uid,
            "UID {:?}",
            info.uid
        );
        assert_eq!(component_kind(info.component.as_str()), Some(info.component));
        if let Span::Bounded(lo, hi) = info.span {
            assert!(lo <= hi, "indexed span {lo}..{hi} is inverted");
        }
    }
});
