//! The VALARM rule of RFC 4791 §9.9 (a nested comp-filter), on events and
//! to-dos.

use super::*;

// --- VALARM (RFC 4791 §9.9: start <= trigger-time AND end > trigger-time) ----

#[rustfmt::skip]
const VALARM_EVENT: Table = Table {
    name: "valarm",
    comps: &["VEVENT", "VALARM"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "related-start",
            rfc: "TRIGGER:-PT15M (from DTSTART): start <= trigger AND end > trigger",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT15M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T094500Z", "20270501T094600Z", true, "start = trigger"),
                p("20270501T094400Z", "20270501T094500Z", false, "end = trigger"),
                p("20270501T094400Z", "20270501T094501Z", true, "end = trigger+1s"),
                p("20270501T094501Z", "20270501T100000Z", false, "start = trigger+1s"),
                p("20270501T100000Z", "20270501T110000Z", false, "the event itself, not the alarm"),
            ],
        },
        Row {
            name: "related-start-after",
            rfc: "TRIGGER:PT30M (after DTSTART): start <= trigger AND end > trigger",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=START:PT30M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T103000Z", "20270501T103001Z", true, "start = trigger"),
                p("20270501T100000Z", "20270501T103000Z", false, "end = trigger"),
            ],
        },
        Row {
            name: "related-end",
            rfc: "TRIGGER;RELATED=END:PT5M (from DTEND): start <= trigger AND end > trigger",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:PT5M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T110500Z", "20270501T110600Z", true, "start = trigger"),
                p("20270501T110000Z", "20270501T110500Z", false, "end = trigger"),
                p("20270501T094500Z", "20270501T094600Z", false, "where a START trigger would be"),
            ],
        },
        Row {
            name: "related-end-duration",
            rfc: "TRIGGER;RELATED=END:-PT10M with DURATION: trigger = DTSTART+DURATION-10m",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DURATION:PT2H
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:-PT10M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T115000Z", "20270501T115001Z", true, "start = trigger"),
                p("20270501T114900Z", "20270501T115000Z", false, "end = trigger"),
            ],
        },
        Row {
            name: "absolute",
            rfc: "TRIGGER;VALUE=DATE-TIME (absolute): start <= trigger AND end > trigger",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;VALUE=DATE-TIME:20270430T120000Z
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270430T120000Z", "20270430T120001Z", true, "start = trigger"),
                p("20270430T110000Z", "20270430T120000Z", false, "end = trigger"),
                p("20270501T094500Z", "20270501T110000Z", false, "around the event"),
            ],
        },
        Row {
            name: "repeat",
            rfc: "TRIGGER:-PT15M REPEAT:2 DURATION:PT5M: any of the 3 triggers",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT15M
                   REPEAT:2
                   DURATION:PT5M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T095000Z", "20270501T095001Z", true, "2nd trigger"),
                p("20270501T095500Z", "20270501T095600Z", true, "3rd trigger"),
                p("20270501T094600Z", "20270501T095000Z", false, "between 1st and 2nd"),
                p("20270501T095100Z", "20270501T095500Z", false, "between 2nd and 3rd (end = 3rd)"),
                p("20270501T095501Z", "20270501T100000Z", false, "after the 3rd"),
            ],
        },
        Row {
            name: "recurring",
            rfc: "TRIGGER:-PT15M on RRULE FREQ=DAILY;COUNT=3: a trigger of any instance",
            comp: "BEGIN:VEVENT
                   DTSTART:20270510T100000Z
                   DTEND:20270510T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT15M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270512T094500Z", "20270512T094600Z", true, "3rd instance's trigger"),
                p("20270511T094400Z", "20270511T094500Z", false, "end = 2nd instance's trigger"),
                p("20270511T100000Z", "20270511T110000Z", false, "2nd instance itself"),
                p("20270513T094500Z", "20270513T094600Z", false, "after COUNT"),
            ],
        },
        Row {
            name: "override-without-alarm",
            rfc: "RRULE COUNT=3 with TRIGGER:-PT15M; 2nd instance overridden (moved) without a VALARM",
            comp: "BEGIN:VEVENT
                   DTSTART:20270510T100000Z
                   DTEND:20270510T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT15M
                   END:VALARM
                   END:VEVENT
                   BEGIN:VEVENT
                   RECURRENCE-ID:20270511T100000Z
                   DTSTART:20270511T150000Z
                   DTEND:20270511T160000Z
                   END:VEVENT",
            probes: &[
                p("20270511T094500Z", "20270511T094600Z", false, "original slot's trigger"),
                p("20270511T144500Z", "20270511T144600Z", false, "moved instance has no alarm"),
                p("20270512T094500Z", "20270512T094600Z", true, "3rd instance's trigger"),
            ],
        },
        Row {
            name: "override-with-alarm",
            rfc: "RRULE COUNT=3 without VALARM; 2nd instance overridden with TRIGGER:-PT5M",
            comp: "BEGIN:VEVENT
                   DTSTART:20270510T100000Z
                   DTEND:20270510T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   END:VEVENT
                   BEGIN:VEVENT
                   RECURRENCE-ID:20270511T100000Z
                   DTSTART:20270511T150000Z
                   DTEND:20270511T160000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT5M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270511T145500Z", "20270511T145501Z", true, "override's trigger"),
                p("20270511T095500Z", "20270511T095501Z", false, "original slot"),
                p("20270512T095500Z", "20270512T095501Z", false, "3rd instance has no alarm"),
            ],
        },
        Row {
            name: "recurring-unbounded",
            rfc: "TRIGGER;RELATED=END:PT0S on RRULE FREQ=WEEKLY without end",
            comp: "BEGIN:VEVENT
                   DTSTART:20270607T100000Z
                   DTEND:20270607T110000Z
                   RRULE:FREQ=WEEKLY
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:PT0S
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20300603T110000Z", "20300603T110001Z", true, "2030 Monday instance's end"),
                p("20300603T100000Z", "20300603T110000Z", false, "that instance, end = trigger"),
            ],
        },
        Row {
            name: "absolute-far",
            rfc: "TRIGGER;VALUE=DATE-TIME over a year before the event",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;VALUE=DATE-TIME:20260101T000000Z
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20260101T000000Z", "20260101T000001Z", true, "start = trigger"),
                p("20251231T000000Z", "20260101T000000Z", false, "end = trigger"),
            ],
        },
        Row {
            name: "relative-far",
            rfc: "TRIGGER:-P30D (a month before DTSTART)",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-P30D
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270401T100000Z", "20270401T100001Z", true, "start = trigger"),
                p("20270401T090000Z", "20270401T100000Z", false, "end = trigger"),
                p("20270501T000000Z", "20270502T000000Z", false, "the event's day"),
            ],
        },
        Row {
            name: "related-end-no-end",
            rfc: "TRIGGER;RELATED=END:PT10M, DATE-TIME DTSTART only (the end is DTSTART)",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:PT10M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T101000Z", "20270501T101001Z", true, "start = trigger"),
                p("20270501T100000Z", "20270501T101000Z", false, "end = trigger"),
            ],
        },
        Row {
            name: "related-end-allday",
            rfc: "TRIGGER;RELATED=END:-PT1H, DATE DTSTART only (the end is DTSTART+P1D)",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270502
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:-PT1H
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270502T230000Z", "20270502T230001Z", true, "start = trigger"),
                p("20270502T220000Z", "20270502T230000Z", false, "end = trigger"),
                p("20270501T230000Z", "20270501T230001Z", false, "a day early"),
            ],
        },
    ],
};

#[rustfmt::skip]
const VALARM_TODO: Table = Table {
    name: "valarm-todo",
    comps: &["VTODO", "VALARM"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "due-related-end",
            rfc: "VTODO with DUE only, TRIGGER;RELATED=END:-PT1H (from DUE)",
            comp: "BEGIN:VTODO
                   DUE:20270520T170000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:-PT1H
                   END:VALARM
                   END:VTODO",
            probes: &[
                p("20270520T160000Z", "20270520T160100Z", true, "start = trigger"),
                p("20270520T150000Z", "20270520T160000Z", false, "end = trigger"),
                p("20270520T165959Z", "20270520T170001Z", false, "around DUE"),
            ],
        },
        Row {
            name: "duration-related-end",
            rfc:
                "VTODO with DTSTART and DURATION, TRIGGER;RELATED=END:PT0S (from DTSTART+DURATION)",
            comp: "BEGIN:VTODO
                   DTSTART:20270520T090000Z
                   DURATION:PT2H
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:PT0S
                   END:VALARM
                   END:VTODO",
            probes: &[
                p("20270520T110000Z", "20270520T110001Z", true, "start = trigger"),
                p("20270520T105900Z", "20270520T110000Z", false, "end = trigger"),
            ],
        },
        Row {
            name: "dtstart-related-start",
            rfc: "VTODO with DTSTART and DUE, TRIGGER:-PT5M (from DTSTART)",
            comp: "BEGIN:VTODO
                   DTSTART:20270520T090000Z
                   DUE:20270520T170000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT5M
                   END:VALARM
                   END:VTODO",
            probes: &[
                p("20270520T085500Z", "20270520T085501Z", true, "start = trigger"),
                p("20270520T085000Z", "20270520T085500Z", false, "end = trigger"),
            ],
        },
    ],
};

#[test]
fn valarm_rule() {
    check_tables(&[&VALARM_EVENT, &VALARM_TODO]);
}
