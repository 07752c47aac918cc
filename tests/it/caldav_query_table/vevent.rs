//! The first table of RFC 4791 §9.9 (VEVENT), with recurring events.

use super::*;

// --- VEVENT (RFC 4791 §9.9, first table) ------------------------------------

#[rustfmt::skip]
const VEVENT: Table = Table {
    name: "vevent",
    comps: &["VEVENT"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "dtend",
            rfc: "DTEND=Y DURATION=N: start < DTEND AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   DTEND:20270115T110000Z
                   END:VEVENT",
            probes: &[
                p("20270115T090000Z", "20270115T100000Z", false, "end = DTSTART"),
                p("20270115T090000Z", "20270115T100001Z", true, "end = DTSTART+1s"),
                p("20270115T110000Z", "20270115T120000Z", false, "start = DTEND"),
                p("20270115T105959Z", "20270115T120000Z", true, "start = DTEND-1s"),
                p("20270115T101500Z", "20270115T104500Z", true, "inside"),
                p("20270115T090000Z", "20270115T120000Z", true, "covers"),
                p("20270115T080000Z", "20270115T090000Z", false, "before"),
                p("20270115T120000Z", "20270115T130000Z", false, "after"),
                p("", "20270115T100000Z", false, "open start, end = DTSTART"),
                p("", "20270115T100001Z", true, "open start, end = DTSTART+1s"),
                p("20270115T110000Z", "", false, "open end, start = DTEND"),
                p("20270115T105959Z", "", true, "open end, start = DTEND-1s"),
            ],
        },
        Row {
            name: "dtend-date",
            rfc: "DTEND=Y DURATION=N (DATE values): start < DTEND AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270115
                   DTEND;VALUE=DATE:20270117
                   END:VEVENT",
            probes: &[
                p("20270114T000000Z", "20270115T000000Z", false, "end = DTSTART"),
                p("20270114T000000Z", "20270115T000001Z", true, "end = DTSTART+1s"),
                p("20270117T000000Z", "20270118T000000Z", false, "start = DTEND"),
                p("20270116T235959Z", "20270118T000000Z", true, "start = DTEND-1s"),
                p("20270116T120000Z", "20270116T130000Z", true, "second day"),
            ],
        },
        Row {
            name: "duration",
            rfc: "DTEND=N DURATION=Y >0s: start < DTSTART+DURATION AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   DURATION:PT1H
                   END:VEVENT",
            probes: &[
                p("20270115T090000Z", "20270115T100000Z", false, "end = DTSTART"),
                p("20270115T090000Z", "20270115T100001Z", true, "end = DTSTART+1s"),
                p("20270115T110000Z", "20270115T120000Z", false, "start = DTSTART+DURATION"),
                p("20270115T105959Z", "20270115T120000Z", true, "start = DTSTART+DURATION-1s"),
                p("20270115T101500Z", "20270115T104500Z", true, "inside"),
                p("", "20270115T100000Z", false, "open start, end = DTSTART"),
                p("20270115T110000Z", "", false, "open end, start = end of event"),
            ],
        },
        Row {
            name: "duration-date",
            rfc:
                "DTEND=N DURATION=Y >0s (DATE DTSTART): start < DTSTART+DURATION AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270115
                   DURATION:P2D
                   END:VEVENT",
            probes: &[
                p("20270114T000000Z", "20270115T000000Z", false, "end = DTSTART"),
                p("20270114T000000Z", "20270115T000001Z", true, "end = DTSTART+1s"),
                p("20270117T000000Z", "20270118T000000Z", false, "start = DTSTART+P2D"),
                p("20270116T235959Z", "20270118T000000Z", true, "start = DTSTART+P2D-1s"),
            ],
        },
        Row {
            name: "duration-zero",
            rfc: "DTEND=N DURATION=Y =0s: start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   DURATION:PT0S
                   END:VEVENT",
            probes: &[
                p("20270115T100000Z", "20270115T110000Z", true, "start = DTSTART"),
                p("20270115T090000Z", "20270115T100000Z", false, "end = DTSTART"),
                p("20270115T090000Z", "20270115T100001Z", true, "end = DTSTART+1s"),
                p("20270115T100001Z", "20270115T110000Z", false, "start = DTSTART+1s"),
                p("20270115T095959Z", "20270115T100001Z", true, "around"),
                p("", "20270115T100000Z", false, "open start, end = DTSTART"),
                p("20270115T100000Z", "", true, "open end, start = DTSTART"),
            ],
        },
        Row {
            name: "duration-zero-date",
            rfc: "DTEND=N DURATION=Y =0s (DATE DTSTART): start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270115
                   DURATION:P0D
                   END:VEVENT",
            probes: &[
                p("20270115T000000Z", "20270115T000001Z", true, "start = DTSTART"),
                p("20270114T000000Z", "20270115T000000Z", false, "end = DTSTART"),
                p("20270115T000001Z", "20270116T000000Z", false, "rest of the day: not P1D"),
            ],
        },
        Row {
            name: "dtstart-datetime",
            rfc: "DTEND=N DURATION=N DATE-TIME=Y: start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   END:VEVENT",
            probes: &[
                p("20270115T100000Z", "20270115T110000Z", true, "start = DTSTART"),
                p("20270115T090000Z", "20270115T100000Z", false, "end = DTSTART"),
                p("20270115T090000Z", "20270115T100001Z", true, "end = DTSTART+1s"),
                p("20270115T100001Z", "20270115T110000Z", false, "start = DTSTART+1s"),
                p("20270115T100000Z", "20270115T100001Z", true, "one second at DTSTART"),
            ],
        },
        Row {
            name: "dtstart-date",
            rfc: "DTEND=N DURATION=N DATE-TIME=N: start < DTSTART+P1D AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270115
                   END:VEVENT",
            probes: &[
                p("20270114T000000Z", "20270115T000000Z", false, "end = DTSTART"),
                p("20270114T000000Z", "20270115T000001Z", true, "end = DTSTART+1s"),
                p("20270116T000000Z", "20270117T000000Z", false, "start = DTSTART+P1D"),
                p("20270115T235959Z", "20270117T000000Z", true, "start = DTSTART+P1D-1s"),
                p("20270115T120000Z", "20270115T130000Z", true, "midday"),
            ],
        },
    ],
};

// --- VEVENT recurrence (§9.9: a recurring component overlaps when one of its
// instances does; RFC 5545 §3.8.5 RRULE/RDATE/EXDATE, §3.8.4.4 RECURRENCE-ID)

#[rustfmt::skip]
const VEVENT_RECURRING: Table = Table {
    name: "vevent-recur",
    comps: &["VEVENT"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "daily-exdate",
            rfc: "DTEND=Y, RRULE COUNT=3 with EXDATE on the 2nd: per instance start < DTEND AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   EXDATE:20270602T100000Z
                   END:VEVENT",
            probes: &[
                p("20270601T103000Z", "20270601T103100Z", true, "first instance"),
                p("20270602T100000Z", "20270602T110000Z", false, "excluded instance"),
                p("20270601T110000Z", "20270603T100000Z", false, "between 1st end and 3rd start"),
                p("20270603T105959Z", "20270603T110000Z", true, "last second of 3rd"),
                p("20270604T100000Z", "20270604T110000Z", false, "after COUNT"),
            ],
        },
        Row {
            name: "override",
            rfc: "DTEND=Y, RRULE COUNT=3, 2nd instance moved by RECURRENCE-ID",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   END:VEVENT
                   BEGIN:VEVENT
                   RECURRENCE-ID:20270602T100000Z
                   DTSTART:20270602T150000Z
                   DTEND:20270602T160000Z
                   END:VEVENT",
            probes: &[
                p("20270602T100000Z", "20270602T110000Z", false, "original slot of the moved instance"),
                p("20270602T150000Z", "20270602T150100Z", true, "moved instance"),
                p("20270602T160000Z", "20270603T100000Z", false, "after moved, before 3rd"),
            ],
        },
        Row {
            name: "rdate",
            rfc: "DTEND=Y plus RDATE",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RDATE:20270610T100000Z
                   END:VEVENT",
            probes: &[
                p("20270610T103000Z", "20270610T103100Z", true, "RDATE instance"),
                p("20270605T000000Z", "20270606T000000Z", false, "between"),
            ],
        },
        Row {
            name: "weekly-unbounded",
            rfc: "DTEND=Y, RRULE FREQ=WEEKLY without end (Mondays)",
            comp: "BEGIN:VEVENT
                   DTSTART:20270607T100000Z
                   DTEND:20270607T110000Z
                   RRULE:FREQ=WEEKLY
                   END:VEVENT",
            probes: &[
                p("20300603T100000Z", "20300603T100001Z", true, "a Monday in 2030"),
                p("20300604T100000Z", "20300604T110000Z", false, "the Tuesday after"),
                p("20270101T000000Z", "20270607T100000Z", false, "before DTSTART"),
            ],
        },
        Row {
            name: "override-far",
            rfc: "RRULE COUNT=3, 2nd instance moved months away by RECURRENCE-ID",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   END:VEVENT
                   BEGIN:VEVENT
                   RECURRENCE-ID:20270602T100000Z
                   DTSTART:20271201T100000Z
                   DTEND:20271201T110000Z
                   END:VEVENT",
            probes: &[
                p("20271201T103000Z", "20271201T103100Z", true, "moved instance, far from the master"),
                p("20270602T100000Z", "20270602T110000Z", false, "original slot"),
                p("20271201T110000Z", "", false, "open end after the moved instance"),
            ],
        },
        Row {
            name: "orphan-override",
            rfc: "only an overridden instance (RECURRENCE-ID, no master component)",
            comp: "BEGIN:VEVENT
                   RECURRENCE-ID:20270602T100000Z
                   DTSTART:20270602T150000Z
                   DTEND:20270602T160000Z
                   END:VEVENT",
            probes: &[
                p("20270602T150000Z", "20270602T150100Z", true, "the instance"),
                p("20270602T100000Z", "20270602T110000Z", false, "its RECURRENCE-ID slot"),
            ],
        },
        Row {
            name: "rdate-period",
            rfc: "RDATE;VALUE=PERIOD: that instance has the period's own length (RFC 5545 §3.8.5.2)",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RDATE;VALUE=PERIOD:20270620T100000Z/PT3H
                   END:VEVENT",
            probes: &[
                p("20270620T123000Z", "20270620T123100Z", true, "inside the 3h period, after 1h"),
                p("20270620T130000Z", "20270620T140000Z", false, "start = period end"),
            ],
        },
        Row {
            name: "until",
            rfc: "RRULE FREQ=DAILY;UNTIL=3rd start (UNTIL is inclusive)",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY;UNTIL=20270603T100000Z
                   END:VEVENT",
            probes: &[
                p("20270603T100000Z", "20270603T100001Z", true, "instance at UNTIL"),
                p("20270604T100000Z", "20270604T110000Z", false, "after UNTIL"),
            ],
        },
        Row {
            name: "daily-far",
            rfc: "RRULE FREQ=DAILY without end, two centuries later",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY
                   END:VEVENT",
            probes: &[
                p("22260601T103000Z", "22260601T103100Z", true, "2226 instance"),
                p("22260601T110000Z", "22260602T100000Z", false, "between two 2226 instances"),
            ],
        },
        Row {
            name: "minutely",
            rfc: "RRULE FREQ=MINUTELY without end, 10s instances, a year later",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DURATION:PT10S
                   RRULE:FREQ=MINUTELY
                   END:VEVENT",
            probes: &[
                p("20280601T000005Z", "20280601T000006Z", true, "inside an instance"),
                p("20280601T000010Z", "20280601T000100Z", false, "between instances"),
            ],
        },
        Row {
            name: "count-large",
            rfc: "RRULE FREQ=DAILY;COUNT=30000: last instance 2109-07-20",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY;COUNT=30000
                   END:VEVENT",
            probes: &[
                p("21090720T100000Z", "21090720T100001Z", true, "last instance"),
                p("21090721T100000Z", "21090721T110000Z", false, "the day after the last"),
            ],
        },
        Row {
            name: "yearly-allday",
            rfc: "DTSTART DATE only, RRULE FREQ=YEARLY: each instance lasts P1D",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270701
                   RRULE:FREQ=YEARLY
                   END:VEVENT",
            probes: &[
                p("20300701T000000Z", "20300701T000001Z", true, "2030 instance, first second"),
                p("20300630T000000Z", "20300701T000000Z", false, "day before, end = instance start"),
                p("20300702T000000Z", "20300703T000000Z", false, "day after"),
            ],
        },
    ],
};

#[test]
fn vevent_table() {
    check_tables(&[&VEVENT, &VEVENT_RECURRING]);
}
