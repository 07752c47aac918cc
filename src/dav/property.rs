//! Property names: the live properties caldir computes, as a typed enum, and
//! any other (dead) property by its expanded name.

use super::xml::{CALDAV, CS, DAV, ICAL};

/// An expanded XML name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PropName {
    pub ns: String,
    pub name: String,
}

impl PropName {
    pub fn new(ns: &str, name: &str) -> Self {
        PropName {
            ns: ns.to_string(),
            name: name.to_string(),
        }
    }

    /// `{namespace}name`, the key dead properties are stored under.
    pub fn key(&self) -> String {
        format!("{{{}}}{}", self.ns, self.name)
    }

    pub fn live(&self) -> Option<Live> {
        Live::ALL.iter().copied().find(|l| {
            let (ns, name) = l.name();
            ns == self.ns && name == self.name
        })
    }
}

/// Live properties, computed from the store rather than stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Live {
    ResourceType,
    DisplayName,
    GetEtag,
    GetContentType,
    GetContentLength,
    GetLastModified,
    CurrentUserPrincipal,
    CurrentUserPrivilegeSet,
    PrincipalUrl,
    PrincipalCollectionSet,
    Owner,
    SupportedReportSet,
    SyncToken,
    CalendarHomeSet,
    CalendarUserAddressSet,
    CalendarDescription,
    CalendarTimezone,
    SupportedCalendarComponentSet,
    SupportedCalendarData,
    SupportedCollationSet,
    MaxResourceSize,
    CalendarColor,
    CalendarOrder,
    GetCtag,
    CalendarData,
}

impl Live {
    pub const ALL: [Live; 25] = [
        Live::ResourceType,
        Live::DisplayName,
        Live::GetEtag,
        Live::GetContentType,
        Live::GetContentLength,
        Live::GetLastModified,
        Live::CurrentUserPrincipal,
        Live::CurrentUserPrivilegeSet,
        Live::PrincipalUrl,
        Live::PrincipalCollectionSet,
        Live::Owner,
        Live::SupportedReportSet,
        Live::SyncToken,
        Live::CalendarHomeSet,
        Live::CalendarUserAddressSet,
        Live::CalendarDescription,
        Live::CalendarTimezone,
        Live::SupportedCalendarComponentSet,
        Live::SupportedCalendarData,
        Live::SupportedCollationSet,
        Live::MaxResourceSize,
        Live::CalendarColor,
        Live::CalendarOrder,
        Live::GetCtag,
        Live::CalendarData,
    ];

    pub fn name(self) -> (&'static str, &'static str) {
        match self {
            Live::ResourceType => (DAV, "resourcetype"),
            Live::DisplayName => (DAV, "displayname"),
            Live::GetEtag => (DAV, "getetag"),
            Live::GetContentType => (DAV, "getcontenttype"),
            Live::GetContentLength => (DAV, "getcontentlength"),
            Live::GetLastModified => (DAV, "getlastmodified"),
            Live::CurrentUserPrincipal => (DAV, "current-user-principal"),
            Live::CurrentUserPrivilegeSet => (DAV, "current-user-privilege-set"),
            Live::PrincipalUrl => (DAV, "principal-URL"),
            Live::PrincipalCollectionSet => (DAV, "principal-collection-set"),
            Live::Owner => (DAV, "owner"),
            Live::SupportedReportSet => (DAV, "supported-report-set"),
            Live::SyncToken => (DAV, "sync-token"),
            Live::CalendarHomeSet => (CALDAV, "calendar-home-set"),
            Live::CalendarUserAddressSet => (CALDAV, "calendar-user-address-set"),
            Live::CalendarDescription => (CALDAV, "calendar-description"),
            Live::CalendarTimezone => (CALDAV, "calendar-timezone"),
            Live::SupportedCalendarComponentSet => (CALDAV, "supported-calendar-component-set"),
            Live::SupportedCalendarData => (CALDAV, "supported-calendar-data"),
            Live::SupportedCollationSet => (CALDAV, "supported-collation-set"),
            Live::MaxResourceSize => (CALDAV, "max-resource-size"),
            Live::CalendarColor => (ICAL, "calendar-color"),
            Live::CalendarOrder => (ICAL, "calendar-order"),
            Live::GetCtag => (CS, "getctag"),
            Live::CalendarData => (CALDAV, "calendar-data"),
        }
    }

    pub fn prop_name(self) -> PropName {
        let (ns, name) = self.name();
        PropName::new(ns, name)
    }

    /// Whether PROPPATCH may change it (on a calendar).
    pub fn writable(self) -> bool {
        matches!(
            self,
            Live::DisplayName
                | Live::CalendarDescription
                | Live::CalendarTimezone
                | Live::CalendarColor
                | Live::CalendarOrder
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for l in Live::ALL {
            assert_eq!(l.prop_name().live(), Some(l));
        }
        assert_eq!(PropName::new("urn:x", "y").live(), None);
        assert_eq!(PropName::new("urn:x", "y").key(), "{urn:x}y");
    }
}
