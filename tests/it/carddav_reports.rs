//! CardDAV REPORTs over raw HTTP: addressbook-query (RFC 6352 §8.6) with a
//! table of filters over ten hand-written contacts, addressbook-multiget
//! (§8.7) with version conversion and partial retrieval, sync-collection
//! (RFC 6578) on an address book, and reports refused on the other kind.

use std::collections::BTreeSet;

use crate::common::*;

const CARD: &str = "urn:ietf:params:xml:ns:carddav";
const BOOK: &str = "/demo/book/";

/// The contacts of `demo/book/`: (file stem, vCard body lines between
/// VERSION and END). Versions alternate so both are searched.
const CONTACTS: &[(&str, &str, &str)] = &[
    ("alice", "3.0", "FN:Alice Müller\r\nN:Müller;Alice;;;\r\nEMAIL;TYPE=work:alice@example.com\r\nTEL;TYPE=cell:+49 170 1234\r\n"),
    ("bob", "4.0", "FN:Bob Smith\r\nEMAIL;TYPE=home:bob@example.org\r\nNICKNAME:Bobby,Bob\r\n"),
    ("carol", "4.0", "FN:Carol Núñez\r\nEMAIL:carol@EXAMPLE.com\r\nORG:Acme Corp\r\n"),
    ("dmitri", "3.0", "FN:Дмитрий Иванов\r\nN:Иванов;Дмитрий;;;\r\nEMAIL:dmitri@example.ru\r\n"),
    ("eve", "4.0", "FN:Eve\r\nTEL;TYPE=work:+1 555 0100\r\n"),
    ("frank", "3.0", "FN:Frank Strasse\r\nN:Strasse;Frank;;;\r\nitem1.EMAIL:frank@example.com\r\nitem1.X-ABLABEL:private\r\n"),
    ("grace", "4.0", "FN:Grace Hopper\r\nEMAIL;TYPE=work,internet:grace@navy.mil\r\n"),
    ("heinz", "4.0", "FN:Heinz Öztürk\r\nNOTE:likes ÄPFEL\r\n"),
    ("ivan", "3.0", "FN:ivan lower\r\nN:lower;ivan;;;\r\nEMAIL:IVAN@EXAMPLE.COM\r\n"),
    ("zoe", "4.0", "FN:Zoë\r\nCATEGORIES:friends,work\r\n"),
];

fn vcard(stem: &str, version: &str, body: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:{version}\r\nUID:{stem}-uid\r\n{body}END:VCARD\r\n")
}

fn href(stem: &str) -> String {
    format!("{BOOK}{stem}.vcf")
}

/// The sample server with `demo/book/` holding [`CONTACTS`], written as a
/// khard would, once the watcher has indexed them all.
fn server() -> Server {
    let srv = Server::sample();
    let dir = srv.file("demo/book");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join(".addressbook.toml"), "").unwrap();
    for (stem, version, body) in CONTACTS {
        std::fs::write(dir.join(format!("{stem}.vcf")), vcard(stem, version, body)).unwrap();
    }
    let all = CONTACTS.len();
    assert!(
        wait_until(10, || {
            let r = srv.report(BOOK, "0", &sync_body("", None));
            r.status == 207 && r.multistatus().responses.len() == all
        }),
        "the watcher did not index the contacts"
    );
    srv
}

/// An addressbook-query asking address-data, with `attrs` on the filter.
fn query(attrs: &str, filter: &str) -> String {
    query_with(attrs, filter, "<C:address-data/>", "")
}

fn query_with(attrs: &str, filter: &str, data: &str, extra: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:addressbook-query xmlns:D="DAV:" xmlns:C="{CARD}"><D:prop>{data}</D:prop><C:filter {attrs}>{filter}</C:filter>{extra}</C:addressbook-query>"#
    )
}

fn hrefs(ms: &Multistatus) -> BTreeSet<String> {
    ms.responses.iter().map(|r| r.href.clone()).collect()
}

fn expected(stems: &[&str]) -> BTreeSet<String> {
    stems.iter().map(|s| href(s)).collect()
}

fn text(name: &str, attrs: &str, value: &str) -> String {
    format!(
        r#"<C:prop-filter name="{name}"><C:text-match {attrs}>{value}</C:text-match></C:prop-filter>"#
    )
}

#[test]
fn addressbook_query_filters_match_the_expected_contacts() {
    let srv = server();
    let all: Vec<&str> = CONTACTS.iter().map(|c| c.0).collect();
    let table: Vec<(&str, String, String, Vec<&str>)> = vec![
        ("empty filter lists all", "".into(), "".into(), all.clone()),
        ("contains, default collation", "".into(), text("FN", "", "smith"), vec!["bob"]),
        ("unicode-casemap folds non-ASCII", "".into(), text("FN", "", "MÜLLER"), vec!["alice"]),
        ("unicode-casemap on Cyrillic", "".into(), text("FN", r#"collation="i;unicode-casemap""#, "ДМИТРИЙ"), vec!["dmitri"]),
        ("unicode-casemap on a NOTE", "".into(), text("NOTE", "", "äpfel"), vec!["heinz"]),
        ("ascii-casemap folds ASCII", "".into(), text("FN", r#"collation="i;ascii-casemap""#, "SMITH"), vec!["bob"]),
        ("ascii-casemap leaves Ü alone", "".into(), text("FN", r#"collation="i;ascii-casemap""#, "MÜLLER"), vec![]),
        ("octet is case-sensitive", "".into(), text("FN", r#"collation="i;octet""#, "smith"), vec![]),
        ("octet exact case", "".into(), text("FN", r#"collation="i;octet""#, "Smith"), vec!["bob"]),
        ("equals", "".into(), text("FN", r#"match-type="equals""#, "eve"), vec!["eve"]),
        ("equals is whole value", "".into(), text("FN", r#"match-type="equals""#, "grace"), vec![]),
        ("starts-with", "".into(), text("FN", r#"match-type="starts-with""#, "gr"), vec!["grace"]),
        ("ends-with", "".into(), text("FN", r#"match-type="ends-with""#, "HOPPER"), vec!["grace"]),
        ("ends-with on EMAIL, caseless", "".into(), text("EMAIL", r#"match-type="ends-with""#, "example.com"), vec!["alice", "carol", "frank", "ivan"]),
        ("negate-condition needs the property", "".into(), text("EMAIL", r#"negate-condition="yes""#, "example"), vec!["grace"]),
        ("structured N component", "".into(), text("N", r#"match-type="equals""#, "strasse"), vec!["frank"]),
        ("multi-valued NICKNAME", "".into(), text("NICKNAME", r#"match-type="equals""#, "bobby"), vec!["bob"]),
        ("multi-valued CATEGORIES", "".into(), text("CATEGORIES", r#"match-type="equals""#, "FRIENDS"), vec!["zoe"]),
        ("ORG", "".into(), text("ORG", "", "acme"), vec!["carol"]),
        ("non-ASCII starts-with", "".into(), text("FN", r#"match-type="starts-with""#, "zoë"), vec!["zoe"]),
        ("is-not-defined", "".into(), r#"<C:prop-filter name="EMAIL"><C:is-not-defined/></C:prop-filter>"#.into(), vec!["eve", "heinz", "zoe"]),
        ("defined", "".into(), r#"<C:prop-filter name="TEL"/>"#.into(), vec!["alice", "eve"]),
        ("group-qualified name", "".into(), r#"<C:prop-filter name="item1.EMAIL"/>"#.into(), vec!["frank"]),
        ("other group does not match", "".into(), r#"<C:prop-filter name="item2.EMAIL"/>"#.into(), vec![]),
        (
            "param-filter text-match on multi-valued TYPE",
            "".into(),
            r#"<C:prop-filter name="EMAIL"><C:param-filter name="TYPE"><C:text-match match-type="equals">work</C:text-match></C:param-filter></C:prop-filter>"#.into(),
            vec!["alice", "grace"],
        ),
        (
            "param-filter is-not-defined",
            "".into(),
            r#"<C:prop-filter name="EMAIL"><C:param-filter name="TYPE"><C:is-not-defined/></C:param-filter></C:prop-filter>"#.into(),
            vec!["carol", "dmitri", "frank", "ivan"],
        ),
        (
            "anyof at filter level (the default)",
            "".into(),
            format!("{}{}", text("FN", "", "bob"), r#"<C:prop-filter name="TEL"/>"#),
            vec!["alice", "bob", "eve"],
        ),
        (
            "allof at filter level",
            r#"test="allof""#.into(),
            r#"<C:prop-filter name="EMAIL"/><C:prop-filter name="TEL"/>"#.into(),
            vec!["alice"],
        ),
        (
            "allof at prop-filter level",
            "".into(),
            r#"<C:prop-filter name="EMAIL" test="allof"><C:text-match>frank</C:text-match><C:text-match match-type="ends-with">.com</C:text-match></C:prop-filter>"#.into(),
            vec!["frank"],
        ),
        (
            "allof at prop-filter level, one test fails",
            "".into(),
            r#"<C:prop-filter name="EMAIL" test="allof"><C:text-match>alice</C:text-match><C:text-match match-type="ends-with">.org</C:text-match></C:prop-filter>"#.into(),
            vec![],
        ),
        (
            "anyof at prop-filter level",
            "".into(),
            r#"<C:prop-filter name="FN" test="anyof"><C:text-match>zoë</C:text-match><C:text-match>heinz</C:text-match></C:prop-filter>"#.into(),
            vec!["heinz", "zoe"],
        ),
    ];
    for (what, attrs, filter, want) in table {
        let ms = srv.report(BOOK, "1", &query(&attrs, &filter)).multistatus();
        assert_eq!(hrefs(&ms), expected(&want), "{what}");
        // Nothing to convert: each card comes back as its file's bytes.
        for r in &ms.responses {
            let stem = r.href.trim_start_matches(BOOK).trim_end_matches(".vcf");
            let file = srv.read(&format!("demo/book/{stem}.vcf"));
            assert_eq!(r.ok(CARD, "address-data").text.as_bytes(), file, "{what}");
        }
    }
}

#[test]
fn addressbook_query_on_one_contact_and_with_a_partial_4_0_answer() {
    let srv = server();
    // On a contact's URL only that contact is tested.
    let alice = href("alice");
    let ms = srv
        .report(&alice, "0", &query("", &text("FN", "", "alice")))
        .multistatus();
    assert_eq!(hrefs(&ms), expected(&["alice"]));
    let ms = srv
        .report(&alice, "0", &query("", &text("FN", "", "bob")))
        .multistatus();
    assert!(ms.responses.is_empty(), "{:#?}", ms.responses);
    // Partial retrieval in 4.0 of a 3.0 card: only what was named.
    let data = r#"<C:address-data content-type="text/vcard" version="4.0"><C:prop name="EMAIL"/><C:prop name="UID"/></C:address-data>"#;
    let ms = srv
        .report(
            BOOK,
            "1",
            &query_with("", &text("FN", "", "müller"), data, ""),
        )
        .multistatus();
    let card = ms.get(&alice).ok(CARD, "address-data").text.clone();
    assert!(card.contains("VERSION:4.0"), "{card}");
    assert!(
        card.contains("alice@example.com") && card.contains("UID:alice-uid"),
        "{card}"
    );
    assert!(!card.contains("FN:") && !card.contains("TEL"), "{card}");
}

#[test]
fn addressbook_query_limit_truncates_with_507_for_the_request_uri() {
    let srv = server();
    let limit = |n: usize| format!("<C:limit><C:nresults>{n}</C:nresults></C:limit>");
    let body = query_with("", "", "<C:address-data/>", &limit(3));
    let r = srv.report(BOOK, "1", &body);
    let ms = r.multistatus();
    let cards: Vec<_> = ms.responses.iter().filter(|r| r.href != BOOK).collect();
    assert_eq!(cards.len(), 3, "{:#?}", ms.responses);
    let book = ms.get(BOOK);
    assert_eq!(book.status, Some(507));
    let root = parse_xml(&r.text()).unwrap();
    let error = root
        .children_named(DAV, "response")
        .find(|r| r.child(DAV, "href").is_some_and(|h| h.text.trim() == BOOK))
        .and_then(|r| r.child(DAV, "error"))
        .expect("the 507 response carries a DAV:error");
    assert!(error
        .child(DAV, "number-of-matches-within-limits")
        .is_some());
    // Exactly as many matches as the limit: nothing was cut.
    let body = query_with("", "", "", &limit(CONTACTS.len()));
    let ms = srv.report(BOOK, "1", &body).multistatus();
    assert_eq!(
        hrefs(&ms),
        expected(&CONTACTS.iter().map(|c| c.0).collect::<Vec<_>>())
    );
    // The limit counts matches, not candidates: six names hold an "o".
    let body = query_with("", &text("FN", "", "o"), "", &limit(2));
    let ms = srv.report(BOOK, "1", &body).multistatus();
    assert!(ms.responses.iter().any(|r| r.status == Some(507)));
    assert_eq!(ms.responses.len(), 3);
}

#[test]
fn addressbook_query_refusals_name_their_precondition() {
    let srv = server();
    let cases = [
        (
            query("", &text("FN", r#"collation="i;klingon""#, "x")),
            CARD,
            "supported-collation",
        ),
        (
            query("", &text("FN", r#"match-type="regex""#, "x")),
            CARD,
            "supported-filter",
        ),
        (
            query(
                "",
                r#"<C:prop-filter name="FN"><C:time-range/></C:prop-filter>"#,
            ),
            CARD,
            "supported-filter",
        ),
        (
            query_with("", "", r#"<C:address-data version="2.1"/>"#, ""),
            CARD,
            "supported-address-data",
        ),
        (
            query_with(
                "",
                "",
                r#"<C:address-data content-type="text/calendar"/>"#,
                "",
            ),
            CARD,
            "supported-address-data",
        ),
    ];
    for (body, ns, name) in cases {
        let r = srv.report(BOOK, "1", &body);
        r.expect(403);
        r.expect_condition(ns, name);
    }
    // Malformed input is a plain 400: no filter, a bad test, nresults 0.
    let no_filter = format!(
        r#"<C:addressbook-query xmlns:D="DAV:" xmlns:C="{CARD}"><D:prop><D:getetag/></D:prop></C:addressbook-query>"#
    );
    srv.report(BOOK, "1", &no_filter).expect(400);
    srv.report(BOOK, "1", &query(r#"test="some""#, ""))
        .expect(400);
    let zero = query_with("", "", "", "<C:limit><C:nresults>0</C:nresults></C:limit>");
    srv.report(BOOK, "1", &zero).expect(400);
}

fn multiget(data: &str, hrefs: &[&str]) -> String {
    let hrefs: String = hrefs
        .iter()
        .map(|h| format!("<D:href>{h}</D:href>"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:addressbook-multiget xmlns:D="DAV:" xmlns:C="{CARD}"><D:prop>{data}</D:prop>{hrefs}</C:addressbook-multiget>"#
    )
}

#[test]
fn addressbook_multiget_returns_bytes_conversions_and_404s() {
    let srv = server();
    let (alice, bob) = (href("alice"), href("bob"));
    let missing = href("nobody");
    let calendar_object = "/demo/work/focus-time.ics";
    let ms = srv
        .report(
            BOOK,
            "1",
            &multiget(
                "<C:address-data/>",
                &[&alice, &missing, &bob, calendar_object],
            ),
        )
        .multistatus();
    assert_eq!(ms.responses.len(), 4);
    for stem in ["alice", "bob"] {
        let file = srv.read(&format!("demo/book/{stem}.vcf"));
        assert_eq!(
            ms.get(&href(stem)).ok(CARD, "address-data").text.as_bytes(),
            file
        );
    }
    assert_eq!(ms.get(&missing).status, Some(404));
    assert_eq!(ms.get(calendar_object).status, Some(404));
    // 3.0 asked of a 4.0 card and the other way round.
    for (stem, version, other) in [("alice", "4.0", "3.0"), ("bob", "3.0", "4.0")] {
        let data = format!(r#"<C:address-data content-type="text/vcard" version="{version}"/>"#);
        let ms = srv
            .report(BOOK, "1", &multiget(&data, &[&href(stem)]))
            .multistatus();
        let card = ms.get(&href(stem)).ok(CARD, "address-data").text.clone();
        assert!(card.contains(&format!("VERSION:{version}")), "{card}");
        assert!(!card.contains(&format!("VERSION:{other}")), "{card}");
        assert!(card.contains(&format!("UID:{stem}-uid")), "{card}");
    }
    // Bounded as calendar-multiget is.
    let many: Vec<String> = (0..10_001).map(|i| href(&format!("c{i}"))).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    srv.report(BOOK, "1", &multiget("", &many)).expect(400);
    srv.report(
        BOOK,
        "1",
        &multiget("<C:address-data version=\"5.0\"/>", &[&alice]),
    )
    .expect_condition(CARD, "supported-address-data");
}

/// A multiget is tried on the server's async worker first and served there
/// only where nothing had to wait; right after writes (the collection's lock
/// busy, its directory just changed) and with a body beyond what is held,
/// it must answer exactly as on the blocking pool: the latest bytes, never
/// a 404 for a contact it could not read there.
#[test]
fn addressbook_multiget_right_after_writes_and_when_large_answers_in_full() {
    let srv = server();
    let (alice, bob) = (href("alice"), href("bob"));
    for round in 0..30 {
        let card = vcard(
            "alice",
            "4.0",
            &format!("FN:Alice\r\nNOTE:round {round}\r\n"),
        );
        srv.put_vcf(&alice, &card).expect(204);
        let ms = srv
            .report(
                BOOK,
                "1",
                &multiget("<D:getetag/><C:address-data/>", &[&alice, &bob]),
            )
            .multistatus();
        assert_eq!(ms.responses.len(), 2);
        let got = &ms.get(&alice).ok(CARD, "address-data").text;
        assert_eq!(got.as_bytes(), card.as_bytes(), "round {round}");
        assert_eq!(ms.get(&bob).status, None, "round {round}: bob not found");
    }
    // Some 700 KB of answer: more than the worker holds, so it streams
    // from the pool, whole.
    let photo = format!("PHOTO;ENCODING=b;TYPE=JPEG:{}\r\n", "QUJD".repeat(18_000));
    let mut names = Vec::new();
    for i in 0..10 {
        let stem = format!("big{i}");
        srv.put_vcf(
            &href(&stem),
            &vcard(&stem, "3.0", &format!("FN:Big {i}\r\n{photo}")),
        )
        .expect(201);
        names.push(href(&stem));
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let ms = srv
        .report(BOOK, "1", &multiget("<C:address-data/>", &names))
        .multistatus();
    assert_eq!(ms.responses.len(), 10);
    for (i, name) in names.iter().enumerate() {
        let file = srv.read(&format!("demo/book/big{i}.vcf"));
        assert_eq!(ms.get(name).ok(CARD, "address-data").text.as_bytes(), file);
    }
}

fn sync_body(token: &str, limit: Option<usize>) -> String {
    let limit = limit
        .map(|n| format!("<D:limit><D:nresults>{n}</D:nresults></D:limit>"))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="{CARD}"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>{limit}<D:prop><C:address-data version="4.0"/></D:prop></D:sync-collection>"#
    )
}

#[test]
fn sync_collection_on_an_address_book() {
    let srv = server();
    let ms = srv.report(BOOK, "0", &sync_body("", None)).multistatus();
    let all: Vec<&str> = CONTACTS.iter().map(|c| c.0).collect();
    assert_eq!(hrefs(&ms), expected(&all));
    let card = ms.get(&href("alice")).ok(CARD, "address-data").text.clone();
    assert!(
        card.contains("VERSION:4.0"),
        "sync converts as asked: {card}"
    );
    let token = ms.sync_token.expect("a sync-token");
    // Hand edits: one new contact, one changed, one removed.
    let dir = srv.file("demo/book");
    std::fs::write(dir.join("new.vcf"), vcard("new", "4.0", "FN:New One\r\n")).unwrap();
    std::fs::write(
        dir.join("eve.vcf"),
        vcard("eve", "4.0", "FN:Eve Edited\r\n"),
    )
    .unwrap();
    std::fs::remove_file(dir.join("zoe.vcf")).unwrap();
    let mut last = None;
    let seen = wait_until(10, || {
        let ms = srv
            .report(BOOK, "0", &sync_body(&token, None))
            .multistatus();
        let done = ms.responses.len() == 3;
        last = Some(ms);
        done
    });
    let ms = last.unwrap();
    assert!(seen, "{:#?}", ms.responses);
    assert_eq!(hrefs(&ms), expected(&["eve", "new", "zoe"]));
    assert_eq!(ms.get(&href("zoe")).status, Some(404));
    assert!(ms
        .get(&href("eve"))
        .ok(CARD, "address-data")
        .text
        .contains("Eve Edited"));
    // DAV:limit: cut with a 507 for the address book, and a token that continues.
    let ms = srv
        .report(BOOK, "0", &sync_body(&token, Some(1)))
        .multistatus();
    assert_eq!(ms.get(BOOK).status, Some(507));
    assert_eq!(ms.responses.len(), 2, "{:#?}", ms.responses);
    let next = ms.sync_token.unwrap();
    let rest = srv.report(BOOK, "0", &sync_body(&next, None)).multistatus();
    assert_eq!(rest.responses.len(), 2, "{:#?}", rest.responses);
}

#[test]
fn reports_of_one_kind_are_refused_on_the_other() {
    let srv = server();
    let calendar_query = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;
    let calendar_multiget = r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><D:href>/demo/book/alice.vcf</D:href></C:calendar-multiget>"#;
    let free_busy = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260101T000000Z" end="20260201T000000Z"/></C:free-busy-query>"#;
    for body in [calendar_query, calendar_multiget, free_busy] {
        for target in [BOOK.to_string(), href("alice")] {
            let r = srv.report(&target, "1", body);
            r.expect(403);
            r.expect_condition(DAV, "supported-report");
        }
    }
    let card_query = query("", "");
    let card_multiget = multiget("", &["/demo/work/focus-time.ics"]);
    for body in [card_query, card_multiget] {
        for target in ["/demo/work/", "/demo/work/focus-time.ics", "/demo/"] {
            let r = srv.report(target, "1", &body);
            r.expect(403);
            r.expect_condition(DAV, "supported-report");
        }
    }
}
