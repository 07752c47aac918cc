//! Reading a `push-register` body (draft-bitfire-webdav-push §4.1) and
//! writing a `push-message`. Lenient where real clients are: DAVx5 sends no
//! `trigger` and no `content-encoding`, which mean a content update of depth
//! 1 and `aes128gcm`.

use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::dav::xml::{escape, Element, DAV};

use super::{PushError, NS};

/// A subscription as a client asked for it, checked for form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    pub push_resource: String,
    /// base64url of the 65-byte uncompressed P-256 point.
    pub public_key: String,
    /// base64url of the 16-byte auth secret.
    pub auth_secret: String,
    pub expires: Option<SystemTime>,
}

pub fn parse_register(root: &Element) -> Result<Register, PushError> {
    if !root.is(NS, "push-register") {
        return Err(invalid("the body is not a push-register"));
    }
    let sub = root
        .child(NS, "subscription")
        .and_then(|s| s.child(NS, "web-push-subscription"))
        .ok_or_else(|| invalid("no web-push-subscription"))?;
    let text = |name: &str| sub.child(NS, name).map(|e| e.text.trim().to_string());
    let push_resource = text("push-resource").ok_or_else(|| invalid("no push-resource"))?;
    if let Some(enc) = text("content-encoding") {
        if enc != "aes128gcm" {
            return Err(invalid("content-encoding other than aes128gcm"));
        }
    }
    let key_el = sub
        .child(NS, "subscription-public-key")
        .ok_or_else(|| invalid("no subscription-public-key"))?;
    if key_el.attr("type").is_some_and(|t| t != "p256dh") {
        return Err(invalid("subscription-public-key type other than p256dh"));
    }
    let public_key = key_el.text.trim().to_string();
    let key =
        decode(&public_key).ok_or_else(|| invalid("subscription-public-key not base64url"))?;
    web_push_native::p256::PublicKey::from_sec1_bytes(&key)
        .map_err(|_| invalid("subscription-public-key is no P-256 point"))?;
    let auth_secret = text("auth-secret").ok_or_else(|| invalid("no auth-secret"))?;
    if decode(&auth_secret).map(|a| a.len()) != Some(16) {
        return Err(invalid("auth-secret is not 16 bytes of base64url"));
    }
    if let Some(trigger) = root.child(NS, "trigger") {
        // Only content updates are sent (depth 1, the lowest we support for
        // any depth asked); a request for property updates alone gets none.
        if trigger.child(NS, "content-update").is_none() {
            return Err(PushError::NoSupportedTrigger);
        }
    }
    let expires = match root.child(NS, "expires") {
        Some(e) => Some(
            httpdate::parse_http_date(e.text.trim())
                .map_err(|_| invalid("expires is not an HTTP date"))?,
        ),
        None => None,
    };
    Ok(Register {
        push_resource,
        public_key,
        auth_secret,
        expires,
    })
}

/// Accepts base64url with or without padding, and plain base64 as some
/// clients send it.
fn decode(text: &str) -> Option<Vec<u8>> {
    let t = text.trim().trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(t).ok().or_else(|| {
        URL_SAFE_NO_PAD
            .decode(t.replace('+', "-").replace('/', "_"))
            .ok()
    })
}

fn invalid(why: &str) -> PushError {
    PushError::InvalidSubscription(why.to_string())
}

/// The expiry a registration gets: the client's, within [1 s, `max`] from now.
pub fn expiry(asked: Option<SystemTime>, max: Duration) -> SystemTime {
    let now = SystemTime::now();
    let latest = now + max;
    match asked {
        Some(t) if t < now + Duration::from_secs(1) => now + Duration::from_secs(1),
        Some(t) if t < latest => t,
        _ => latest,
    }
}

/// The message for a content update of the collection with `topic`.
pub fn push_message(topic: &str, sync_token: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<P:push-message xmlns:P=\"{NS}\" xmlns:D=\"{DAV}\"><P:topic>{}</P:topic><P:content-update><D:sync-token>{}</D:sync-token></P:content-update></P:push-message>",
        escape(topic),
        escape(sync_token)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";

    fn body(inner: &str, trigger: &str) -> Element {
        let doc = format!(
            "<push-register xmlns=\"{NS}\" xmlns:D=\"DAV:\"><subscription><web-push-subscription>{inner}</web-push-subscription></subscription>{trigger}<expires>Wed, 20 Dec 2023 10:03:31 GMT</expires></push-register>"
        );
        crate::dav::xml::parse(doc.as_bytes()).unwrap()
    }

    fn sub(key: &str, auth: &str) -> String {
        format!("<push-resource>https://up.example.net/x</push-resource><subscription-public-key type=\"p256dh\">{key}</subscription-public-key><auth-secret>{auth}</auth-secret>")
    }

    #[test]
    fn davx5_form_and_refusals() {
        let ok = parse_register(&body(&sub(KEY, "BTBZMqHH6r4Tts7J_aSIgg"), "")).unwrap();
        assert_eq!(ok.push_resource, "https://up.example.net/x");
        assert!(ok.expires.is_some());
        let with_trigger =
            "<trigger><content-update><D:depth>infinity</D:depth></content-update></trigger>";
        assert!(parse_register(&body(&sub(KEY, "BTBZMqHH6r4Tts7J_aSIgg"), with_trigger)).is_ok());
        let props_only =
            "<trigger><property-update><D:depth>0</D:depth></property-update></trigger>";
        assert!(matches!(
            parse_register(&body(&sub(KEY, "BTBZMqHH6r4Tts7J_aSIgg"), props_only)),
            Err(PushError::NoSupportedTrigger)
        ));
        for (key, auth) in [
            ("AAAA", "BTBZMqHH6r4Tts7J_aSIgg"),
            (KEY, "short"),
            ("!!", "x"),
        ] {
            assert!(matches!(
                parse_register(&body(&sub(key, auth), "")),
                Err(PushError::InvalidSubscription(_))
            ));
        }
        let gcm = format!(
            "{}<content-encoding>aesgcm</content-encoding>",
            sub(KEY, "BTBZMqHH6r4Tts7J_aSIgg")
        );
        assert!(parse_register(&body(&gcm, "")).is_err());
    }

    #[test]
    fn expiry_is_bounded() {
        let max = Duration::from_secs(3600);
        let now = SystemTime::now();
        assert!(expiry(None, max) <= now + max + Duration::from_secs(1));
        assert!(expiry(Some(now + max * 10), max) <= now + max + Duration::from_secs(1));
        assert!(expiry(Some(now - max), max) > now);
    }
}
