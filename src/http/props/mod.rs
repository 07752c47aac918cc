//! Live properties, each declared once: its name, the resource kinds that
//! have it, how its value is read and whether (and how) it is written.
//! PROPFIND (prop, allprop, propname), PROPPATCH and the MKCOL/MKCALENDAR
//! bodies all read these declarations; a new collection kind adds a file of
//! declarations here and lists the group in [`GROUPS`].

pub mod acl;
pub mod apple;
pub mod caldav;
pub mod carddav;
pub mod push;
pub mod schedule;
pub mod webdav;

use crate::http::error::PropRefusal;

use crate::dav::multistatus::PropXml;
use crate::dav::property::PropName;
use crate::dav::xml::Element;
use crate::store::PropChange;

use super::error::DavResult;
use super::resource::{Ctx, Kind, Resource};

/// Reads a property's inner XML from a resource of one of its kinds; None
/// where the resource does not have it (e.g. a calendar without description).
pub type Getter = fn(&Resource, &Ctx) -> DavResult<Option<String>>;

/// Turns a set (`remove` false) or remove of the property's element into
/// store changes, or the status that refuses it (RFC 4918 §9.2.1).
pub type Setter = fn(&Element, bool) -> Result<Vec<PropChange>, PropRefusal>;

/// Whether and when a client may write a property.
pub enum Write {
    /// Computed by the server: 403 cannot-modify (RFC 4918 §15).
    Protected,
    /// PROPPATCH, MKCALENDAR and extended MKCOL may set or remove it.
    Always(Setter),
    /// Only given when the collection is made (resourcetype, component set).
    OnCreate(Setter),
}

/// One live property.
pub struct LiveProp {
    pub ns: &'static str,
    pub name: &'static str,
    /// The resource kinds that have it.
    pub kinds: &'static [Kind],
    /// Kinds on which it is answered when asked for by name but not reported
    /// by allprop and propname: calendar-data (RFC 4791 keeps it out of
    /// allprop), and what objects have always answered without listing it.
    pub unlisted: &'static [Kind],
    pub get: Getter,
    pub write: Write,
}

impl LiveProp {
    pub fn prop_name(&self) -> PropName {
        PropName::new(self.ns, self.name)
    }

    /// Whether `name` names this property.
    pub fn is(&self, name: &PropName) -> bool {
        // Local names first: most differ in length, while most properties
        // share one of a few namespaces.
        name.name == self.name && name.ns == self.ns
    }

    /// The setter that applies, or None when the property is protected here.
    pub fn setter(&self, creating: bool) -> Option<Setter> {
        match self.write {
            Write::Always(set) => Some(set),
            Write::OnCreate(set) if creating => Some(set),
            _ => None,
        }
    }

    /// The value on `res`, or None where its kind lacks the property.
    pub fn value(&self, res: &Resource, ctx: &Ctx) -> DavResult<Option<String>> {
        if !self.kinds.contains(&res.kind()) {
            return Ok(None);
        }
        (self.get)(res, ctx)
    }
}

impl PartialEq for LiveProp {
    fn eq(&self, other: &Self) -> bool {
        self.ns == other.ns && self.name == other.name
    }
}

/// Declares a group's properties as statics and lists them in `$list`, so a
/// property is one declaration that no list can miss.
macro_rules! declare {
    ($list:ident; $($(#[$doc:meta])* $id:ident = $def:expr;)*) => {
        $($(#[$doc])* pub static $id: $crate::http::props::LiveProp = $def;)*
        /// Every property this file declares, in allprop order.
        pub static $list: &[&$crate::http::props::LiveProp] = &[$(&$id),*];
    };
}
use declare;

/// Every group, in the order allprop reports them.
const GROUPS: &[&[&LiveProp]] = &[
    webdav::ALL,
    acl::ALL,
    caldav::ALL,
    carddav::ALL,
    apple::ALL,
    push::ALL,
    schedule::ALL,
];

fn all() -> impl Iterator<Item = &'static LiveProp> {
    GROUPS.iter().flat_map(|g| g.iter().copied())
}

/// The live property `name` names, if any.
pub fn find(name: &PropName) -> Option<&'static LiveProp> {
    all().find(|p| p.is(name))
}

/// The live properties allprop and propname report on a resource of `kind`.
pub fn listed_on(kind: Kind) -> impl Iterator<Item = &'static LiveProp> {
    all().filter(move |p| p.kinds.contains(&kind) && !p.unlisted.contains(&kind))
}

/// Dead properties of `res` as (`{ns}name`, element XML); the store has left
/// out any a hand edit broke.
pub fn dead(res: &Resource) -> Vec<(String, String)> {
    match res {
        // Keys that name live properties (the stored calendar-timezone
        // text) are reported through the live property.
        Resource::Collection { props, .. } => props
            .dead()
            .iter()
            .filter(|(key, _)| {
                let name = key.strip_prefix('{').and_then(|k| k.split_once('}'));
                name.is_none_or(|(ns, n)| find(&PropName::new(ns, n)).is_none())
            })
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// A property of `res` by name: live value, stored dead value, or None (404).
pub fn value<'n>(res: &Resource, name: &'n PropName, ctx: &Ctx) -> DavResult<Option<PropXml<'n>>> {
    if let Some(live) = find(name) {
        return Ok(live.value(res, ctx)?.map(|v| PropXml::Value(name, v)));
    }
    if let Resource::Collection { props, .. } = res {
        return Ok(props
            .dead_value(&name.key())
            .map(|xml| PropXml::Raw(xml.to_string())));
    }
    Ok(None)
}

/// The `description` file of a collection, escaped: a calendar's and an
/// address book's description property alike (RFC 4791 §5.2.1, RFC 6352
/// §6.2.1), one vdir file.
fn description(res: &Resource, _: &Ctx) -> DavResult<Option<String>> {
    Ok(match res {
        Resource::Collection { props, .. } => props
            .description
            .as_deref()
            .map(|d| crate::dav::xml::escape(d).into_owned()),
        _ => None,
    })
}

/// Sets or removes the `description` file.
fn write_description(el: &Element, remove: bool) -> Result<Vec<PropChange>, PropRefusal> {
    Ok(vec![PropChange::Description(text(el, remove))])
}

/// An element's trimmed text for a set; None for a remove or an empty value.
fn text(el: &Element, remove: bool) -> Option<String> {
    (!remove)
        .then(|| el.text.trim().to_string())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let names: Vec<PropName> = all().map(LiveProp::prop_name).collect();
        for n in &names {
            assert_eq!(names.iter().filter(|m| *m == n).count(), 1, "{n:?}");
            assert!(find(n).is_some_and(|p| p.is(n)));
        }
        assert!(find(&PropName::new("urn:x", "y")).is_none());
    }

    #[test]
    fn every_property_has_a_kind() {
        assert!(all().all(|p| !p.kinds.is_empty()));
        assert!(listed_on(Kind::Object).all(|p| !p.is(&caldav::CALENDAR_DATA.prop_name())));
        assert!(listed_on(Kind::Contact).all(|p| !p.is(&carddav::ADDRESS_DATA.prop_name())));
    }
}
