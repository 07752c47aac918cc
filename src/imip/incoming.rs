//! Reading a reply that came back by mail (RFC 6047 §2.4): one RFC 5322
//! message, bounded in size, parsed with mail-parser; what counts is its
//! From address and its iTIP part (`text/calendar`, or the `application/ics`
//! attachment some mailers add) with METHOD:REPLY. Anything else is
//! refused with the reason, for the MTA's bounce or the admin's log.

use mail_parser::{MessageParser, MimeHeaders};

/// Largest mail read: a REPLY is a few kB, but mailers quote the
/// invitation, add HTML and encode it all in base64.
pub const MAX_MESSAGE: usize = 4 << 20;

/// The part of a reply mail that scheduling acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyMail {
    /// The From address, lower-cased, without `mailto:`.
    pub from: String,
    /// The iTIP object, METHOD:REPLY.
    pub calendar: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("the message is larger than {MAX_MESSAGE} bytes")]
    TooLarge,
    #[error("not an RFC 5322 mail message")]
    NotMail,
    #[error("the message has no From address")]
    NoFrom,
    #[error("the message has no text/calendar part")]
    NoCalendar,
    #[error("the calendar part is METHOD:{0}, not REPLY: only replies are taken in")]
    NotReply(String),
}

/// The From address and REPLY part of `raw`.
pub fn read_reply(raw: &[u8]) -> Result<ReplyMail, Refusal> {
    if raw.len() > MAX_MESSAGE {
        return Err(Refusal::TooLarge);
    }
    let mail = MessageParser::default()
        .parse(raw)
        .filter(|m| {
            // Garbage parses too, as headers of no known name.
            m.from().is_some()
                || m.to().is_some()
                || m.subject().is_some()
                || m.date().is_some()
                || m.content_type().is_some()
        })
        .ok_or(Refusal::NotMail)?;
    let from = mail
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_ascii_lowercase)
        .ok_or(Refusal::NoFrom)?;
    let mut other_method = None;
    for part in &mail.parts {
        let Some(kind) = part.content_type() else {
            continue;
        };
        let calendar = match (kind.ctype(), kind.subtype()) {
            (t, Some(s))
                if t.eq_ignore_ascii_case("text") && s.eq_ignore_ascii_case("calendar") =>
            {
                true
            }
            (t, Some(s))
                if t.eq_ignore_ascii_case("application") && s.eq_ignore_ascii_case("ics") =>
            {
                true
            }
            _ => false,
        };
        if !calendar {
            continue;
        }
        let Some(text) = part.text_contents() else {
            continue;
        };
        match method_of(text) {
            Some(m) if m.eq_ignore_ascii_case("REPLY") => {
                return Ok(ReplyMail {
                    from,
                    calendar: text.to_string(),
                })
            }
            m => other_method = other_method.or(Some(m.unwrap_or_else(|| "(none)".into()))),
        }
    }
    Err(other_method.map_or(Refusal::NoCalendar, Refusal::NotReply))
}

/// The METHOD of the VCALENDAR: the property line before the first
/// component (folded lines do not matter for this short value).
fn method_of(calendar: &str) -> Option<String> {
    calendar
        .lines()
        .take_while(|l| {
            !l.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("BEGIN:"))
                || l.eq_ignore_ascii_case("BEGIN:VCALENDAR")
        })
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("METHOD")
                .then(|| value.trim().to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(ctype: &str, body: &str) -> Vec<u8> {
        format!(
            "From: Bob <Bob@Elsewhere.net>\r\nTo: alice@example.org\r\nSubject: Accepted\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nYes.\r\n--b\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, body)
        )
        .into_bytes()
    }

    const REPLY: &str = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:u1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn finds_the_reply_part_and_the_sender() {
        let got = read_reply(&mail("text/calendar; method=REPLY; charset=utf-8", REPLY)).unwrap();
        assert_eq!(got.from, "bob@elsewhere.net");
        assert_eq!(got.calendar, REPLY);
        assert!(read_reply(&mail("application/ics; name=invite.ics", REPLY)).is_ok());
    }

    #[test]
    fn refuses_everything_else_with_a_reason() {
        let request = REPLY.replace("REPLY", "REQUEST");
        assert_eq!(
            read_reply(&mail("text/calendar", &request)),
            Err(Refusal::NotReply("REQUEST".into()))
        );
        assert_eq!(
            read_reply(&mail("application/pdf", REPLY)),
            Err(Refusal::NoCalendar)
        );
        assert_eq!(
            read_reply(b"Subject: hi\r\n\r\nno sender\r\n"),
            Err(Refusal::NoFrom)
        );
        assert_eq!(
            read_reply(&vec![b'a'; MAX_MESSAGE + 1]),
            Err(Refusal::TooLarge)
        );
        assert_eq!(read_reply(b"\x00\x01\x02 garbage"), Err(Refusal::NotMail));
        assert_eq!(read_reply(b""), Err(Refusal::NotMail));
    }
}
