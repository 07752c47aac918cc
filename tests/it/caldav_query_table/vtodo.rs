//! The second table of RFC 4791 §9.9 (VTODO).

use super::*;

// --- VTODO (RFC 4791 §9.9, second table) -------------------------------------

#[rustfmt::skip]
const VTODO: Table = Table {
    name: "vtodo",
    comps: &["VTODO"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "dtstart-duration",
            rfc: "DTSTART=Y DURATION=Y DUE=N: start <= DTSTART+DURATION AND (end > DTSTART OR end >= DTSTART+DURATION)",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   DURATION:PT1H
                   END:VTODO",
            probes: &[
                p("20270210T110000Z", "20270210T120000Z", true, "start = DTSTART+DURATION"),
                p("20270210T110001Z", "20270210T120000Z", false, "start = DTSTART+DURATION+1s"),
                p("20270210T090000Z", "20270210T100000Z", false, "end = DTSTART"),
                p("20270210T090000Z", "20270210T100001Z", true, "end = DTSTART+1s"),
                p("20270210T101500Z", "20270210T104500Z", true, "inside"),
                p("20270210T080000Z", "20270210T090000Z", false, "before"),
            ],
        },
        Row {
            name: "dtstart-duration-zero",
            rfc: "DTSTART=Y DURATION=Y (=0s) DUE=N: start <= DTSTART+DURATION AND (end > DTSTART OR end >= DTSTART+DURATION)",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   DURATION:PT0S
                   END:VTODO",
            probes: &[
                p("20270210T090000Z", "20270210T100000Z", true, "end = DTSTART+DURATION (>=)"),
                p("20270210T100000Z", "20270210T110000Z", true, "start = DTSTART+DURATION (<=)"),
                p("20270210T090000Z", "20270210T095959Z", false, "end = DTSTART-1s"),
                p("20270210T100001Z", "20270210T110000Z", false, "start = DTSTART+1s"),
            ],
        },
        Row {
            name: "dtstart-due",
            rfc: "DTSTART=Y DURATION=N DUE=Y: (start < DUE OR start <= DTSTART) AND (end > DTSTART OR end >= DUE)",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   DUE:20270210T110000Z
                   END:VTODO",
            probes: &[
                p("20270210T110000Z", "20270210T120000Z", false, "start = DUE"),
                p("20270210T105959Z", "20270210T120000Z", true, "start = DUE-1s"),
                p("20270210T090000Z", "20270210T100000Z", false, "end = DTSTART"),
                p("20270210T090000Z", "20270210T100001Z", true, "end = DTSTART+1s"),
                p("20270210T101500Z", "20270210T104500Z", true, "inside"),
            ],
        },
        Row {
            name: "dtstart-due-equal",
            rfc: "DTSTART=Y DURATION=N DUE=Y (DUE = DTSTART): (start < DUE OR start <= DTSTART) AND (end > DTSTART OR end >= DUE)",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   DUE:20270210T100000Z
                   END:VTODO",
            probes: &[
                p("20270210T090000Z", "20270210T100000Z", true, "end = DUE (>=)"),
                p("20270210T100000Z", "20270210T110000Z", true, "start = DTSTART (<=)"),
                p("20270210T090000Z", "20270210T095959Z", false, "end = DUE-1s"),
                p("20270210T100001Z", "20270210T110000Z", false, "start = DUE+1s"),
            ],
        },
        Row {
            name: "dtstart",
            rfc: "DTSTART=Y DURATION=N DUE=N: start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   END:VTODO",
            probes: &[
                p("20270210T100000Z", "20270210T110000Z", true, "start = DTSTART"),
                p("20270210T090000Z", "20270210T100000Z", false, "end = DTSTART"),
                p("20270210T100001Z", "20270210T110000Z", false, "start = DTSTART+1s"),
                p("20270210T095959Z", "20270210T100001Z", true, "around"),
            ],
        },
        Row {
            name: "due",
            rfc: "DTSTART=N DURATION=N DUE=Y: start < DUE AND end >= DUE",
            comp: "BEGIN:VTODO
                   DUE:20270210T110000Z
                   END:VTODO",
            probes: &[
                p("20270210T100000Z", "20270210T110000Z", true, "end = DUE (>=)"),
                p("20270210T110000Z", "20270210T120000Z", false, "start = DUE"),
                p("20270210T105959Z", "20270210T110001Z", true, "around"),
                p("20270210T100000Z", "20270210T105959Z", false, "end = DUE-1s"),
                p("", "20270210T110000Z", true, "open start, end = DUE"),
            ],
        },
        Row {
            name: "completed-created",
            rfc: "DTSTART=N DURATION=N DUE=N COMPLETED=Y CREATED=Y: (start <= CREATED OR start <= COMPLETED) AND (end >= CREATED OR end >= COMPLETED)",
            comp: "BEGIN:VTODO
                   CREATED:20270201T090000Z
                   COMPLETED:20270212T120000Z
                   END:VTODO",
            probes: &[
                p("20270212T120000Z", "20270213T000000Z", true, "start = COMPLETED"),
                p("20270212T120001Z", "20270213T000000Z", false, "start = COMPLETED+1s"),
                p("20270131T000000Z", "20270201T090000Z", true, "end = CREATED"),
                p("20270131T000000Z", "20270201T085959Z", false, "end = CREATED-1s"),
                p("20270205T000000Z", "20270206T000000Z", true, "between CREATED and COMPLETED"),
            ],
        },
        Row {
            name: "completed",
            rfc: "DTSTART=N DURATION=N DUE=N COMPLETED=Y CREATED=N: start <= COMPLETED AND end >= COMPLETED",
            comp: "BEGIN:VTODO
                   COMPLETED:20270212T120000Z
                   END:VTODO",
            probes: &[
                p("20270212T120000Z", "20270212T130000Z", true, "start = COMPLETED"),
                p("20270212T110000Z", "20270212T120000Z", true, "end = COMPLETED (>=)"),
                p("20270212T120001Z", "20270212T130000Z", false, "start = COMPLETED+1s"),
                p("20270212T110000Z", "20270212T115959Z", false, "end = COMPLETED-1s"),
            ],
        },
        Row {
            name: "created",
            rfc: "DTSTART=N DURATION=N DUE=N COMPLETED=N CREATED=Y: end > CREATED",
            comp: "BEGIN:VTODO
                   CREATED:20270201T090000Z
                   END:VTODO",
            probes: &[
                p("20260101T000000Z", "20270201T090000Z", false, "end = CREATED"),
                p("20260101T000000Z", "20270201T090001Z", true, "end = CREATED+1s"),
                p("20300101T000000Z", "20300102T000000Z", true, "long after CREATED"),
                p("", "20270201T090001Z", true, "open start"),
            ],
        },
        Row {
            name: "none",
            rfc: "DTSTART=N DURATION=N DUE=N COMPLETED=N CREATED=N: TRUE",
            comp: "BEGIN:VTODO
                   SUMMARY:undated
                   END:VTODO",
            probes: &[
                p("19700101T000000Z", "19700102T000000Z", true, "1970"),
                p("20270101T000000Z", "20270102T000000Z", true, "2027"),
                p("20990101T000000Z", "20990102T000000Z", true, "2099"),
                p("", "19000101T000000Z", true, "open start"),
            ],
        },
    ],
};

#[rustfmt::skip]
const VTODO_MORE: Table = Table {
    name: "vtodo-more",
    comps: &["VTODO"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "due-date",
            rfc: "DTSTART=N DUE=Y (DATE value, read as UTC midnight): start < DUE AND end >= DUE",
            comp: "BEGIN:VTODO
                   DUE;VALUE=DATE:20270210
                   END:VTODO",
            probes: &[
                p("20270209T230000Z", "20270210T000000Z", true, "end = DUE"),
                p("20270210T000000Z", "20270211T000000Z", false, "start = DUE"),
            ],
        },
        Row {
            name: "recurring",
            rfc: "DTSTART=Y DUE=Y with RRULE FREQ=WEEKLY;COUNT=2: any instance",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   DUE:20270210T110000Z
                   RRULE:FREQ=WEEKLY;COUNT=2
                   END:VTODO",
            probes: &[
                p("20270217T103000Z", "20270217T103100Z", true, "2nd instance"),
                p("20270217T110000Z", "20270224T000000Z", false, "start = 2nd DUE"),
                p("20270224T100000Z", "20270224T110000Z", false, "after COUNT"),
            ],
        },
    ],
};

#[test]
fn vtodo_table() {
    check_tables(&[&VTODO, &VTODO_MORE]);
}
