//! The index must never change an answer: over generated cards (non-ASCII,
//! several EMAILs, folded lines, groups, parameters) and generated filters,
//! every decision taken from the search text the store indexes equals the
//! full evaluation of the file, and most filters are decided.

use super::*;
use crate::cardquery::filter::tests::filter;
use crate::cardquery::matches;
use crate::cardquery::test_cards::{self, Rng, Shape};

const LINES: &[&str] = &[
    "FN:Anna Müller",
    "fn:JÖRG MUELLER",
    "FN;LANGUAGE=de:Zoë O'Brien",
    "FN:Stra\u{df}e Caf\u{e9}",
    "FN:STRASSE CAFE\u{301}",
    "FN:Dr. \u{1c4}ivko \\, jr.",
    "N:Müller;Anna;;Dr.;",
    "N:Smith;Bob;Jim,Jo;;",
    "N;SORT-AS=\"Mueller,Anna\":Mueller;Anna;;;",
    "EMAIL;TYPE=work:anna.mueller@example.com",
    "EMAIL;TYPE=home:ANNA.M@Example.ORG",
    "item1.EMAIL;TYPE=\"home,pref\":anna@home.example",
    "ITEM2.email:bob.smith@example.org",
    "EMAIL;X-NOTE=\"a:b;c.d\":odd@example.net",
    "EMAIL:folded.address.that.is.long@exam\r\n ple.com",
    "TEL;TYPE=cell:+49 30 1234567",
    "item1.TEL;VALUE=uri:tel:+1-555-0100",
    "TEL;TYPE=\"voice,home\":(030) 555-0100",
    "NICKNAME:Anni,Mülli",
    "NICKNAME:bob",
    "ORG:Example GmbH;Sales",
    "ORG:Müller & Söhne",
    "NOTE:Anna Müller's note",
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ\r\n AAAQABAAD/2wBDAAgGBgcGBQg",
    "X-EMAIL:anna.x@example.com",
    "X-FN.EMAIL:grouped@example.com",
    "CATEGORIES:friends,Straße",
];

fn card(rng: &mut Rng, i: usize) -> String {
    let shape = Shape {
        lines: LINES,
        max_lines: 9,
        bom_every: 13,
        lf_every: 7,
    };
    test_cards::card(rng, i, &shape)
}

const NAMES: &[&str] = &[
    "FN",
    "fn",
    "N",
    "NICKNAME",
    "EMAIL",
    "item1.EMAIL",
    "ITEM2.EMAIL",
    "X-FN.EMAIL",
    "TEL",
    "item1.tel",
    "ORG",
    "NOTE",
    "PHOTO",
    "X-EMAIL",
];
const NEEDLES: &[&str] = &[
    "müller",
    "MUELLER",
    "anna.",
    "Anna",
    "strasse",
    "Straße",
    "café",
    "cafe\u{301}",
    "\u{1c6}ivko",
    ", jr",
    "example.org",
    ".com",
    "0100",
    "+49",
    "anni",
    "sales",
    "Example GmbH;Sales",
    "Müller;Anna;;Dr.;",
    "jo",
    "",
];

fn text_match(rng: &mut Rng) -> String {
    let collation = rng.pick(&[
        "",
        r#"collation="i;unicode-casemap""#,
        r#"collation="i;ascii-casemap""#,
        r#"collation="i;octet""#,
    ]);
    let match_type = rng.pick(&[
        "",
        r#"match-type="equals""#,
        r#"match-type="starts-with""#,
        r#"match-type="ends-with""#,
        r#"match-type="contains""#,
    ]);
    let negate = rng.pick(&["", "", r#"negate-condition="yes""#]);
    let needle = rng.pick(NEEDLES);
    format!("<C:text-match {collation} {match_type} {negate}>{needle}</C:text-match>")
}

fn test_attr(rng: &mut Rng) -> &'static str {
    rng.pick(&["", r#"test="anyof""#, r#"test="allof""#])
}

fn prop_filter(rng: &mut Rng) -> String {
    let name = rng.pick(NAMES);
    let inner = match rng.below(10) {
        0 => "<C:is-not-defined/>".to_string(),
        1 => String::new(),
        2 => format!(
            r#"<C:param-filter name="TYPE">{}</C:param-filter>"#,
            text_match(rng)
        ),
        _ => (0..1 + rng.below(2)).map(|_| text_match(rng)).collect(),
    };
    let test = test_attr(rng);
    format!(r#"<C:prop-filter name="{name}" {test}>{inner}</C:prop-filter>"#)
}

#[test]
fn index_decisions_equal_full_evaluation() {
    let mut rng = Rng(11);
    let cards: Vec<(String, Option<Box<str>>)> = (0..400)
        .map(|i| {
            let text = card(&mut rng, i);
            let info = crate::vcard::inspect(text.as_bytes()).expect("a valid card");
            (text, info.search)
        })
        .collect();
    let indexed = cards.iter().filter(|(_, s)| s.is_some()).count();
    assert_eq!(indexed, cards.len(), "every generated card is indexed");
    let (mut decided, mut undecided, mut hits) = (0usize, 0usize, 0usize);
    for _ in 0..300 {
        let props: String = (0..1 + rng.below(3))
            .map(|_| prop_filter(&mut rng))
            .collect();
        let attrs = test_attr(&mut rng);
        let f = filter(attrs, &props).unwrap();
        for (text, search) in &cards {
            let whole = matches(text, &f);
            match decide(&f, search.as_deref().unwrap()) {
                Some(answer) => {
                    assert_eq!(answer, whole, "filter {attrs} {props} on\n{text}");
                    decided += 1;
                    hits += usize::from(answer);
                }
                None => undecided += 1,
            }
        }
    }
    // A third of the names are not indexed: most pairs are still decided,
    // with both answers well represented.
    assert!(decided > undecided, "{decided} vs {undecided}");
    assert!(
        hits > decided / 10 && hits < decided * 9 / 10,
        "{hits}/{decided}"
    );
}

#[test]
fn control_characters_leave_a_card_unindexed() {
    let with_newline = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:x\r\nFN:two\\nlines\r\nEND:VCARD\r\n";
    assert_eq!(
        crate::vcard::inspect(with_newline.as_bytes())
            .unwrap()
            .search,
        None
    );
    // Outside the indexed properties it does not matter.
    let in_note =
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:x\r\nFN:A\r\nNOTE:two\\nlines\r\nEND:VCARD\r\n";
    assert!(crate::vcard::inspect(in_note.as_bytes())
        .unwrap()
        .search
        .is_some());
}

#[test]
fn unindexed_properties_and_param_filters_are_left_to_the_file() {
    let search = "\u{1d}F\u{1f}Anna";
    let undecided = [
        r#"<C:prop-filter name="NOTE"/>"#,
        r#"<C:prop-filter name="EMAIL"><C:param-filter name="TYPE"/></C:prop-filter>"#,
    ];
    for xml in undecided {
        assert_eq!(decide(&filter("", xml).unwrap(), search), None, "{xml}");
    }
    // Three-valued: a decided part can settle the whole.
    let either = r#"<C:prop-filter name="FN"><C:text-match>ann</C:text-match></C:prop-filter><C:prop-filter name="NOTE"/>"#;
    assert_eq!(decide(&filter("", either).unwrap(), search), Some(true));
    assert_eq!(
        decide(&filter(r#"test="allof""#, either).unwrap(), search),
        None
    );
    let both = r#"<C:prop-filter name="FN"><C:text-match>bob</C:text-match></C:prop-filter><C:prop-filter name="NOTE"/>"#;
    assert_eq!(
        decide(&filter(r#"test="allof""#, both).unwrap(), search),
        Some(false)
    );
}
