//! One iTIP message as an RFC 6047 mail: a short text/plain part for
//! people, and the iTIP object as `text/calendar; method=...` for their
//! calendar program, in one multipart/alternative. Who it is From follows
//! the sender rule (docs/operations.md, "Invitations by mail"): the local
//! user's own address, or the configured `smtp_from` with the user in
//! Reply-To, so replies still reach the user.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

pub use crate::schedule::itip::Method;

/// What scheduling hands to mail: one iTIP object for one outside address.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: Method,
    /// The local user's calendar address (`mailto:...`): the organizer for
    /// REQUEST and CANCEL, the replying attendee for REPLY.
    pub sender: String,
    /// The sender's display name (the CN of ORGANIZER or ATTENDEE).
    pub sender_name: Option<String>,
    /// The outside calendar address (`mailto:...`).
    pub recipient: String,
    /// The whole iTIP VCALENDAR, METHOD included.
    pub itip: String,
}

/// Why a message cannot be made at all (nothing is queued).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0:?} is no mail address")]
    BadAddress(String),
    #[error("cannot build the mail: {0}")]
    Build(String),
}

/// The address of a calendar address: `mailto:` (any case) stripped and
/// percent-decoded, then checked as an RFC 5321 mailbox.
pub fn mail_address(cal_address: &str) -> Result<Address, BuildError> {
    let bad = || BuildError::BadAddress(cal_address.to_string());
    let trimmed = cal_address.trim();
    let bare = match trimmed.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &trimmed[7..],
        _ => return Err(bad()),
    };
    let decoded = percent_encoding::percent_decode_str(bare)
        .decode_utf8()
        .map_err(|_| bad())?;
    decoded.parse::<Address>().map_err(|_| bad())
}

/// The mail for `out`, From the sender or from `smtp_from` (then with the
/// sender in Reply-To).
pub fn build(out: &Outgoing, smtp_from: Option<&Mailbox>) -> Result<Message, BuildError> {
    let sender = Mailbox::new(out.sender_name.clone(), mail_address(&out.sender)?);
    let recipient = Mailbox::new(None, mail_address(&out.recipient)?);
    let summary = summary(&out.itip).unwrap_or_else(|| "(no title)".into());
    let who = out
        .sender_name
        .clone()
        .unwrap_or_else(|| sender.email.to_string());
    let (subject, text) = match out.method {
        Method::Request => (
            format!("Invitation: {summary}"),
            format!("{who} invites you to \"{summary}\".\r\nYour calendar program shows the invitation and can accept or decline it.\r\n"),
        ),
        Method::Cancel => (
            format!("Cancelled: {summary}"),
            format!("{who} has cancelled \"{summary}\".\r\nYour calendar program can remove it.\r\n"),
        ),
        Method::Reply => (
            format!("Reply: {summary}"),
            format!("{who} has answered your invitation to \"{summary}\".\r\nYour calendar program can record the answer.\r\n"),
        ),
    };
    let mut builder = Message::builder()
        .to(recipient)
        .subject(subject)
        .message_id(None);
    builder = match smtp_from {
        Some(from) => builder.from(from.clone()).reply_to(sender),
        None => builder.from(sender),
    };
    let calendar = ContentType::parse(&format!(
        "text/calendar; method={}; charset=utf-8",
        out.method.as_str()
    ))
    .map_err(|e| BuildError::Build(e.to_string()))?;
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(calendar)
                        .body(out.itip.clone()),
                ),
        )
        .map_err(|e| BuildError::Build(e.to_string()))
}

/// The CN of the first `property` line (ORGANIZER or ATTENDEE) naming
/// `address`, for the From or Reply-To display name.
pub fn display_name(itip: &str, property: &str, address: &str) -> Option<String> {
    let want = mail_address(address).ok()?.to_string().to_ascii_lowercase();
    unfold(itip).lines().find_map(|line| {
        let head_end = value_start(line)?;
        let head = &line[..head_end - 1];
        let mut params = split_unquoted(head, ';');
        let name = params.next()?;
        if !name.eq_ignore_ascii_case(property)
            || mail_address(&line[head_end..])
                .ok()?
                .to_string()
                .to_ascii_lowercase()
                != want
        {
            return None;
        }
        params.find_map(|p| {
            let (n, v) = p.split_once('=')?;
            let v = v.trim_matches('"').trim();
            (n.eq_ignore_ascii_case("CN") && !v.is_empty())
                .then(|| v.chars().filter(|c| !c.is_control()).take(100).collect())
        })
    })
}

/// Unfolded content lines (RFC 5545 §3.1).
fn unfold(itip: &str) -> String {
    itip.replace("\r\n ", "")
        .replace("\r\n\t", "")
        .replace("\n ", "")
}

/// Where a content line's value starts: after the first colon outside a
/// quoted parameter value.
fn value_start(line: &str) -> Option<usize> {
    let mut quoted = false;
    line.char_indices().find_map(|(i, c)| {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some(i + 1),
            _ => {}
        }
        None
    })
}

/// `text` split at `sep` outside double quotes.
fn split_unquoted(text: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    text.split(move |c| {
        if c == '"' {
            quoted = !quoted;
        }
        c == sep && !quoted
    })
}

/// The first SUMMARY of the iTIP text, unfolded and unescaped, for the
/// subject line; a missing or empty one gives `None`.
fn summary(itip: &str) -> Option<String> {
    let unfolded = unfold(itip);
    let line = unfolded.lines().find(|l| {
        l.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("SUMMARY"))
            && matches!(l.as_bytes().get(7), Some(b':' | b';'))
    })?;
    let start = value_start(line)?;
    let value = line[start..]
        .replace("\\n", " ")
        .replace("\\N", " ")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\");
    let value: String = value
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let value = value.trim().to_string();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITIP: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nSUMMARY;LANGUAGE=en:Plan \\, r\r\n eview\r\nORGANIZER;CN=Alice:mailto:alice@example.org\r\nATTENDEE:mailto:bob@elsewhere.net\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    fn out(method: Method) -> Outgoing {
        Outgoing {
            method,
            sender: "MAILTO:alice@example.org".into(),
            sender_name: Some("Alice".into()),
            recipient: "mailto:bob%40elsewhere.net".replace("%40", "@"),
            itip: ITIP.into(),
        }
    }

    #[test]
    fn request_carries_the_itip_part_and_the_organizer_as_from() {
        let mail = build(&out(Method::Request), None).unwrap();
        let text = String::from_utf8(mail.formatted()).unwrap();
        assert!(text.contains("From: Alice <alice@example.org>"), "{text}");
        assert!(text.contains("To: bob@elsewhere.net"), "{text}");
        assert!(
            text.contains("Subject: Invitation: Plan , review"),
            "{text}"
        );
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(
            text.contains("Content-Type: text/calendar; method=REQUEST; charset=utf-8"),
            "{text}"
        );
        assert!(text.contains("UID:u1"), "{text}");
        assert!(!text.contains("Reply-To"), "{text}");
        let envelope = mail.envelope();
        assert_eq!(envelope.from().unwrap().to_string(), "alice@example.org");
        assert_eq!(envelope.to()[0].to_string(), "bob@elsewhere.net");
    }

    #[test]
    fn smtp_from_sends_as_the_server_with_the_user_in_reply_to() {
        let server: Mailbox = "Calendar <calendar@example.org>".parse().unwrap();
        let mail = build(&out(Method::Cancel), Some(&server)).unwrap();
        let text = String::from_utf8(mail.formatted()).unwrap();
        assert!(
            text.contains("From: Calendar <calendar@example.org>"),
            "{text}"
        );
        assert!(
            text.contains("Reply-To: Alice <alice@example.org>"),
            "{text}"
        );
        assert!(text.contains("method=CANCEL"), "{text}");
        assert!(text.contains("Subject: Cancelled: "), "{text}");
        assert_eq!(
            mail.envelope().from().unwrap().to_string(),
            "calendar@example.org"
        );
    }

    #[test]
    fn calendar_addresses_must_be_mailto_mailboxes() {
        assert_eq!(
            mail_address("mailto:a%2Bb@x.org").unwrap().to_string(),
            "a+b@x.org"
        );
        for bad in [
            "bob@x.org",
            "mailto:",
            "mailto:no-at",
            "urn:uuid:1",
            "mailto:a@b@c",
        ] {
            assert!(mail_address(bad).is_err(), "{bad}");
        }
        let mut o = out(Method::Reply);
        o.recipient = "https://x.org/".into();
        assert!(matches!(build(&o, None), Err(BuildError::BadAddress(_))));
    }

    #[test]
    fn display_names_come_from_the_cn_of_the_address() {
        assert_eq!(
            display_name(ITIP, "ORGANIZER", "mailto:ALICE@example.org").as_deref(),
            Some("Alice")
        );
        let quoted = "ATTENDEE;CN=\"Bob; B.\";PARTSTAT=ACCEPTED:mailto:bob@elsewhere.net\r\n";
        assert_eq!(
            display_name(quoted, "ATTENDEE", "mailto:bob@elsewhere.net").as_deref(),
            Some("Bob; B.")
        );
        assert_eq!(
            display_name(ITIP, "ATTENDEE", "mailto:bob@elsewhere.net"),
            None
        );
        assert_eq!(
            display_name(ITIP, "ORGANIZER", "mailto:x@example.org"),
            None
        );
    }

    #[test]
    fn summary_is_unfolded_and_bounded() {
        assert_eq!(summary(ITIP).as_deref(), Some("Plan , review"));
        assert_eq!(summary("SUMMARY:\r\n"), None);
        assert_eq!(summary("X:1\r\n"), None);
        assert_eq!(summary("SUMMARY;X=\"a:b\":t\r\n").as_deref(), Some("t"));
    }
}
