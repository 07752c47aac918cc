//! Principal search (RFC 3744 §9.4 `DAV:principal-property-search` and §9.5
//! `DAV:principal-search-property-set`): how Thunderbird, Evolution and
//! python caldav look up a user's principal, e.g. an attendee's, by name.
//!
//! A principal is a user's home; its display name is the user name. The
//! `principal_search` setting decides whether other users can be found at
//! all (default: no, they are simply not in the result).

use std::collections::HashSet;

use actix_web::http::StatusCode;

use crate::config::PrincipalSearch;
use crate::dav::href::{Base, DavPath};
use crate::dav::multistatus::ResponseBuilder;
use crate::dav::property::PropName;
use crate::dav::xml::{escape, Element, CALDAV, DAV};
use crate::http::error::{DavError, DavResult};
use crate::http::props::acl::{PRINCIPAL_COLLECTION_SET, PRINCIPAL_URL};
use crate::http::props::caldav::{CALENDAR_HOME_SET, CALENDAR_USER_ADDRESS_SET};
use crate::http::props::webdav::{DISPLAYNAME, RESOURCETYPE};
use crate::http::props::{self, LiveProp};
use crate::http::request::{Reply, Request, XML};
use crate::http::resource::{Ctx, Resource};

/// Properties a search may match on; what `principal-search-property-set` lists.
const SEARCHABLE: [(&LiveProp, &str); 2] = [
    (&DISPLAYNAME, "Name"),
    (&CALENDAR_USER_ADDRESS_SET, "Calendar user address"),
];
/// Properties of another user's principal that a search may reveal.
const PUBLIC: [&LiveProp; 6] = [
    &RESOURCETYPE,
    &DISPLAYNAME,
    &PRINCIPAL_URL,
    &CALENDAR_HOME_SET,
    &CALENDAR_USER_ADDRESS_SET,
    &PRINCIPAL_COLLECTION_SET,
];
/// Bounds on what one search may ask.
const MAX_CONDITIONS: usize = 16;
const MAX_MATCH_LEN: usize = 256;
const MAX_PROPS: usize = 64;

/// One `DAV:property-search`: any of `props` contains `text` (case-insensitive).
struct Condition {
    props: Vec<&'static LiveProp>,
    text: String,
}

pub fn property_search(rq: Request, body: Element) -> DavResult<Reply> {
    let conditions = body
        .children_named(DAV, "property-search")
        .map(condition)
        .collect::<DavResult<Vec<_>>>()?;
    if conditions.len() > MAX_CONDITIONS {
        return Err(DavError::OverLimit {
            what: "property-search elements",
            limit: MAX_CONDITIONS,
        });
    }
    let any_of = body.attr("test") == Some("anyof");
    // A name asked twice is answered once.
    let mut seen = HashSet::new();
    let names: Vec<PropName> = requested(&body)?
        .into_iter()
        .filter(|n| seen.insert(n.clone()))
        .collect();
    if names.len() > MAX_PROPS {
        return Err(DavError::OverLimit {
            what: "properties",
            limit: MAX_PROPS,
        });
    }
    let whole_set = body
        .child(DAV, "apply-to-principal-collection-set")
        .is_some();
    let found: Vec<String> = candidates(&rq, whole_set)?
        .into_iter()
        .filter(|user| {
            let mut hits = conditions.iter().map(|c| matches(c, user, rq.base()));
            if any_of {
                conditions.is_empty() || hits.any(|h| h)
            } else {
                hits.all(|h| h)
            }
        })
        .collect();
    Ok(rq.multistatus(None, move |ctx, out| {
        for user in found {
            write_principal(&Resource::Home { user }, &names, ctx, out.buffer());
        }
    }))
}

/// The `DAV:principal-search-property-set` answer (RFC 3744 §9.5).
pub fn search_property_set() -> Reply {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:principal-search-property-set xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">",
    );
    for (live, description) in SEARCHABLE {
        let (ns, name) = (live.ns, live.name);
        let prefix = if ns == CALDAV { "C" } else { "D" };
        body.push_str(&format!(
            "<D:principal-search-property><D:prop><{prefix}:{name}/></D:prop><D:description xml:lang=\"en\">{}</D:description></D:principal-search-property>",
            escape(description)
        ));
    }
    body.push_str("</D:principal-search-property-set>\n");
    Reply::full(StatusCode::OK, XML, body)
}

/// The properties to return: DAV:prop's children, and property elements
/// placed beside DAV:prop instead of in it, as python caldav 3.6 sends them
/// (`<D:prop/><C:calendar-home-set/><D:displayname/>`).
fn requested(body: &Element) -> DavResult<Vec<PropName>> {
    let mut names = body
        .child(DAV, "prop")
        .map(props::prop_names)
        .transpose()?
        .unwrap_or_default();
    let structural = [
        "prop",
        "property-search",
        "apply-to-principal-collection-set",
    ];
    names.extend(
        body.children
            .iter()
            .filter(|c| !(c.ns == DAV && structural.contains(&c.name.as_str())))
            .map(|c| PropName::new(&c.ns, &c.name)),
    );
    Ok(names)
}

fn condition(el: &Element) -> DavResult<Condition> {
    let text = el
        .child(DAV, "match")
        .map(|m| m.text.trim().to_string())
        .unwrap_or_default();
    if text.len() > MAX_MATCH_LEN {
        return Err(DavError::MatchTooLong);
    }
    // A property nobody can search on matches nothing (no error: clients
    // send what they like, and an empty answer is graceful).
    let props = el
        .child(DAV, "prop")
        .map(props::prop_names)
        .transpose()?
        .unwrap_or_default()
        .iter()
        .filter_map(props::find)
        .filter(|l| SEARCHABLE.iter().any(|(s, _)| s == l))
        .collect();
    Ok(Condition {
        props,
        text: text.to_lowercase(),
    })
}

/// Users whose principal the search looks at: below the request-URI, or the
/// whole principal collection; only the searcher unless searching all is on.
fn candidates(rq: &Request, whole_set: bool) -> DavResult<Vec<String>> {
    let scope: Vec<String> = match (&rq.path, whole_set) {
        (DavPath::Root, _) | (_, true) => rq.store().user_names()?,
        (DavPath::Home { user }, false) => vec![user.clone()],
        _ => Vec::new(),
    };
    Ok(scope
        .into_iter()
        .filter(|u| rq.app.principal_search == PrincipalSearch::All || *u == rq.user)
        .filter(|u| rq.store().home_exists(u))
        .collect())
}

/// The text a property of a user's principal is matched against.
fn matches(c: &Condition, user: &str, base: &Base) -> bool {
    c.props.iter().any(|p| {
        let value = if **p == DISPLAYNAME {
            user.to_string()
        } else {
            base.home(user)
        };
        value.to_lowercase().contains(&c.text)
    })
}

/// One principal's response; another user's shows only its public properties.
fn write_principal(res: &Resource, names: &[PropName], ctx: &Ctx, out: &mut String) {
    let own = matches!(res, Resource::Home { user } if user == ctx.user);
    let mut b = ResponseBuilder::default();
    for name in names {
        let public = props::find(name).is_some_and(|l| PUBLIC.contains(&l));
        if own || public {
            props::add_prop(&mut b, res, name, ctx);
        } else {
            b.add_name(StatusCode::NOT_FOUND, name);
        }
    }
    b.write(&res.href(ctx.base), out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_is_case_insensitive_substring() {
        let c = Condition {
            props: vec![&DISPLAYNAME],
            text: "em".into(),
        };
        assert!(matches(&c, "Demo", &Base::default()));
        assert!(!matches(&c, "alice", &Base::default()));
        let any = Condition {
            props: vec![&DISPLAYNAME],
            text: String::new(),
        };
        assert!(matches(&any, "alice", &Base::default()));
        let none = Condition {
            props: vec![],
            text: String::new(),
        };
        assert!(!matches(&none, "alice", &Base::default()));
    }
}
