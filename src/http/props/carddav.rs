//! The RFC 6352 (CardDAV) properties of principals and address books, so a
//! client finds the address books in the same home as the calendars and
//! learns what a contact may be.

use crate::cardquery::CARDDAV;
use crate::dav::xml::escape_ical;
use crate::http::resource::{Kind, Resource};

use super::acl::{home_user, user_href};
use super::{declare, description, write_description, LiveProp, Write};

declare! { ALL;
    /// RFC 6352 §7.1.1: address books live in the home calendars live in.
    ADDRESSBOOK_HOME_SET = LiveProp {
        ns: CARDDAV,
        name: "addressbook-home-set",
        kinds: &[Kind::Home],
        unlisted: &[],
        get: |res, ctx| Ok(home_user(res).map(|u| user_href(ctx, u))),
        write: Write::Protected,
    };
    /// RFC 6352 §6.2.1, kept in the vdir's `description` file.
    ADDRESSBOOK_DESCRIPTION = LiveProp {
        ns: CARDDAV,
        name: "addressbook-description",
        kinds: &[Kind::AddressBook],
        unlisted: &[],
        get: description,
        write: Write::Always(write_description),
    };
    /// RFC 6352 §6.2.2: the versions `vcard::inspect` accepts.
    SUPPORTED_ADDRESS_DATA = LiveProp {
        ns: CARDDAV,
        name: "supported-address-data",
        kinds: &[Kind::AddressBook],
        unlisted: &[],
        get: |_, _| {
            Ok(Some(
                "<CARD:address-data-type content-type=\"text/vcard\" version=\"3.0\"/>\
                 <CARD:address-data-type content-type=\"text/vcard\" version=\"4.0\"/>"
                    .into(),
            ))
        },
        write: Write::Protected,
    };
    /// RFC 6352 §6.2.3: the bound a PUT body has.
    ADDRESSBOOK_MAX_RESOURCE_SIZE = LiveProp {
        ns: CARDDAV,
        name: "max-resource-size",
        kinds: &[Kind::AddressBook],
        unlisted: &[],
        get: |_, ctx| Ok(Some(ctx.max_resource_size.to_string())),
        write: Write::Protected,
    };
    /// The stored vCard itself, as calendar-data is for events: clients that
    /// PROPFIND it rather than REPORT get the bytes (never by allprop).
    ADDRESS_DATA = LiveProp {
        ns: CARDDAV,
        name: "address-data",
        kinds: &[Kind::Contact],
        unlisted: &[Kind::Contact],
        get: |res, _| {
            Ok(match res {
                Resource::Object { cal, name, .. } => {
                    let (bytes, _) = cal.read(name)?;
                    Some(escape_ical(&String::from_utf8_lossy(&bytes)))
                }
                _ => None,
            })
        },
        write: Write::Protected,
    };
}
