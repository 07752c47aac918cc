//! CALDAV:free-busy-query results (RFC 4791 §7.10): busy time of events and
//! of stored VFREEBUSY components, merged per FBTYPE, in UTC.

use icalendar::parser::{Component, Property};

use super::write;
use crate::ical::object::{is, normalize, param, prop, props, Object};
use crate::ical::recur::occurrences;
use crate::ical::timerange::periods;
use crate::ical::value::format_utc;

/// What a free-busy REPLY answers: the request's UID, its organizer and
/// the one attendee whose time it tells, as the request wrote them.
pub struct ReplyTo<'r, 'a> {
    pub uid: Option<&'r Property<'a>>,
    pub organizer: &'r Property<'a>,
    pub attendee: &'r Property<'a>,
}

/// Busy types in the order they are reported.
const TYPES: [&str; 3] = ["BUSY", "BUSY-TENTATIVE", "BUSY-UNAVAILABLE"];

/// Builds a VCALENDAR with one VFREEBUSY covering `[start, end)`.
pub fn free_busy(
    objects: &[&str],
    start: i64,
    end: i64,
    default_tz: Option<&crate::ical::tz::FloatingTz>,
) -> String {
    let mut fb = FreeBusy::new(start, end);
    for ics in objects {
        fb.add(ics, default_tz);
    }
    fb.finish()
}

/// Busy time gathered one object at a time, so a large calendar is never
/// held in memory at once; periods are merged as they pile up.
pub struct FreeBusy {
    start: i64,
    end: i64,
    busy: [Vec<(i64, i64)>; 3],
    /// Merge a list again once it has grown this long since its last merge.
    merge_at: [usize; 3],
    /// Recurrence work all objects of this free-busy query may take.
    budget: crate::ical::budget::QueryBudget,
}

/// A copy of the busy time gathered, to answer it to several recipients
/// (one user named by several addresses); its copy starts a new budget.
impl Clone for FreeBusy {
    fn clone(&self) -> Self {
        FreeBusy {
            start: self.start,
            end: self.end,
            busy: self.busy.clone(),
            merge_at: self.merge_at,
            budget: Default::default(),
        }
    }
}

/// Unmerged periods a list may hold before it is merged in place.
const MERGE_EVERY: usize = 4096;

impl FreeBusy {
    pub fn new(start: i64, end: i64) -> FreeBusy {
        FreeBusy {
            start,
            end,
            busy: Default::default(),
            merge_at: [MERGE_EVERY; 3],
            budget: Default::default(),
        }
    }

    /// The `[start, end)` this free-busy covers.
    pub fn range(&self) -> (i64, i64) {
        (self.start, self.end)
    }

    /// Adds the busy time of one calendar object (its text as stored).
    pub fn add(&mut self, ics: &str, default_tz: Option<&crate::ical::tz::FloatingTz>) {
        let text = normalize(ics);
        if let Some(obj) = Object::parse(&text, default_tz) {
            obj.steps.set(self.budget.grant());
            collect(&obj, self.start, self.end, &mut self.busy);
            self.budget.refund(obj.steps.get());
        }
        for (list, at) in self.busy.iter_mut().zip(self.merge_at.iter_mut()) {
            if list.len() >= *at {
                merge(list);
                *at = list.len() + MERGE_EVERY;
            }
        }
    }

    /// The VCALENDAR with the merged FREEBUSY periods per FBTYPE.
    pub fn finish(self) -> String {
        self.write(None)
    }

    /// The same as an iTIP REPLY (RFC 5546 §3.6.2) to a free-busy REQUEST
    /// (RFC 6638 §5): METHOD, and who asks whom about what.
    pub fn reply(self, to: &ReplyTo) -> String {
        self.write(Some(to))
    }

    fn write(mut self, reply: Option<&ReplyTo>) -> String {
        let mut out = String::new();
        write::line(&mut out, "BEGIN:VCALENDAR");
        write::line(&mut out, "VERSION:2.0");
        write::line(&mut out, "PRODID:-//davdir//davdir//EN");
        if reply.is_some() {
            write::line(&mut out, "METHOD:REPLY");
        }
        write::line(&mut out, "BEGIN:VFREEBUSY");
        let now = chrono::Utc::now().timestamp();
        write::raw(&mut out, "DTSTAMP", "", &format_utc(now));
        if let Some(to) = reply {
            for p in to.uid.into_iter().chain([to.organizer, to.attendee]) {
                write::property(&mut out, p, None);
            }
        }
        write::raw(&mut out, "DTSTART", "", &format_utc(self.start));
        write::raw(&mut out, "DTEND", "", &format_utc(self.end));
        for (kind, list) in TYPES.iter().zip(self.busy.iter_mut()) {
            merge(list);
            if list.is_empty() {
                continue;
            }
            let value: Vec<String> = list
                .iter()
                .map(|(s, e)| format!("{}/{}", format_utc(*s), format_utc(*e)))
                .collect();
            // FBTYPE defaults to BUSY, as in the RFC 4791 examples.
            let params = if *kind == "BUSY" {
                String::new()
            } else {
                format!(";FBTYPE={kind}")
            };
            write::raw(&mut out, "FREEBUSY", &params, &value.join(","));
        }
        write::line(&mut out, "END:VFREEBUSY");
        write::line(&mut out, "END:VCALENDAR");
        out
    }
}

fn collect(obj: &Object, start: i64, end: i64, busy: &mut [Vec<(i64, i64)>; 3]) {
    let clip = |s: i64, e: i64| (s < end && e > start).then(|| (s.max(start), e.min(end)));
    let events: Vec<&Component> = obj
        .comps
        .iter()
        .filter(|c| is(c.name.as_str(), "VEVENT"))
        .collect();
    if !events.is_empty() {
        for o in occurrences(obj, &events, "VEVENT", start, end).items {
            let c = events[o.src];
            let value = |name| prop(c, name).map(|p| p.val.as_str().trim());
            if value("TRANSP").is_some_and(|v| is(v, "TRANSPARENT"))
                || value("STATUS").is_some_and(|v| is(v, "CANCELLED"))
            {
                continue;
            }
            let slot = usize::from(value("STATUS").is_some_and(|v| is(v, "TENTATIVE")));
            if let Some(p) = clip(o.start, o.end) {
                busy[slot].push(p);
            }
        }
    }
    for fb in obj
        .comps
        .iter()
        .filter(|c| is(c.name.as_str(), "VFREEBUSY"))
    {
        for p in props(fb, "FREEBUSY") {
            let kind = param(p, "FBTYPE").unwrap_or("BUSY");
            let Some(slot) = TYPES.iter().position(|t| is(t, kind)) else {
                // FREE and unknown types do not block time.
                continue;
            };
            for (s, e) in periods(obj, std::iter::once(p)) {
                if let Some(p) = clip(s, e) {
                    busy[slot].push(p);
                }
            }
        }
    }
}

/// Sorts and merges overlapping or touching periods, in place.
fn merge(list: &mut Vec<(i64, i64)>) {
    list.sort_unstable();
    let mut kept = 0;
    for i in 0..list.len() {
        let (s, e) = list[i];
        if kept > 0 && s <= list[kept - 1].1 {
            list[kept - 1].1 = list[kept - 1].1.max(e);
        } else {
            list[kept] = (s, e);
            kept += 1;
        }
    }
    list.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::tests::cal;

    fn fb_lines(out: &str) -> Vec<String> {
        normalize(out)
            .lines()
            .filter(|l| l.starts_with("FREEBUSY"))
            .map(String::from)
            .collect()
    }

    #[test]
    fn merges_busy_time_by_type() {
        let a = cal(
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDTEND:20240110T110000Z\nEND:VEVENT\n",
        );
        let b = cal("BEGIN:VEVENT\nUID:b\nDTSTART:20240110T103000Z\nDTEND:20240110T120000Z\nRRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n");
        let t = cal("BEGIN:VEVENT\nUID:t\nDTSTART:20240110T140000Z\nDURATION:PT1H\nSTATUS:TENTATIVE\nEND:VEVENT\n");
        let free = cal("BEGIN:VEVENT\nUID:f\nDTSTART:20240110T150000Z\nDURATION:PT1H\nTRANSP:TRANSPARENT\nEND:VEVENT\n");
        let gone = cal("BEGIN:VEVENT\nUID:g\nDTSTART:20240110T160000Z\nDURATION:PT1H\nSTATUS:CANCELLED\nEND:VEVENT\n");
        let day = cal("BEGIN:VEVENT\nUID:d\nDTSTART;VALUE=DATE:20240112\nEND:VEVENT\n");
        let vfb = cal("BEGIN:VFREEBUSY\nUID:v\nFREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20240110T080000Z/PT1H\nFREEBUSY;FBTYPE=FREE:20240110T090000Z/PT1H\nEND:VFREEBUSY\n");
        let out = free_busy(
            &[&a, &b, &t, &free, &gone, &day, &vfb],
            1_704_844_800, // 2024-01-10T00:00Z
            1_705_104_000, // 2024-01-13T00:00Z
            None,
        );
        assert_eq!(
            fb_lines(&out),
            [
                "FREEBUSY:20240110T100000Z/20240110T120000Z,20240111T103000Z/20240111T120000Z,20240112T000000Z/20240113T000000Z",
                "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20240110T140000Z/20240110T150000Z",
                "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20240110T080000Z/20240110T090000Z",
            ]
        );
        assert!(out.contains("DTSTART:20240110T000000Z\r\nDTEND:20240113T000000Z\r\n"));
        assert!(out.contains("BEGIN:VFREEBUSY\r\nDTSTAMP:"));
    }
}
