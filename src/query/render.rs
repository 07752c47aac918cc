//! Producing the calendar-data of a REPORT response (RFC 4791 §9.6):
//! expansion into UTC instances, limit-recurrence-set, limit-freebusy-set and
//! partial retrieval.

use icalendar::parser::{Component, Property};

use super::caldata::{CalendarDataRequest, CompSelect};
use super::filter::TimeRange;
use super::write;
use crate::ical::object::{is, normalize, param, prop, Object};
use crate::ical::recur::{occurrences, timing, Occurrence};
use crate::ical::timerange::{interval_overlaps, todo_instance_overlaps, todo_undated_overlaps};
use crate::ical::value::{
    format_date, format_exact_duration, format_utc, parse_duration, parse_period, PeriodEnd,
};

/// Components that carry a recurrence set.
const RECURRING: &[&str] = &["VEVENT", "VTODO", "VJOURNAL"];

/// Applies the request to one object; returns `ics` unchanged when nothing
/// special is asked for or when the object cannot be parsed.
pub fn render_calendar_data(
    ics: &str,
    req: &CalendarDataRequest,
    default_tz: Option<&crate::ical::tz::FloatingTz>,
) -> String {
    if req.is_identity() {
        return ics.to_string();
    }
    let text = normalize(ics);
    let Some(obj) = Object::parse(&text, default_tz) else {
        return ics.to_string();
    };
    let root = req.comp.as_ref();
    if root.is_some_and(|r| !is(&r.name, "VCALENDAR")) {
        return String::new();
    }
    let mut out = String::with_capacity(ics.len() + 256);
    write::line(&mut out, "BEGIN:VCALENDAR");
    write_props(&mut out, &obj.props, root, &mut |_, _| false);
    let mut done: Vec<&str> = Vec::new();
    for c in &obj.comps {
        let name = c.name.as_str();
        let Some(sel) = root.map_or(Some(None), |r| r.sub(name)) else {
            continue;
        };
        let recurring = RECURRING.iter().any(|k| is(k, name));
        if let Some(range) = &req.expand {
            if is(name, "VTIMEZONE") {
                continue;
            }
            if recurring {
                if !done.iter().any(|d| is(d, name)) {
                    done.push(name);
                    expand_kind(&mut out, &obj, name, range, sel);
                }
                continue;
            }
        }
        if let (Some(range), true) = (&req.limit_recurrence_set, recurring) {
            if !override_in_range(&obj, c, name, range) {
                continue;
            }
        }
        if let (Some(range), true) = (&req.limit_freebusy_set, is(name, "VFREEBUSY")) {
            write_comp(&mut out, c, sel, &mut |p, out| {
                is(p.name.as_str(), "FREEBUSY") && limit_periods(&obj, p, range, out)
            });
            continue;
        }
        write_comp(&mut out, c, sel, &mut |_, _| false);
    }
    write::line(&mut out, "END:VCALENDAR");
    out
}

/// A property hook: writes replacement lines and returns true, or returns
/// false to have the property written unchanged.
type Hook<'h> = dyn FnMut(&Property, &mut String) -> bool + 'h;

fn write_props(out: &mut String, props: &[Property], sel: Option<&CompSelect>, hook: &mut Hook) {
    for p in props {
        let novalue = match sel.map(|s| s.wants_prop(p.name.as_str())) {
            None => false,
            Some(None) => continue,
            Some(Some(nv)) => nv,
        };
        if novalue {
            write::property(out, p, Some(""));
        } else if !hook(p, out) {
            write::property(out, p, None);
        }
    }
}

fn write_comp(out: &mut String, c: &Component, sel: Option<&CompSelect>, hook: &mut Hook) {
    write::line(out, &format!("BEGIN:{}", c.name.as_str()));
    write_props(out, &c.properties, sel, hook);
    for sub in &c.components {
        if let Some(subsel) = sel.map_or(Some(None), |s| s.sub(sub.name.as_str())) {
            write_comp(out, sub, subsel, &mut |_, _| false);
        }
    }
    write::line(out, &format!("END:{}", c.name.as_str()));
}

/// limit-recurrence-set: masters always; overrides only when they touch the range.
fn override_in_range(obj: &Object, c: &Component, kind: &str, range: &TimeRange) -> bool {
    let Some(rid_prop) = prop(c, "RECURRENCE-ID") else {
        return true;
    };
    let Some(rid) = obj.when(rid_prop) else {
        return true;
    };
    let future = param(rid_prop, "RANGE").is_some_and(|r| is(r, "THISANDFUTURE"));
    if future && rid.utc < range.end {
        return true;
    }
    if range.start <= rid.utc && rid.utc < range.end {
        return true;
    }
    timing(obj, c, kind).is_some_and(|t| {
        let list = [c];
        occurrences(obj, &list, kind, range.start, range.end)
            .items
            .iter()
            .any(|o| {
                interval_overlaps(o, range) || t.start.utc == o.start && o.start == range.start
            })
    })
}

/// limit-freebusy-set: keeps only the FREEBUSY periods overlapping the range.
fn limit_periods(obj: &Object, p: &Property, range: &TimeRange, out: &mut String) -> bool {
    let tzid = param(p, "TZID");
    let kept: Vec<&str> = p
        .val
        .as_str()
        .split(',')
        .filter(|v| {
            parse_period(v).is_some_and(|(s, e)| {
                let s = obj.resolve(s, tzid).utc;
                let e = match e {
                    PeriodEnd::At(e) => obj.resolve(e, tzid).utc,
                    PeriodEnd::After(d) => s + d.num_seconds(),
                };
                range.start < e && range.end > s
            })
        })
        .collect();
    if !kept.is_empty() {
        write::property(out, p, Some(&kept.join(",")));
    }
    true
}

/// Writes every instance of `kind` overlapping the range as its own component.
fn expand_kind(
    out: &mut String,
    obj: &Object,
    kind: &str,
    range: &TimeRange,
    sel: Option<&CompSelect>,
) {
    let list: Vec<&Component> = obj
        .comps
        .iter()
        .filter(|c| is(c.name.as_str(), kind))
        .collect();
    let todo = is(kind, "VTODO");
    for c in list.iter().filter(|c| prop(c, "DTSTART").is_none()) {
        // Undated to-dos and journals have no instances to expand: a to-do is
        // written when its DUE (or COMPLETED/CREATED) meets the range as in
        // RFC 4791 §9.9, with its times in UTC like every expanded instance.
        if todo && !todo_undated_overlaps(obj, c, range) {
            continue;
        }
        write_comp(out, c, sel, &mut |p, out| write_in_utc(obj, p, out));
    }
    let exp = occurrences(obj, &list, kind, range.start.saturating_sub(1), range.end);
    for o in &exp.items {
        // The same per-instance test as the time-range filter (RFC 4791 §9.9),
        // so an object matched by an instance shows that instance.
        let keep = if todo {
            todo_instance_overlaps(o, range)
        } else {
            interval_overlaps(o, range)
        };
        if keep {
            write_instance(out, obj, list[o.src], o, sel);
        }
    }
}

/// Rewrites a DATE-TIME with a TZID as UTC (RFC 4791 §9.6.5: expanded data
/// has no time zone references). Returns false for every other property.
fn write_in_utc(obj: &Object, p: &Property, out: &mut String) -> bool {
    let name = p.name.as_str();
    if param(p, "TZID").is_none() || !["DTSTART", "DUE", "DTEND"].iter().any(|n| is(n, name)) {
        return false;
    }
    match obj.when(p) {
        Some(w) if !w.value.is_date => {
            write::raw(out, name, "", &format_utc(w.utc));
            true
        }
        _ => false,
    }
}

fn stamp(obj: &Object, ts: i64, all_day: bool, zone_of: Option<&Property>) -> (String, String) {
    if all_day {
        let zone = zone_of
            .and_then(|p| obj.when(p))
            .map(|w| w.zone)
            .unwrap_or(crate::ical::tz::Zone::Utc);
        (";VALUE=DATE".into(), format_date(zone.local_of(ts).date()))
    } else {
        (String::new(), format_utc(ts))
    }
}

fn write_instance(
    out: &mut String,
    obj: &Object,
    c: &Component,
    o: &Occurrence,
    sel: Option<&CompSelect>,
) {
    let start_prop = prop(c, "DTSTART");
    let wants = |name: &str| sel.is_none_or(|s| s.wants_prop(name).is_some());
    let mut hook = |p: &Property, out: &mut String| -> bool {
        let name = p.name.as_str();
        if ["RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"]
            .iter()
            .any(|n| is(n, name))
        {
            return true;
        }
        if is(name, "DTSTART") {
            let (params, v) = stamp(obj, o.start, o.all_day, start_prop);
            write::raw(out, "DTSTART", &params, &v);
            if let (Some(rid), true) = (o.rid, wants("RECURRENCE-ID")) {
                let (params, v) = stamp(obj, rid, o.all_day, start_prop);
                write::raw(out, "RECURRENCE-ID", &params, &v);
            }
            return true;
        }
        if is(name, "DTEND") || is(name, "DUE") {
            let (params, v) = stamp(obj, o.end, o.all_day, start_prop);
            write::raw(out, name, &params, &v);
            return true;
        }
        if is(name, "DURATION") && !o.all_day {
            // Days of a DURATION follow the original zone's wall clock; once
            // DTSTART is in UTC the same text could mean another end, so an
            // instance spanning a DST change gets its exact length.
            let len = o.end - o.start;
            let as_written = parse_duration(p.val.as_str()).map(|d| d.num_seconds());
            if as_written != Some(len) {
                write::raw(out, name, "", &format_exact_duration(len));
                return true;
            }
        }
        false
    };
    write_comp(out, c, sel, &mut hook);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::caldata::tests::request;
    use crate::query::tests::cal;

    const WEEKLY: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Europe/Berlin:20240108T090000\r\nDTEND;TZID=Europe/Berlin:20240108T100000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=Europe/Berlin:20240115T090000\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID;TZID=Europe/Berlin:20240122T090000\r\nDTSTART;TZID=Europe/Berlin:20240122T140000\r\nDTEND;TZID=Europe/Berlin:20240122T150000\r\nSUMMARY:Moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn identity_when_nothing_special() {
        assert_eq!(render_calendar_data(WEEKLY, &request(""), None), WEEKLY);
    }

    #[test]
    fn expand_writes_utc_instances() {
        let r = request(r#"<C:expand start="20240101T000000Z" end="20240201T000000Z"/>"#);
        let got = render_calendar_data(WEEKLY, &r, None);
        let want = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n\
BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20240108T080000Z\r\nRECURRENCE-ID:20240108T080000Z\r\nDTEND:20240108T090000Z\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20240122T130000Z\r\nRECURRENCE-ID:20240122T080000Z\r\nDTEND:20240122T140000Z\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20240129T080000Z\r\nRECURRENCE-ID:20240129T080000Z\r\nDTEND:20240129T090000Z\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";
        assert_eq!(got, want);
        let narrow = request(r#"<C:expand start="20240129T085959Z" end="20240130T000000Z"/>"#);
        assert_eq!(
            render_calendar_data(WEEKLY, &narrow, None)
                .matches("BEGIN:VEVENT")
                .count(),
            1
        );
    }

    #[test]
    fn expand_all_day_keeps_dates() {
        let ics = cal("BEGIN:VEVENT\nUID:d\nDTSTART;VALUE=DATE:20240101\nDTEND;VALUE=DATE:20240102\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n");
        let r = request(r#"<C:expand start="20240102T000000Z" end="20240103T000000Z"/>"#);
        let got = render_calendar_data(&ics, &r, None);
        assert!(got.contains("DTSTART;VALUE=DATE:20240102\r\nRECURRENCE-ID;VALUE=DATE:20240102\r\nDTEND;VALUE=DATE:20240103\r\n"), "{got}");
        assert_eq!(got.matches("BEGIN:VEVENT").count(), 1);
    }

    /// An expanded instance has its DTSTART in UTC, where a day is 24 hours, so
    /// the DURATION of an instance that spans a DST change is written exactly.
    #[test]
    fn expand_writes_exact_duration_across_dst() {
        let ics = cal("BEGIN:VEVENT\nUID:d\nDTSTART;TZID=Europe/Berlin:20250329T120000\nDURATION:P1D\nRRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n");
        let r = request(r#"<C:expand start="20250329T000000Z" end="20250401T000000Z"/>"#);
        let got = render_calendar_data(&ics, &r, None);
        assert!(
            got.contains(
                "DTSTART:20250329T110000Z\r\nRECURRENCE-ID:20250329T110000Z\r\nDURATION:PT23H\r\n"
            ),
            "{got}"
        );
        assert!(
            got.contains(
                "DTSTART:20250330T100000Z\r\nRECURRENCE-ID:20250330T100000Z\r\nDURATION:P1D\r\n"
            ),
            "{got}"
        );
    }

    /// RFC 4791 §9.9 decides which to-do instances are returned, as for the
    /// filter: DTSTART+DURATION reaching the range start counts, and a to-do
    /// without DTSTART is returned only when its DUE is in range, in UTC.
    #[test]
    fn expand_to_dos_by_the_vtodo_table() {
        let ics = cal("BEGIN:VTODO\nUID:t\nDTSTART:20250101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=2\nEND:VTODO\n");
        let r = request(r#"<C:expand start="20250101T100000Z" end="20250102T000000Z"/>"#);
        let got = render_calendar_data(&ics, &r, None);
        assert!(got.contains("DTSTART:20250101T090000Z\r\n"), "{got}");
        let due = cal("BEGIN:VTODO\nUID:u\nDUE;TZID=Europe/Berlin:20250110T120000\nEND:VTODO\n");
        let inside = request(r#"<C:expand start="20250110T000000Z" end="20250111T000000Z"/>"#);
        let got = render_calendar_data(&due, &inside, None);
        assert!(
            got.contains("BEGIN:VTODO\r\nUID:u\r\nDUE:20250110T110000Z\r\nEND:VTODO"),
            "{got}"
        );
        let outside = request(r#"<C:expand start="20250111T000000Z" end="20250112T000000Z"/>"#);
        assert!(!render_calendar_data(&due, &outside, None).contains("VTODO"));
    }

    #[test]
    fn limit_recurrence_set_drops_far_overrides() {
        let r =
            request(r#"<C:limit-recurrence-set start="20240101T000000Z" end="20240110T000000Z"/>"#);
        let got = render_calendar_data(WEEKLY, &r, None);
        assert!(got.contains("RRULE:FREQ=WEEKLY;COUNT=4"));
        assert!(!got.contains("Moved"));
        assert!(got.contains("BEGIN:VTIMEZONE"));
        let r =
            request(r#"<C:limit-recurrence-set start="20240122T000000Z" end="20240123T000000Z"/>"#);
        assert!(render_calendar_data(WEEKLY, &r, None).contains("Moved"));
    }

    #[test]
    fn partial_retrieval_selects_props_and_comps() {
        let r = request(
            r#"<C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID" novalue="yes"/></C:comp></C:comp>"#,
        );
        let got = render_calendar_data(WEEKLY, &r, None);
        assert_eq!(got, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:\r\nSUMMARY:Moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
        let all = request(r#"<C:comp name="VCALENDAR"><C:allprop/><C:allcomp/></C:comp>"#);
        let got = render_calendar_data(WEEKLY, &all, None);
        assert!(
            got.contains("BEGIN:VTIMEZONE") && got.contains("RRULE:") && got.contains("PRODID")
        );
    }

    #[test]
    fn limit_freebusy_set_trims_periods() {
        let ics = cal("BEGIN:VFREEBUSY\nUID:f\nFREEBUSY;FBTYPE=BUSY:20240101T100000Z/PT1H,20240105T100000Z/PT1H\nFREEBUSY:20240201T100000Z/PT1H\nEND:VFREEBUSY\n");
        let r =
            request(r#"<C:limit-freebusy-set start="20240104T000000Z" end="20240106T000000Z"/>"#);
        let got = render_calendar_data(&ics, &r, None);
        assert!(
            got.contains("FREEBUSY;FBTYPE=BUSY:20240105T100000Z/PT1H\r\n"),
            "{got}"
        );
        assert!(!got.contains("20240101T1") && !got.contains("20240201"));
    }
}
