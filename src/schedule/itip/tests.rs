use super::*;

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nSUMMARY:Plan\r\nORGANIZER;CN=Alice:mailto:alice@example.org\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.org\r\nATTENDEE;CN=\"Bob; B.\";PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@exa\r\n mple.org\r\nATTENDEE:mailto:carol@example.org\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[test]
fn facts_and_untouched_bytes() {
    let f = facts(EVENT);
    assert_eq!(f.uid, "u1");
    assert_eq!(f.organizer.as_deref(), Some("mailto:alice@example.org"));
    assert_eq!(f.attendees.len(), 3);
    assert_eq!(
        f.attendee("MAILTO:Bob@example.org").unwrap().partstat,
        "NEEDS-ACTION"
    );
    assert_eq!(
        Cal::parse(EVENT).text(),
        EVENT,
        "unchanged lines keep their bytes"
    );
}

#[test]
fn request_reply_apply() {
    let req = organizer_message(EVENT, Method::Request);
    assert!(req.contains("VERSION:2.0\r\nMETHOD:REQUEST\r\n"));
    assert!(!req.contains("VALARM"));
    let mine = attendee_copy(EVENT, None, "mailto:bob@example.org");
    assert!(crate::ical::inspect(mine.as_bytes()).is_ok(), "{mine}");
    // Bob accepts in his copy; the reply carries his line alone.
    let accepted = mine.replace("PARTSTAT=NEEDS-ACTION;RSVP", "PARTSTAT=ACCEPTED;RSVP");
    assert_eq!(
        facts(&accepted)
            .attendee("mailto:bob@example.org")
            .unwrap()
            .partstat,
        "ACCEPTED"
    );
    let r = reply(&accepted, "mailto:bob@example.org", None);
    assert_eq!(facts(&r).attendees.len(), 1);
    assert!(r.contains("METHOD:REPLY"));
    let org = apply_reply(EVENT, &r).unwrap();
    let bob = facts(&org);
    assert_eq!(
        bob.attendee("mailto:bob@example.org").unwrap().partstat,
        "ACCEPTED"
    );
    assert!(org.contains("SCHEDULE-STATUS=2.0"));
    assert_eq!(
        significant(&org),
        significant(EVENT),
        "a reply is no significant change"
    );
    assert_ne!(
        significant(&org.replace("Plan", "Plan B")),
        significant(EVENT)
    );
    // Updates keep bob's answer.
    let again = attendee_copy(
        &org.replace("Plan", "Plan B"),
        Some(&accepted),
        "mailto:bob@example.org",
    );
    assert_eq!(
        facts(&again)
            .attendee("mailto:bob@example.org")
            .unwrap()
            .partstat,
        "ACCEPTED"
    );
    // A stranger's reply changes nothing.
    let stranger = r.replace("bob@exa", "eve@exa");
    assert!(apply_reply(EVENT, &stranger).is_none());
    // An update made on the version before the reply keeps the answer.
    let kept = keep_answers(&EVENT.replace("Plan", "Plan C"), &org, |a| {
        !a.contains("alice")
    });
    assert_eq!(
        facts(&kept)
            .attendee("mailto:bob@example.org")
            .unwrap()
            .partstat,
        "ACCEPTED"
    );
    assert!(kept.contains("SUMMARY:Plan C"));
    let declined = reply(&mine, "mailto:bob@example.org", Some("DECLINED"));
    assert_eq!(facts(&declined).attendees[0].partstat, "DECLINED");
}

#[test]
fn cancel_and_statuses() {
    let c = organizer_message(EVENT, Method::Cancel);
    assert!(c.contains("METHOD:CANCEL") && c.contains("STATUS:CANCELLED"));
    let s = set_schedule_status(
        EVENT,
        &[
            ("mailto:carol@example.org".into(), "1.2".into()),
            ("mailto:bob@example.org".into(), "3.7".into()),
        ],
    );
    assert!(
        s.contains("ATTENDEE;SCHEDULE-STATUS=1.2:mailto:carol@example.org"),
        "{s}"
    );
    assert!(crate::ical::inspect(s.as_bytes()).is_ok());
    let x = cancelled(EVENT);
    assert_eq!(x.matches("STATUS:CANCELLED").count(), 1);
    assert!(crate::ical::inspect(x.as_bytes()).is_ok());
}

/// Carol's copy takes bob's answer from the organizer's and keeps her
/// own; a copy already current is not rewritten.
#[test]
fn others_answers_keep_the_own() {
    let org = EVENT
        .replace("PARTSTAT=NEEDS-ACTION;RSVP", "PARTSTAT=ACCEPTED;RSVP")
        .replace(
            "ATTENDEE:mailto:carol",
            "ATTENDEE;PARTSTAT=DECLINED:mailto:carol",
        );
    let carol = "mailto:carol@example.org";
    let mine = attendee_copy(EVENT, None, carol);
    let now = others_answers(&mine, &org, |a| !same_address(a, carol)).unwrap();
    let f = facts(&now);
    assert_eq!(
        f.attendee("mailto:bob@example.org").unwrap().partstat,
        "ACCEPTED"
    );
    assert_eq!(f.attendee(carol).unwrap().partstat, "NEEDS-ACTION");
    assert!(others_answers(&now, &org, |a| !same_address(a, carol)).is_none());
}
