//! Unit tests of `vcard::inspect`: one per rule, and real-world cards.

use super::*;
use crate::ical::{MAX_LINE, MAX_PARAMS, MAX_PROPERTIES};

/// A 3.0 card as Apple Contacts writes it: groups, a folded base64 PHOTO,
/// a non-ASCII name, CRLF.
const APPLE_30: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\nN:Müller;Jürgen;;;\r\nFN:Jürgen Müller\r\nitem1.EMAIL;type=INTERNET;type=pref:j@example.org\r\nitem1.X-ABLabel:_$!<Other>!$_\r\nTEL;type=CELL;type=VOICE;type=pref:+49 170 000000\r\nBDAY;value=date:1985-04-12\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQN\r\n DAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA\r\nUID:1B2A6C4E-0000-4000-8000-00000000A0A1\r\nEND:VCARD\r\n";

/// A 4.0 card as DAVx5 / khard write it: LF endings, BDAY without a year,
/// ANNIVERSARY, a folded UID.
const DAVX5_40: &str = "BEGIN:VCARD\nVERSION:4.0\nPRODID:ez-vcard 0.11\nUID:urn:uuid:5f0c\n 1c7e-8a2b\nFN:Zoë Ångström\nN:Ångström;Zoë;;;\nitem2.EMAIL;TYPE=work:zoe@example.com\nBDAY:--0704\nANNIVERSARY:20100612\nEND:VCARD\n";

fn syntax_reason(text: &str) -> String {
    match inspect(text.as_bytes()) {
        Err(VcardError::Syntax { reason, .. }) => reason,
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn apple_30_card() {
    let info = inspect(APPLE_30.as_bytes()).unwrap();
    assert_eq!(info.uid, "1B2A6C4E-0000-4000-8000-00000000A0A1");
    assert_eq!(info.version, VcardVersion::V3);
    assert_eq!(info.full_name.as_deref(), Some("Jürgen Müller"));
    assert_eq!(info.bday.as_deref(), Some("1985-04-12"));
    assert_eq!(info.anniversary, None);
}

#[test]
fn davx5_40_card_with_lf_and_folded_uid() {
    let info = inspect(DAVX5_40.as_bytes()).unwrap();
    assert_eq!(info.uid, "urn:uuid:5f0c1c7e-8a2b");
    assert_eq!(info.version, VcardVersion::V4);
    assert_eq!(info.full_name.as_deref(), Some("Zoë Ångström"));
    assert_eq!(info.bday.as_deref(), Some("--0704"));
    assert_eq!(info.anniversary.as_deref(), Some("20100612"));
    // The same card with CRLF and a BOM is the same card.
    let crlf = format!("\u{feff}{}", DAVX5_40.replace('\n', "\r\n"));
    assert_eq!(inspect(crlf.as_bytes()).unwrap(), info);
}

#[test]
fn version_other_than_30_or_40_is_unsupported_not_invalid() {
    let v21 = APPLE_30.replace("VERSION:3.0", "VERSION:2.1");
    let err = inspect(v21.as_bytes()).unwrap_err();
    assert_eq!(err, VcardError::UnsupportedVersion("2.1".into()));
    assert!(err.is_unsupported_version());
    let none = APPLE_30.replace("VERSION:3.0\r\n", "");
    let err = inspect(none.as_bytes()).unwrap_err();
    assert!(matches!(err, VcardError::NotObjectResource(_)), "{err:?}");
    assert!(!err.is_unsupported_version());
}

#[test]
fn requires_a_uid_and_exactly_one_card() {
    let no_uid = DAVX5_40.replace("UID:urn:uuid:5f0c\n 1c7e-8a2b\n", "");
    assert_eq!(
        inspect(no_uid.as_bytes()),
        Err(VcardError::NotObjectResource("VCARD without UID".into()))
    );
    let empty_uid = APPLE_30.replace("UID:1B2A6C4E-0000-4000-8000-00000000A0A1", "UID: ");
    assert!(matches!(
        inspect(empty_uid.as_bytes()),
        Err(VcardError::NotObjectResource(_))
    ));
    let two = format!("{APPLE_30}{APPLE_30}");
    assert_eq!(
        inspect(two.as_bytes()),
        Err(VcardError::NotObjectResource("more than one VCARD".into()))
    );
    let two_uids = APPLE_30.replace("END:VCARD", "UID:other\r\nEND:VCARD");
    assert!(matches!(
        inspect(two_uids.as_bytes()),
        Err(VcardError::NotObjectResource(_))
    ));
}

#[test]
fn refuses_nesting_and_broken_envelopes() {
    // vCard 2.1 AGENT could embed a card; nothing may nest now.
    let agent = APPLE_30.replace(
        "FN:",
        "AGENT:\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nEND:VCARD\r\nFN:",
    );
    assert!(syntax_reason(&agent).contains("nested"));
    assert!(syntax_reason(&APPLE_30.replace("END:VCARD\r\n", "")).contains("never closed"));
    assert!(syntax_reason("FN:x\r\n").contains("outside"));
    assert!(syntax_reason("END:VCARD\r\n").contains("without BEGIN"));
    assert!(syntax_reason("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").contains("BEGIN:VCALENDAR"));
    assert!(syntax_reason("").contains("empty"));
    assert!(syntax_reason(&APPLE_30.replace("FN:", "FN")).contains("without ':'"));
}

#[test]
fn refuses_controls_and_bad_utf8() {
    assert!(syntax_reason(&APPLE_30.replace("FN:J", "FN:\u{1}J")).contains("U+0001"));
    assert!(syntax_reason(&APPLE_30.replace("FN:J", "FN:\u{7f}J")).contains("U+007F"));
    inspect(APPLE_30.replace("FN:J", "FN:\tJ").as_bytes()).unwrap();
    assert_eq!(inspect(&[0xff, 0xfe, 0x00]), Err(VcardError::NotUtf8));
}

#[test]
fn bounds_lines_properties_and_parameters() {
    let with = |lines: &str| APPLE_30.replace("END:VCARD", &format!("{lines}END:VCARD"));
    let long = with(&format!("NOTE:{}\r\n", "a".repeat(MAX_LINE)));
    assert!(syntax_reason(&long).contains("longer than"));
    let folded = with(&format!(
        "NOTE:a\r\n{}",
        " aaaaaaaa\r\n".repeat(MAX_LINE / 8)
    ));
    assert!(syntax_reason(&folded).contains("longer than"));
    let many = with(&"NOTE:x\r\n".repeat(MAX_PROPERTIES));
    assert!(syntax_reason(&many).contains("properties"));
    inspect(with(&"NOTE:x\r\n".repeat(MAX_PROPERTIES - 20)).as_bytes()).unwrap();
    let params = with(&format!("NOTE{}:v\r\n", ";A=b".repeat(MAX_PARAMS + 1)));
    assert!(syntax_reason(&params).contains("parameters"));
    inspect(with(&format!("NOTE{}:v\r\n", ";A=b".repeat(MAX_PARAMS))).as_bytes()).unwrap();
}

#[test]
fn sample_address_book_cards_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data-sample/demo/contacts");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "vcf") {
            let info = inspect(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            found.push((
                info.full_name.unwrap(),
                info.version,
                info.bday,
                info.anniversary,
            ));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let zoe = found.iter().find(|c| c.0 == "Zoë Ångström").unwrap();
    assert_eq!(
        (zoe.1, zoe.2.as_deref(), zoe.3.as_deref()),
        (VcardVersion::V4, Some("--0704"), Some("20100612"))
    );
    let bdays: Vec<_> = found.iter().filter_map(|c| c.2.as_deref()).collect();
    assert!(
        bdays.contains(&"1985-04-12") && bdays.contains(&"19850412"),
        "{bdays:?}"
    );
    assert_eq!(found.len(), 5);
}

fn whole(text: &str) -> Cow<'_, str> {
    Cow::Borrowed(text)
}

/// Cards with large inline binaries, valid and broken in several ways:
/// what `inspect` answers from the elided card (`elide`) must be what the
/// whole card gives.
#[test]
fn eliding_large_binaries_changes_no_answer() {
    let photo = |value: &str| {
        let mut l = String::from("PHOTO;ENCODING=b;TYPE=JPEG:");
        for chunk in value.as_bytes().chunks(74) {
            l.push_str(std::str::from_utf8(chunk).unwrap());
            l.push_str("\r\n ");
        }
        l.truncate(l.len() - 1);
        l
    };
    let good = "QUJD".repeat(1500);
    let bad = "!!not base64 at all;,:\\".repeat(300);
    let lines = [
        photo(&good),
        photo(&bad),
        format!("item3.LOGO:data:image/png;base64,{good}\r\n"),
        format!("KEY;VALUE=uri:{bad}\r\n"),
        format!("PHOTO;ENCODING=b;TYPE=\"JPEG:{good}\r\n"),
        format!("SOUND;X-A=\"x\";ENCODING=b:{good}\r\nUID:second\r\n"),
        format!("PHOTO:{good}\r\nEND:VCARD\r\nBEGIN:VCARD\r\n"),
        format!("PHOTO:{good}\r\nBEGIN:VCARD\r\n"),
        format!("PHOTO;ENCODING=b:{}\r\n", "\u{7}".repeat(2000)),
    ];
    let mut elided = 0;
    for line in &lines {
        for base in [APPLE_30, DAVX5_40] {
            let nl = if base.contains('\r') { "\r\n" } else { "\n" };
            let line = line.replace("\r\n", nl);
            let card = base.replacen("FN:", &format!("{line}FN:"), 1);
            if matches!(elide::for_parser(&card), Cow::Owned(_)) {
                elided += 1;
            }
            assert_eq!(
                inspect(card.as_bytes()),
                inspect_parsing(card.as_bytes(), whole),
                "{}",
                &line[..60]
            );
        }
    }
    // The check means something only if most cards were elided.
    assert!(elided >= 10, "{elided}");
}
