//! Apple configuration profiles: a `.mobileconfig` property list that sets
//! up a CalDAV and a CardDAV account on iOS or macOS in one tap, with a
//! freshly made app password so the device never sees the account password.

use plist::{Dictionary, Value};

use super::client::Origin;
use super::error::WebError;

/// The media type iOS and macOS open as a profile.
pub const CONTENT_TYPE: &str = "application/x-apple-aspen-config";

/// What a profile holds for one user.
pub struct Profile<'a> {
    pub user: &'a str,
    /// The app password made for this profile.
    pub password: &'a str,
    pub origin: &'a Origin,
    /// The user's principal path (`/base/user/`), the same for both services.
    pub principal_path: &'a str,
}

impl Profile<'_> {
    /// The principal's absolute URL.
    pub fn principal_url(&self) -> String {
        format!("{}{}", self.origin.http(), self.principal_path)
    }

    /// A reverse-DNS identifier unique to this server and user, so a second
    /// download replaces the first profile instead of adding another.
    fn identifier(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect()
        };
        format!(
            "org.davdir.{}.{}.{}",
            clean(&self.origin.host),
            self.origin.port,
            clean(self.user)
        )
    }

    /// The profile as an XML property list.
    pub fn to_xml(&self) -> Result<Vec<u8>, WebError> {
        let id = self.identifier();
        let description = format!("{} on {}", self.user, self.origin.host);
        let account = |service: &str, kind: &str| -> Value {
            let mut d = Dictionary::new();
            let s = |v: &str| Value::String(v.to_string());
            d.insert(format!("{service}AccountDescription"), s(&description));
            d.insert(format!("{service}HostName"), s(&self.origin.host));
            d.insert(
                format!("{service}Port"),
                Value::Integer(i64::from(self.origin.port).into()),
            );
            d.insert(format!("{service}PrincipalURL"), s(&self.principal_url()));
            d.insert(
                format!("{service}UseSSL"),
                Value::Boolean(self.origin.https),
            );
            d.insert(format!("{service}Username"), s(self.user));
            d.insert(format!("{service}Password"), s(self.password));
            d.insert(
                "PayloadType".into(),
                s(&format!("com.apple.{kind}.account")),
            );
            d.insert("PayloadIdentifier".into(), s(&format!("{id}.{kind}")));
            d.insert("PayloadUUID".into(), s(&uuid()));
            d.insert("PayloadVersion".into(), Value::Integer(1.into()));
            d.insert(
                "PayloadDisplayName".into(),
                s(&format!("{service} ({description})")),
            );
            Value::Dictionary(d)
        };
        let mut top = Dictionary::new();
        top.insert(
            "PayloadContent".into(),
            Value::Array(vec![
                account("CalDAV", "caldav"),
                account("CardDAV", "carddav"),
            ]),
        );
        top.insert("PayloadType".into(), Value::String("Configuration".into()));
        top.insert("PayloadIdentifier".into(), Value::String(id));
        top.insert("PayloadUUID".into(), Value::String(uuid()));
        top.insert("PayloadVersion".into(), Value::Integer(1.into()));
        top.insert(
            "PayloadDisplayName".into(),
            Value::String(format!("Calendars and contacts: {description}")),
        );
        top.insert(
            "PayloadDescription".into(),
            Value::String(
                "Adds this server's calendars and address books with an app password of their own."
                    .into(),
            ),
        );
        top.insert("PayloadRemovalDisallowed".into(), Value::Boolean(false));
        let mut out = Vec::new();
        Value::Dictionary(top)
            .to_writer_xml(&mut out)
            .map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(out)
    }
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_reads_back_with_both_accounts() {
        let origin = Origin {
            https: true,
            host: "dav.example.org".into(),
            port: 8443,
        };
        let p = Profile {
            user: "demo",
            password: "abcd-efgh",
            origin: &origin,
            principal_path: "/dav/demo/",
        };
        let xml = p.to_xml().unwrap();
        let v = Value::from_reader_xml(xml.as_slice()).unwrap();
        let top = v.as_dictionary().unwrap();
        assert_eq!(
            top.get("PayloadType").and_then(Value::as_string),
            Some("Configuration")
        );
        let content = top.get("PayloadContent").unwrap().as_array().unwrap();
        assert_eq!(content.len(), 2);
        for (payload, service) in content.iter().zip(["CalDAV", "CardDAV"]) {
            let d = payload.as_dictionary().unwrap();
            let get = |k: &str| d.get(&format!("{service}{k}")).cloned().unwrap();
            assert_eq!(
                get("PrincipalURL").as_string(),
                Some("https://dav.example.org:8443/dav/demo/")
            );
            assert_eq!(get("Port").as_signed_integer(), Some(8443));
            assert_eq!(get("UseSSL").as_boolean(), Some(true));
            assert_eq!(get("Password").as_string(), Some("abcd-efgh"));
        }
    }
}
