//! The CARDDAV:filter element (RFC 6352 §10.5) and CARDDAV:limit (§10.6)
//! parsed into typed values, so a malformed query is refused once, before
//! any vCard is looked at.

use crate::dav::xml::Element;

use super::error::CardQueryError;
use super::CARDDAV;
use crate::dav::text_match::{Dialect, TextMatch};

/// Most elements a filter may hold; real clients send a handful, and each
/// one costs work on every vCard of the address book.
pub const MAX_FILTER_ELEMENTS: usize = 1_000;

/// Largest CARDDAV:nresults honoured; larger requests are cut to it (the
/// server MAY disregard the client's limit, RFC 6352 §10.6.1).
pub const MAX_NRESULTS: u32 = 100_000;

/// How several tests combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// Logical OR (the default).
    AnyOf,
    /// Logical AND.
    AllOf,
}

/// A parsed CARDDAV:filter. With no prop-filter it matches every vCard
/// (clients send an empty filter to list an address book).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub test: Test,
    pub props: Vec<PropFilter>,
}

/// CARDDAV:prop-filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropFilter {
    /// Upper-cased group when the name had one (`X-ABC.TEL`): then only
    /// properties of exactly that group match; without one, any group does.
    pub group: Option<String>,
    /// Upper-cased property name.
    pub name: String,
    pub test: Test,
    pub cond: PropCond,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropCond {
    IsNotDefined,
    /// Both empty: the property only has to exist.
    Match {
        texts: Vec<TextMatch>,
        params: Vec<ParamFilter>,
    },
}

/// CARDDAV:param-filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFilter {
    /// Upper-cased parameter name.
    pub name: String,
    pub cond: ParamCond,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamCond {
    /// The parameter only has to exist.
    Defined,
    IsNotDefined,
    Text(TextMatch),
}

fn malformed(msg: impl Into<String>) -> CardQueryError {
    CardQueryError::Malformed(msg.into())
}

/// Parses a CARDDAV:filter element.
pub fn parse_filter(el: &Element) -> Result<Filter, CardQueryError> {
    if !el.is(CARDDAV, "filter") {
        return Err(malformed("expected CARDDAV:filter"));
    }
    if count_elements(el, MAX_FILTER_ELEMENTS + 1) > MAX_FILTER_ELEMENTS {
        return Err(malformed(format!(
            "a filter may hold at most {MAX_FILTER_ELEMENTS} elements"
        )));
    }
    let props = carddav_children(el)
        .map(|c| match c.name.as_str() {
            "prop-filter" => prop_filter(c),
            other => Err(unsupported(other, "filter")),
        })
        .collect::<Result<_, _>>()?;
    Ok(Filter {
        test: test_attr(el)?,
        props,
    })
}

/// Parses a CARDDAV:limit element into its nresults (at least 1, at most
/// [`MAX_NRESULTS`]).
pub fn parse_limit(el: &Element) -> Result<u32, CardQueryError> {
    if !el.is(CARDDAV, "limit") {
        return Err(malformed("expected CARDDAV:limit"));
    }
    let n = el
        .child(CARDDAV, "nresults")
        .ok_or_else(|| malformed("limit needs nresults"))?;
    let text = n.text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(format!("nresults must be digits, not {text:?}")));
    }
    let digits = text.trim_start_matches('0');
    if digits.is_empty() {
        return Err(malformed("nresults must be positive"));
    }
    // Too many digits for u32 is simply more than the cap.
    Ok(digits
        .parse::<u32>()
        .map_or(MAX_NRESULTS, |v| v.min(MAX_NRESULTS)))
}

/// Elements in the subtree, counting stops once past `cap`.
fn count_elements(el: &Element, cap: usize) -> usize {
    let mut n = 1;
    for c in &el.children {
        if n > cap {
            break;
        }
        n += count_elements(c, cap - n);
    }
    n
}

/// CardDAV children; elements of other namespaces are ignored (RFC 4918 §17).
fn carddav_children(el: &Element) -> impl Iterator<Item = &Element> {
    el.children.iter().filter(|c| c.ns == CARDDAV)
}

fn unsupported(name: &str, parent: &str) -> CardQueryError {
    CardQueryError::SupportedFilter(format!("{name} in {parent}"))
}

fn test_attr(el: &Element) -> Result<Test, CardQueryError> {
    match el.attr("test").map(str::trim) {
        None | Some("anyof") => Ok(Test::AnyOf),
        Some("allof") => Ok(Test::AllOf),
        Some(other) => Err(malformed(format!(
            "test must be anyof or allof, not {other:?}"
        ))),
    }
}

fn name_attr(el: &Element) -> Result<&str, CardQueryError> {
    match el.attr("name").map(str::trim) {
        Some(n) if !n.is_empty() => Ok(n),
        _ => Err(malformed(format!("{} needs a name attribute", el.name))),
    }
}

/// Splits `GROUP.NAME` (upper-cased) into its optional group and the name.
pub(super) fn split_group(name: &str) -> (Option<String>, String) {
    match name.rsplit_once('.') {
        Some((g, n)) if !g.is_empty() => (Some(g.to_ascii_uppercase()), n.to_ascii_uppercase()),
        _ => (None, name.to_ascii_uppercase()),
    }
}

fn prop_filter(el: &Element) -> Result<PropFilter, CardQueryError> {
    let (group, name) = split_group(name_attr(el)?);
    if name.is_empty() {
        return Err(malformed("prop-filter names no property"));
    }
    let mut not_defined = false;
    let (mut texts, mut params) = (Vec::new(), Vec::new());
    for c in carddav_children(el) {
        match c.name.as_str() {
            "is-not-defined" => not_defined = true,
            "text-match" => texts.push(text_match(c)?),
            "param-filter" => params.push(param_filter(c)?),
            other => return Err(unsupported(other, "prop-filter")),
        }
    }
    let cond = if not_defined {
        if !texts.is_empty() || !params.is_empty() {
            return Err(malformed("is-not-defined must be alone in prop-filter"));
        }
        PropCond::IsNotDefined
    } else {
        PropCond::Match { texts, params }
    };
    Ok(PropFilter {
        group,
        name,
        test: test_attr(el)?,
        cond,
    })
}

fn param_filter(el: &Element) -> Result<ParamFilter, CardQueryError> {
    let name = name_attr(el)?.to_ascii_uppercase();
    let mut cond = ParamCond::Defined;
    for c in carddav_children(el) {
        if cond != ParamCond::Defined {
            return Err(malformed("param-filter holds at most one test"));
        }
        cond = match c.name.as_str() {
            "is-not-defined" => ParamCond::IsNotDefined,
            "text-match" => ParamCond::Text(text_match(c)?),
            other => return Err(unsupported(other, "param-filter")),
        };
    }
    Ok(ParamFilter { name, cond })
}

fn text_match(el: &Element) -> Result<TextMatch, CardQueryError> {
    Ok(TextMatch::new(
        Dialect::CardDav,
        &el.text,
        el.attr("collation"),
        el.attr("negate-condition"),
        el.attr("match-type"),
    )?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cardquery::MatchType;

    /// Parses `<C:filter {attrs}>{xml}</C:filter>` (shared with eval's tests).
    pub(crate) fn filter(attrs: &str, xml: &str) -> Result<Filter, CardQueryError> {
        let doc = format!(r#"<C:filter xmlns:C="{CARDDAV}" {attrs}>{xml}</C:filter>"#);
        parse_filter(&crate::dav::xml::parse(doc.as_bytes()).unwrap())
    }

    fn limit(xml: &str) -> Result<u32, CardQueryError> {
        let doc = format!(r#"<C:limit xmlns:C="{CARDDAV}">{xml}</C:limit>"#);
        parse_limit(&crate::dav::xml::parse(doc.as_bytes()).unwrap())
    }

    #[test]
    fn parses_a_full_filter() {
        let f = filter(
            r#"test="allof""#,
            r#"<C:prop-filter name="item1.email" test="allof">
                 <C:text-match match-type="ends-with" negate-condition="yes">@example.com</C:text-match>
                 <C:param-filter name="type"><C:text-match collation="i;octet">work</C:text-match></C:param-filter>
                 <C:param-filter name="PREF"/>
               </C:prop-filter>
               <C:prop-filter name="NICKNAME"><C:is-not-defined/></C:prop-filter>
               <D:other xmlns:D="DAV:"/>"#,
        )
        .unwrap();
        assert_eq!(f.test, Test::AllOf);
        assert_eq!(f.props.len(), 2);
        let p = &f.props[0];
        assert_eq!(
            (p.group.as_deref(), p.name.as_str()),
            (Some("ITEM1"), "EMAIL")
        );
        assert_eq!(p.test, Test::AllOf);
        let PropCond::Match { texts, params } = &p.cond else {
            panic!("expected a match");
        };
        assert_eq!(texts[0].match_type, MatchType::EndsWith);
        assert!(texts[0].negate);
        assert_eq!(params[0].name, "TYPE");
        assert!(matches!(params[0].cond, ParamCond::Text(_)));
        assert_eq!(params[1].cond, ParamCond::Defined);
        assert_eq!(f.props[1].cond, PropCond::IsNotDefined);
        assert_eq!(f.props[1].test, Test::AnyOf);
        assert_eq!(filter("", "").unwrap().props, vec![]);
    }

    #[test]
    fn rejects_malformed_filters() {
        let bad = [
            (r#"test="some""#, ""),
            ("", r#"<C:prop-filter/>"#),
            ("", r#"<C:prop-filter name=" "/>"#),
            ("", r#"<C:prop-filter name="FN" test="none"/>"#),
            (
                "",
                r#"<C:prop-filter name="FN"><C:is-not-defined/><C:text-match>a</C:text-match></C:prop-filter>"#,
            ),
            (
                "",
                r#"<C:prop-filter name="TEL"><C:param-filter name="TYPE"><C:is-not-defined/><C:text-match>a</C:text-match></C:param-filter></C:prop-filter>"#,
            ),
            (
                "",
                r#"<C:prop-filter name="FN"><C:text-match negate-condition="y">a</C:text-match></C:prop-filter>"#,
            ),
        ];
        for (attrs, xml) in bad {
            assert!(
                matches!(filter(attrs, xml), Err(CardQueryError::Malformed(_))),
                "{attrs} {xml}"
            );
        }
    }

    #[test]
    fn unsupported_parts_are_typed() {
        let unsupported = [
            r#"<C:comp-filter name="VCARD"/>"#,
            r#"<C:prop-filter name="FN"><C:time-range start="20240101T000000Z"/></C:prop-filter>"#,
            r#"<C:prop-filter name="FN"><C:text-match match-type="fuzzy">a</C:text-match></C:prop-filter>"#,
        ];
        for xml in unsupported {
            assert!(
                matches!(filter("", xml), Err(CardQueryError::SupportedFilter(_))),
                "{xml}"
            );
        }
        assert!(matches!(
            filter(
                "",
                r#"<C:prop-filter name="FN"><C:text-match collation="i;nope">a</C:text-match></C:prop-filter>"#
            ),
            Err(CardQueryError::SupportedCollation(_))
        ));
    }

    #[test]
    fn filter_size_is_bounded() {
        let within = r#"<C:prop-filter name="FN"/>"#.repeat(MAX_FILTER_ELEMENTS - 1);
        assert_eq!(
            filter("", &within).unwrap().props.len(),
            MAX_FILTER_ELEMENTS - 1
        );
        let over = r#"<C:prop-filter name="FN"/>"#.repeat(MAX_FILTER_ELEMENTS);
        assert!(matches!(
            filter("", &over),
            Err(CardQueryError::Malformed(_))
        ));
    }

    #[test]
    fn limit_is_a_bounded_positive_integer() {
        assert_eq!(limit("<C:nresults> 25 </C:nresults>"), Ok(25));
        assert_eq!(limit("<C:nresults>007</C:nresults>"), Ok(7));
        assert_eq!(
            limit("<C:nresults>99999999999999999999</C:nresults>"),
            Ok(MAX_NRESULTS)
        );
        for bad in [
            "",
            "<C:nresults/>",
            "<C:nresults>0</C:nresults>",
            "<C:nresults>-3</C:nresults>",
            "<C:nresults>1e3</C:nresults>",
        ] {
            assert!(
                matches!(limit(bad), Err(CardQueryError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
