//! Narrowing must never change an answer: every generated card is matched
//! against every filter both narrowed and whole.

use super::*;
use crate::cardquery::eval::matches_whole;
use crate::cardquery::filter::tests::filter;
use crate::cardquery::matches;
use crate::cardquery::test_cards::{self, Rng, Shape};

/// Content lines of every shape the narrowing has to read: groups, lower
/// case names, quoted parameters holding `:` `;` and `.`, folded values,
/// escapes, binary data, extension properties.
const LINES: &[&str] = &[
    "FN:Anna Müller",
    "fn:Jörg Mueller",
    "FN;LANGUAGE=de:Zoë O'Brien",
    "N:Müller;Anna;;Dr.;",
    "N:Smith;Bob;Jim,Jo;;",
    "EMAIL;TYPE=work:anna.mueller@example.com",
    "item1.EMAIL;TYPE=\"home,pref\":anna@home.example",
    "ITEM2.email:bob.smith@example.org",
    "EMAIL;X-NOTE=\"a:b;c.d\":odd@example.net",
    "TEL;TYPE=cell:+49 30 1234567",
    "item1.TEL;VALUE=uri:tel:+1-555-0100",
    "NICKNAME:Anni,Mülli",
    "ORG:Example GmbH;Sales",
    "NOTE:line one\\nline two\\, with comma",
    "NOTE:folded value that goes on\r\n  and on past the fold",
    "CATEGORIES:friends,Straße",
    "X-EMAIL:not.an.email@example.com",
    "X-FN.EMAIL:grouped@example.com",
    "item1.X-ABLABEL:Work",
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ\r\n AAAQABAAD/2wBDAAgGBgcGBQg\r\n HBwcJCQgKDBQNDAsLDBkSEw8U",
    "PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRg\r\n AAAQABAAD",
    "BDAY:19850412",
    "URL:https://example.com/a;b:c",
];

fn card(rng: &mut Rng, i: usize) -> String {
    let shape = Shape {
        lines: LINES,
        max_lines: 8,
        bom_every: 17,
        lf_every: 5,
    };
    test_cards::card(rng, i, &shape)
}

const FILTERS: &[(&str, &str)] = &[
    (
        "",
        r#"<C:prop-filter name="FN"><C:text-match>müller</C:text-match></C:prop-filter>"#,
    ),
    (
        "",
        r#"<C:prop-filter name="EMAIL"><C:text-match>anna.</C:text-match></C:prop-filter>"#,
    ),
    ("", r#"<C:prop-filter name="item1.EMAIL"/>"#),
    (
        "",
        r#"<C:prop-filter name="EMAIL"><C:is-not-defined/></C:prop-filter>"#,
    ),
    (
        "",
        r#"<C:prop-filter name="EMAIL"><C:param-filter name="TYPE"><C:text-match>home</C:text-match></C:param-filter></C:prop-filter>"#,
    ),
    (
        "",
        r#"<C:prop-filter name="NOTE"><C:text-match>on and</C:text-match></C:prop-filter>"#,
    ),
    ("", r#"<C:prop-filter name="PHOTO"/>"#),
    (
        "",
        r#"<C:prop-filter name="N"><C:text-match match-type="equals">Anna</C:text-match></C:prop-filter>"#,
    ),
    (
        "",
        r#"<C:prop-filter name="TEL"><C:text-match match-type="ends-with">0100</C:text-match></C:prop-filter>"#,
    ),
    (
        r#"test="allof""#,
        r#"<C:prop-filter name="FN"/><C:prop-filter name="NICKNAME"><C:text-match>anni</C:text-match></C:prop-filter>"#,
    ),
    (
        r#"test="anyof""#,
        r#"<C:prop-filter name="ORG"><C:text-match>sales</C:text-match></C:prop-filter><C:prop-filter name="X-EMAIL"/>"#,
    ),
    (
        "",
        r#"<C:prop-filter name="UID"><C:text-match match-type="starts-with">card-1</C:text-match></C:prop-filter>"#,
    ),
    (
        "",
        r#"<C:prop-filter name="URL"><C:text-match negate-condition="yes">b:c</C:text-match></C:prop-filter>"#,
    ),
    (
        "",
        r#"<C:prop-filter name="CATEGORIES"><C:text-match collation="i;octet">Straße</C:text-match></C:prop-filter>"#,
    ),
];

#[test]
fn narrowed_and_whole_cards_answer_alike() {
    let mut rng = Rng(7);
    let filters: Vec<Filter> = FILTERS
        .iter()
        .map(|(attrs, xml)| filter(attrs, xml).unwrap())
        .collect();
    let (mut hits, mut narrowed) = (0, 0);
    for i in 0..2_000 {
        let text = card(&mut rng, i);
        for (f, src) in filters.iter().zip(FILTERS) {
            let whole = matches_whole(&text, f);
            assert_eq!(matches(&text, f), whole, "filter {src:?} on\n{text}");
            hits += usize::from(whole);
            narrowed += usize::from(matches!(narrow(&text, f), Cow::Owned(_)));
        }
    }
    // The cards exercise both answers, and narrowing really happens.
    assert!(
        hits > 1_000 && hits < 2_000 * FILTERS.len() - 1_000,
        "{hits}"
    );
    assert!(narrowed > 10_000, "{narrowed}");
}

#[test]
fn keeps_frame_named_properties_and_their_folds() {
    let f = filter("", r#"<C:prop-filter name="EMAIL"/>"#).unwrap();
    let text = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:x\r\nPHOTO:abc\r\n def\r\n\
        item1.EMAIL:a@b.c\r\n  .d\r\nFN:X\r\nEND:VCARD\r\n";
    assert_eq!(
        narrow(text, &f),
        "BEGIN:VCARD\r\nVERSION:4.0\r\nitem1.EMAIL:a@b.c\r\n  .d\r\nEND:VCARD\r\n"
    );
    let qp =
        "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE;ENCODING=QUOTED-PRINTABLE:a=\r\nb\r\nEND:VCARD\r\n";
    assert!(matches!(narrow(qp, &f), Cow::Borrowed(_)));
}
