//! Birthday and anniversary events derived from contacts, for the read-only
//! birthday calendar (to be served at `/<user>/birthdays/`): one calendar
//! object per contact and occasion, computed from the `.vcf` text alone.
//!
//! Choices, so that the calendar is stable and every object valid:
//! - One object resource holds one UID (RFC 4791 §4.1), so a contact with
//!   BDAY and ANNIVERSARY yields two objects, `<stem>-bday.ics` and
//!   `<stem>-anniversary.ics`.
//! - The UID hashes the contact's UID (the file stem when it has none) with
//!   the occasion: editing the contact keeps the event's identity.
//! - DTSTAMP is fixed ([`DTSTAMP`]): the bytes, hence the ETag, change only
//!   when the contact does.
//! - An all-day event (`DTSTART;VALUE=DATE`, DTEND the next day) repeating
//!   `RRULE:FREQ=YEARLY`, `TRANSP:TRANSPARENT` (a birthday does not make
//!   anyone busy). Born on February 29: `FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1`,
//!   the last day of February, so it shows on Feb 28 in common years.
//! - A date without a year (4.0 `--0412`, or 3.0 with Apple's
//!   `X-APPLE-OMIT-YEAR`) starts in [`YEARLESS_START`], a leap year (so
//!   `--0229` exists) after 1970 (which some clients mishandle before).
//! - Dates written as text (`VALUE=text`) or lacking a month or day are
//!   skipped: there is no day to put the event on.
//! - SUMMARY is plain "Birthday: Jane Doe" / "Anniversary: Jane Doe" (easy
//!   to localise later) from FN, else N's given and family names, else the
//!   file stem.

use calcard::vcard::{VCard, VCardEntry, VCardParameterName, VCardProperty, VCardValue};
use calcard::{Entry, Parser};
use chrono::{DateTime, Datelike, Days, NaiveDate};
use icalendar::{Calendar, Component, Event, Property};
use sha2::{Digest, Sha256};

/// The start year of events whose date has no year.
pub const YEARLESS_START: i32 = 1972;

/// The fixed DTSTAMP of every derived event (1970-01-01T00:00:00Z).
pub const DTSTAMP: i64 = 0;

const PRODID: &str = "-//davdir//birthdays//EN";

/// Which date of the contact an event marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    Birthday,
    Anniversary,
}

impl Occasion {
    fn property(self) -> VCardProperty {
        match self {
            Occasion::Birthday => VCardProperty::Bday,
            Occasion::Anniversary => VCardProperty::Anniversary,
        }
    }

    /// The file-name suffix and UID salt.
    fn slug(self) -> &'static str {
        match self {
            Occasion::Birthday => "bday",
            Occasion::Anniversary => "anniversary",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Occasion::Birthday => "Birthday",
            Occasion::Anniversary => "Anniversary",
        }
    }
}

/// One derived calendar object resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BirthdayEvent {
    pub occasion: Occasion,
    /// `<contact-file-stem>-bday.ics` or `<contact-file-stem>-anniversary.ics`.
    pub file_name: String,
    pub uid: String,
    /// A whole VCALENDAR text holding the one VEVENT.
    pub ics: String,
}

/// Why no events could be derived from a contact file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BirthdayError {
    #[error("the contact is not a vCard")]
    NotVCard,
}

/// The birthday and anniversary events of the contact stored as
/// `<stem>.vcf` with text `vcf`; empty when it has neither date.
pub fn events(stem: &str, vcf: &str) -> Result<Vec<BirthdayEvent>, BirthdayError> {
    let Entry::VCard(card) = Parser::new(crate::bom::strip(vcf)).entry() else {
        return Err(BirthdayError::NotVCard);
    };
    let contact_uid = card.uid().filter(|u| !u.trim().is_empty()).unwrap_or(stem);
    // Control characters (a CR that calcard decoded from `\r`, say) have
    // no place in a SUMMARY: each becomes a space.
    let name: String = display_name(&card)
        .unwrap_or_else(|| stem.to_string())
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Ok([Occasion::Birthday, Occasion::Anniversary]
        .into_iter()
        .filter_map(|occasion| {
            let date = card.property(&occasion.property()).and_then(date_of)?;
            let uid = event_uid(contact_uid, occasion);
            let ics = calendar_text(&uid, &format!("{}: {name}", occasion.label()), date);
            // Whatever a hand-edited card holds, only valid objects are served.
            crate::ical::inspect(ics.as_bytes()).ok()?;
            Some(BirthdayEvent {
                occasion,
                file_name: format!("{stem}-{}.ics", occasion.slug()),
                ics,
                uid,
            })
        })
        .collect())
}

/// FN, else "Given Family" from N.
fn display_name(card: &VCard) -> Option<String> {
    let text = |e: &VCardEntry, i: usize| match e.values.get(i) {
        Some(VCardValue::Text(t)) => t.trim().to_string(),
        Some(VCardValue::Component(items)) => items.join(" ").trim().to_string(),
        _ => String::new(),
    };
    if let Some(fn_) = card.property(&VCardProperty::Fn).map(|e| text(e, 0)) {
        if !fn_.is_empty() {
            return Some(fn_);
        }
    }
    let n = card.property(&VCardProperty::N)?;
    let joined = format!("{} {}", text(n, 1), text(n, 0));
    let joined = joined.trim();
    (!joined.is_empty()).then(|| joined.to_string())
}

/// The calendar date of a BDAY/ANNIVERSARY, with [`YEARLESS_START`] for
/// a date that has no year.
fn date_of(entry: &VCardEntry) -> Option<NaiveDate> {
    let d = entry.values.first()?.as_partial_date_time()?;
    let omitted = entry
        .params
        .iter()
        .find(|p| matches!(&p.name, VCardParameterName::Other(n) if n.eq_ignore_ascii_case("X-APPLE-OMIT-YEAR")))
        .and_then(|p| p.value.clone().into_text().trim().parse::<u16>().ok());
    let year = d
        .year
        .filter(|y| Some(*y) != omitted)
        .map_or(YEARLESS_START, i32::from);
    // Four-digit years only: iCalendar DATE values have exactly four.
    if !(1..=9999).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, u32::from(d.month?), u32::from(d.day?))
}

/// A UID stable across edits of the contact, distinct per occasion.
fn event_uid(contact_uid: &str, occasion: Occasion) -> String {
    let mut h = Sha256::new();
    h.update(contact_uid.as_bytes());
    h.update(b"\n");
    h.update(occasion.slug().as_bytes());
    format!(
        "davdir-{}-{}",
        occasion.slug(),
        &hex::encode(h.finalize())[..32]
    )
}

fn calendar_text(uid: &str, summary: &str, date: NaiveDate) -> String {
    let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
    let rule = if date.month() == 2 && date.day() == 29 {
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"
    } else {
        "FREQ=YEARLY"
    };
    let day = |key: &str, d: NaiveDate| {
        Property::new(key, d.format("%Y%m%d").to_string())
            .append_parameter(("VALUE", "DATE"))
            .done()
    };
    let event = Event::new()
        .uid(uid)
        .summary(summary)
        .timestamp(DateTime::from_timestamp(DTSTAMP, 0).unwrap_or_default())
        .append_property(day("DTSTART", date))
        .append_property(day("DTEND", next))
        .add_property("RRULE", rule)
        .add_property("TRANSP", "TRANSPARENT")
        .done();
    Calendar::empty()
        .append_property(("VERSION", "2.0"))
        .append_property(("PRODID", PRODID))
        .push(event)
        .done()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(version: &str, extra: &str) -> String {
        format!("BEGIN:VCARD\r\nVERSION:{version}\r\nUID:urn:uuid:jane\r\nFN:Jane Doe\r\nN:Doe;Jane;;;\r\n{extra}END:VCARD\r\n")
    }

    /// The one event of `vcf`, checked to be a valid calendar object.
    fn only(vcf: &str) -> BirthdayEvent {
        let mut ev = events("jane", vcf).unwrap();
        assert_eq!(ev.len(), 1, "{ev:?}");
        let ev = ev.remove(0);
        let info =
            crate::ical::inspect(ev.ics.as_bytes()).unwrap_or_else(|e| panic!("{e}: {}", ev.ics));
        assert_eq!(info.uid, ev.uid);
        ev
    }

    fn has(ev: &BirthdayEvent, line: &str) -> bool {
        ev.ics.lines().any(|l| l == line)
    }

    #[test]
    fn every_date_form_gives_an_all_day_yearly_event() {
        let table = [
            ("4.0", "BDAY:19850412\r\n", "19850412", "19850413"),
            ("4.0", "BDAY:--0412\r\n", "19720412", "19720413"),
            (
                "4.0",
                "BDAY;VALUE=date-and-or-time:19851231T220000Z\r\n",
                "19851231",
                "19860101",
            ),
            ("3.0", "BDAY:1985-04-12\r\n", "19850412", "19850413"),
            (
                "3.0",
                "BDAY:1985-04-12T00:00:00Z\r\n",
                "19850412",
                "19850413",
            ),
            (
                "3.0",
                "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12\r\n",
                "19720412",
                "19720413",
            ),
        ];
        for (version, bday, start, end) in table {
            let ev = only(&card(version, bday));
            assert_eq!(ev.occasion, Occasion::Birthday);
            assert_eq!(ev.file_name, "jane-bday.ics");
            assert!(
                has(&ev, &format!("DTSTART;VALUE=DATE:{start}")),
                "{bday}: {}",
                ev.ics
            );
            assert!(
                has(&ev, &format!("DTEND;VALUE=DATE:{end}")),
                "{bday}: {}",
                ev.ics
            );
            assert!(has(&ev, "RRULE:FREQ=YEARLY"), "{}", ev.ics);
            assert!(has(&ev, "TRANSP:TRANSPARENT"));
            assert!(has(&ev, "SUMMARY:Birthday: Jane Doe"), "{}", ev.ics);
            assert!(has(&ev, "DTSTAMP:19700101T000000Z"), "{}", ev.ics);
        }
    }

    #[test]
    fn leap_day_falls_back_to_the_last_day_of_february() {
        for bday in ["BDAY:19960229\r\n", "BDAY:--0229\r\n"] {
            let ev = only(&card("4.0", bday));
            assert!(
                has(&ev, "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"),
                "{}",
                ev.ics
            );
        }
        // The rule as a recurrence engine reads it: Feb 28 in 1997, Feb 29 in 2000.
        let set: rrule::RRuleSet =
            "DTSTART:19960229T000000Z\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"
                .parse()
                .unwrap();
        let days: Vec<String> = set
            .all(5)
            .dates
            .iter()
            .map(|d| d.format("%Y%m%d").to_string())
            .collect();
        assert_eq!(
            days,
            ["19960229", "19970228", "19980228", "19990228", "20000229"]
        );
    }

    #[test]
    fn text_and_partial_dates_are_skipped() {
        for bday in [
            "BDAY;VALUE=text:circa 1800\r\n",
            "BDAY:1985\r\n",
            "BDAY:19850230\r\n",
            "",
        ] {
            assert_eq!(
                events("jane", &card("4.0", bday)).unwrap(),
                vec![],
                "{bday}"
            );
        }
        assert_eq!(
            events("x", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
            Err(BirthdayError::NotVCard)
        );
    }

    #[test]
    fn birthday_and_anniversary_are_two_objects_with_stable_uids() {
        let vcf = card("4.0", "BDAY:19850412\r\nANNIVERSARY:20100619\r\n");
        let ev = events("jane", &vcf).unwrap();
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[1].occasion, Occasion::Anniversary);
        assert_eq!(ev[1].file_name, "jane-anniversary.ics");
        assert!(
            has(&ev[1], "SUMMARY:Anniversary: Jane Doe"),
            "{}",
            ev[1].ics
        );
        assert!(has(&ev[1], "DTSTART;VALUE=DATE:20100619"));
        assert_ne!(ev[0].uid, ev[1].uid);
        for e in &ev {
            crate::ical::inspect(e.ics.as_bytes()).unwrap();
        }
        // Editing the contact (name, date, stem) keeps the UIDs; another contact differs.
        let edited = vcf
            .replace("Jane Doe", "Jane Roe")
            .replace("19850412", "19850413");
        let again = events("renamed", &edited).unwrap();
        assert_eq!(again[0].uid, ev[0].uid);
        assert_eq!(again[1].uid, ev[1].uid);
        assert!(has(&again[0], "SUMMARY:Birthday: Jane Roe"));
        let other = events("jane", &vcf.replace("urn:uuid:jane", "urn:uuid:john")).unwrap();
        assert_ne!(other[0].uid, ev[0].uid);
        // Rendering twice gives the same bytes (stable ETags).
        assert_eq!(events("jane", &vcf).unwrap(), ev);
    }

    #[test]
    fn names_fall_back_to_n_then_the_stem() {
        let no_fn =
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;Jane;;;\r\nBDAY:1985-04-12\r\nEND:VCARD\r\n";
        let ev = events("c1", no_fn).unwrap().remove(0);
        assert!(has(&ev, "SUMMARY:Birthday: Jane Doe"), "{}", ev.ics);
        // No UID: the stem stands in for it.
        assert_eq!(ev.uid, event_uid("c1", Occasion::Birthday));
        let bare = "BEGIN:VCARD\r\nVERSION:4.0\r\nBDAY:19850412\r\nEND:VCARD\r\n";
        let ev = events("c2", bare).unwrap().remove(0);
        assert!(has(&ev, "SUMMARY:Birthday: c2"), "{}", ev.ics);
        let comma = card("4.0", "BDAY:19850412\r\n").replace("FN:Jane Doe", "FN:Doe\\, Jane");
        let ev = events("c3", &comma).unwrap().remove(0);
        assert!(has(&ev, "SUMMARY:Birthday: Doe\\, Jane"), "{}", ev.ics);
    }
}
