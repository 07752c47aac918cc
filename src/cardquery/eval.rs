//! Evaluation of a parsed CARDDAV:filter against one vCard (RFC 6352
//! §10.5): property names and groups compare case-insensitively, and a
//! prop-filter's tests are combined on one property instance at a time, so
//! `allof` on EMAIL asks for one address satisfying every test.

use calcard::vcard::{VCard, VCardEntry};
use calcard::{Entry, Parser};

use super::filter::{Filter, ParamCond, ParamFilter, PropCond, PropFilter, Test};
use crate::vcard::texts::{param_texts, property_texts};

/// True when the vCard text satisfies the filter; text that does not parse
/// as one vCard never matches.
pub fn matches(vcf: &str, filter: &Filter) -> bool {
    if filter.props.is_empty() {
        return matches_whole(vcf, filter);
    }
    matches_whole(&super::narrow::narrow(vcf, filter), filter)
}

/// [`matches`] parsing every line of the vCard.
pub(super) fn matches_whole(vcf: &str, filter: &Filter) -> bool {
    match Parser::new(crate::bom::strip(vcf)).entry() {
        Entry::VCard(card) => matches_card(&card, filter),
        _ => false,
    }
}

/// [`matches`] on an already parsed vCard.
pub fn matches_card(card: &VCard, filter: &Filter) -> bool {
    if filter.props.is_empty() {
        return true;
    }
    combine(filter.test, filter.props.iter(), |pf| {
        prop_matches(card, pf)
    })
}

fn combine<T>(test: Test, mut items: impl Iterator<Item = T>, f: impl FnMut(T) -> bool) -> bool {
    match test {
        Test::AnyOf => items.any(f),
        Test::AllOf => items.all(f),
    }
}

/// True when the property carries the filter's name (and group, if given).
fn is_named(entry: &VCardEntry, pf: &PropFilter) -> bool {
    entry.name.as_str().eq_ignore_ascii_case(&pf.name)
        && pf.group.as_deref().is_none_or(|g| {
            entry
                .group
                .as_deref()
                .is_some_and(|eg| eg.eq_ignore_ascii_case(g))
        })
}

fn prop_matches(card: &VCard, pf: &PropFilter) -> bool {
    let mut named = card.entries.iter().filter(|e| is_named(e, pf));
    let PropCond::Match { texts, params } = &pf.cond else {
        return named.next().is_none();
    };
    if texts.is_empty() && params.is_empty() {
        return named.next().is_some();
    }
    named.any(|entry| {
        let values = property_texts(entry);
        let text_ok = |tm: &super::TextMatch| tm.matches_any(values.iter().map(String::as_str));
        match pf.test {
            Test::AnyOf => {
                texts.iter().any(text_ok) || params.iter().any(|f| param_matches(entry, f))
            }
            Test::AllOf => {
                texts.iter().all(text_ok) && params.iter().all(|f| param_matches(entry, f))
            }
        }
    })
}

fn param_matches(entry: &VCardEntry, f: &ParamFilter) -> bool {
    let values = param_texts(entry, &f.name);
    match (&f.cond, values) {
        (ParamCond::IsNotDefined, v) => v.is_none(),
        (_, None) => false,
        (ParamCond::Defined, Some(_)) => true,
        (ParamCond::Text(tm), Some(v)) => tm.matches_any(v.iter().map(String::as_str)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cardquery::filter::tests::filter;

    const JANE: &str = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:jane\r\nFN:Jane Doe\r\n\
        N:Doe;Jane;Mary,Ann;Dr.;\r\n\
        item1.EMAIL;TYPE=work,home:jane@Example.com\r\n\
        EMAIL;TYPE=home;TYPE=pref:jd@home.example\r\n\
        TEL;VALUE=uri;TYPE=cell:tel:+1-555-0100\r\n\
        ADR;TYPE=work:;;1 Main St;Springfield;;12345;USA\r\n\
        NICKNAME:JD,Janie\r\nBDAY:19850412\r\nCATEGORIES:friends,Straße\r\nEND:VCARD\r\n";

    const BOB: &str =
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bob\r\nFN:Bob\r\nN:Smith;Bob;;;\r\nEND:VCARD\r\n";

    fn run(attrs: &str, xml: &str, card: &str) -> bool {
        matches(card, &filter(attrs, xml).unwrap())
    }

    fn pf(name: &str, inner: &str) -> String {
        format!(r#"<C:prop-filter name="{name}">{inner}</C:prop-filter>"#)
    }

    fn tm(attrs: &str, text: &str) -> String {
        format!(r#"<C:text-match {attrs}>{text}</C:text-match>"#)
    }

    #[test]
    fn property_tests() {
        let table: &[(String, bool, bool)] = &[
            // (prop-filter, matches JANE, matches BOB)
            (pf("FN", ""), true, true),
            (pf("fn", &tm("", "doe")), true, false),
            (pf("NICKNAME", ""), true, false),
            (pf("NICKNAME", "<C:is-not-defined/>"), false, true),
            (
                pf("EMAIL", &tm(r#"match-type="equals""#, "JANE@example.COM")),
                true,
                false,
            ),
            (pf("item1.EMAIL", &tm("", "jane@")), true, false),
            (pf("ITEM1.email", &tm("", "jd@")), false, false),
            (pf("item2.EMAIL", ""), false, false),
            (
                pf("EMAIL", &tm(r#"collation="i;octet""#, "example.com")),
                false,
                false,
            ),
            (
                pf("EMAIL", &tm(r#"match-type="starts-with""#, "jd@")),
                true,
                false,
            ),
            // N: the whole structured text, or any one component.
            (pf("N", &tm(r#"match-type="equals""#, "Doe")), true, false),
            (pf("N", &tm(r#"match-type="equals""#, "ann")), true, false),
            (
                pf("N", &tm(r#"match-type="starts-with""#, "doe;jane;mary,ann")),
                true,
                false,
            ),
            (
                pf("N", &tm(r#"match-type="equals""#, "Smith;Bob;;;")),
                false,
                true,
            ),
            (
                pf("ADR", &tm(r#"match-type="equals""#, "springfield")),
                true,
                false,
            ),
            (
                pf("NICKNAME", &tm(r#"match-type="equals""#, "janie")),
                true,
                false,
            ),
            (
                pf("CATEGORIES", &tm(r#"match-type="equals""#, "STRASSE")),
                true,
                false,
            ),
            (
                pf("BDAY", &tm(r#"match-type="ends-with""#, "0412")),
                true,
                false,
            ),
            (pf("TEL", &tm("", "555-0100")), true, false),
            // negate-condition: no FN contains "doe" / no EMAIL ends with ".org".
            (
                pf("FN", &tm(r#"negate-condition="yes""#, "doe")),
                false,
                true,
            ),
            (
                pf(
                    "EMAIL",
                    &tm(r#"negate-condition="yes" match-type="ends-with""#, ".org"),
                ),
                true,
                false,
            ),
        ];
        for (xml, jane, bob) in table {
            assert_eq!(run("", xml, JANE), *jane, "JANE {xml}");
            assert_eq!(run("", xml, BOB), *bob, "BOB {xml}");
        }
    }

    #[test]
    fn parameter_tests() {
        let param = |name: &str, inner: &str| {
            format!(r#"<C:param-filter name="{name}">{inner}</C:param-filter>"#)
        };
        let table: &[(String, bool)] = &[
            (pf("EMAIL", &param("type", "")), true),
            (
                pf(
                    "EMAIL",
                    &param("TYPE", &tm(r#"match-type="equals""#, "WORK")),
                ),
                true,
            ),
            (
                pf(
                    "EMAIL",
                    &param(
                        "TYPE",
                        &tm(r#"collation="i;octet" match-type="equals""#, "work"),
                    ),
                ),
                true,
            ),
            (
                pf(
                    "EMAIL",
                    &param(
                        "TYPE",
                        &tm(r#"collation="i;octet" match-type="equals""#, "HOME"),
                    ),
                ),
                true,
            ),
            (pf("EMAIL", &param("TYPE", &tm("", "pref"))), true),
            (pf("ADR", &param("TYPE", &tm("", "home"))), false),
            (pf("EMAIL", &param("LABEL", "")), false),
            (pf("EMAIL", &param("LABEL", "<C:is-not-defined/>")), true),
            (pf("FN", &param("TYPE", "<C:is-not-defined/>")), true),
            (
                pf(
                    "TEL",
                    &param("TYPE", &tm(r#"negate-condition="yes""#, "cell")),
                ),
                false,
            ),
        ];
        for (xml, want) in table {
            assert_eq!(run("", xml, JANE), *want, "{xml}");
        }
    }

    #[test]
    fn anyof_and_allof() {
        let home_only = |test: &str| {
            format!(
                r#"<C:prop-filter name="EMAIL" test="{test}">{}<C:param-filter name="TYPE">{}</C:param-filter></C:prop-filter>"#,
                tm("", "jane@"),
                tm(r#"match-type="equals""#, "pref")
            )
        };
        // No single EMAIL is both jane@ and TYPE=pref; one of them is either.
        assert!(run("", &home_only("anyof"), JANE));
        assert!(!run("", &home_only("allof"), JANE));

        let two = format!("{}{}", pf("FN", &tm("", "jane")), pf("NICKNAME", ""));
        assert!(run(r#"test="allof""#, &two, JANE));
        assert!(!run(r#"test="allof""#, &two, BOB));
        assert!(!run(r#"test="anyof""#, &two, BOB));
        let either = format!("{}{}", pf("FN", &tm("", "bob")), pf("NICKNAME", ""));
        assert!(run("", &either, BOB));
        assert!(run("", &either, JANE));
    }

    #[test]
    fn empty_filter_matches_all_and_garbage_never() {
        assert!(run("", "", JANE));
        assert!(run(r#"test="allof""#, "", BOB));
        assert!(!run("", "", "not a vcard"));
        assert!(!run(
            "",
            &pf("FN", "<C:is-not-defined/>"),
            "BEGIN:VEVENT\r\nEND:VEVENT\r\n"
        ));
    }
}
