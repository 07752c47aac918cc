//! Fuzzes validation of an address object (`vcard::inspect`, what PUT and the
//! startup scan run on every `.vcf`) and, on the cards it accepts, what the
//! REPORTs and the birthday calendar then do with them: addressbook-query
//! evaluation (`cardquery::matches`), address-data rendering with version
//! conversion and partial retrieval (`cardquery::render`), and the derived
//! birthday events (`birthdays::events`).
#![no_main]

use davdir::birthdays;
use davdir::cardquery::{
    matches, render, AddressData, CardVersion, Filter, PropCond, PropFilter, PropSelect, Test,
    TextMatch,
};
use davdir::dav::text_match::Dialect;
use davdir::ical;
use davdir::vcard::{inspect, VcardVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let checked = inspect(data);
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(checked.is_err(), "non-UTF-8 bytes must be refused");
        return;
    };
    if !text.starts_with('\u{feff}') {
        // A leading byte-order mark is ignored, nothing else changes.
        let with_bom = format!("\u{feff}{text}");
        assert_eq!(
            inspect(with_bom.as_bytes()),
            checked,
            "BOM changes the verdict"
        );
    }
    let Ok(info) = checked else {
        return;
    };
    assert!(
        !info.uid.is_empty() && info.uid.trim() == info.uid,
        "UID {:?}",
        info.uid
    );
    let card = text.strip_prefix('\u{feff}').unwrap_or(text);

    // Queries: an empty filter lists every card; a card's own FN (octet,
    // contains) finds it (the negated test may too: another FN instance can
    // pass it); the common client filters run without panicking.
    let everything = Filter {
        test: Test::AnyOf,
        props: Vec::new(),
    };
    assert!(matches(card, &everything), "an empty filter must match");
    if let Some(name) = &info.full_name {
        let own = filter("FN", text_match(name, "i;octet", "no", "contains"));
        assert!(matches(card, &own), "its own FN {name:?} does not match");
        let _ = matches(
            card,
            &filter("FN", text_match(name, "i;octet", "yes", "contains")),
        );
    }
    for (prop, needle, collation, kind) in [
        ("EMAIL", "@example", "i;unicode-casemap", "contains"),
        ("FN", "anna", "i;ascii-casemap", "starts-with"),
        ("TEL", "1", "i;octet", "ends-with"),
        ("N", "müller", "i;unicode-casemap", "equals"),
    ] {
        let _ = matches(
            card,
            &filter(prop, text_match(needle, collation, "no", kind)),
        );
    }

    // address-data: conversion to either version keeps a card this server
    // would accept again, with the same UID; partial retrieval renders.
    for version in [CardVersion::V3, CardVersion::V4] {
        let req = AddressData {
            version: Some(version),
            props: None,
        };
        let out = render(card.as_bytes(), &req).expect("an accepted card renders");
        let again = inspect(&out).unwrap_or_else(|e| {
            panic!(
                "{version:?} rendering is refused ({e}):\n{}",
                String::from_utf8_lossy(&out)
            )
        });
        let want = match version {
            CardVersion::V3 => VcardVersion::V3,
            CardVersion::V4 => VcardVersion::V4,
        };
        assert_eq!(again.version, want, "rendered version");
        assert_eq!(again.uid, info.uid, "UID changed by the conversion");
    }
    let partial = AddressData {
        version: None,
        props: Some(vec![
            select("FN", false),
            select("EMAIL", true),
            select("UID", false),
        ]),
    };
    render(card.as_bytes(), &partial).expect("partial retrieval renders");

    // Birthday events derived from an accepted card are valid calendar objects.
    let events = birthdays::events("fuzz", card).expect("an accepted card is a vCard");
    for ev in events {
        if let Err(e) = ical::inspect(ev.ics.as_bytes()) {
            panic!("birthday event refused ({e:?}):\n{}", ev.ics);
        }
    }
});

fn text_match(needle: &str, collation: &str, negate: &str, kind: &str) -> TextMatch {
    let (c, n, k) = (Some(collation), Some(negate), Some(kind));
    TextMatch::new(Dialect::CardDav, needle, c, n, k).expect("valid text-match")
}

fn filter(prop: &str, test: TextMatch) -> Filter {
    Filter {
        test: Test::AnyOf,
        props: vec![PropFilter {
            group: None,
            name: prop.to_string(),
            test: Test::AnyOf,
            cond: PropCond::Match {
                texts: vec![test],
                params: Vec::new(),
            },
        }],
    }
}

fn select(name: &str, novalue: bool) -> PropSelect {
    PropSelect {
        group: None,
        name: name.to_string(),
        novalue,
    }
}
