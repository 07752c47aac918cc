//! The third and fourth tables of RFC 4791 §9.9 (VJOURNAL, VFREEBUSY).

use super::*;

// --- VJOURNAL (RFC 4791 §9.9, third table) -----------------------------------

#[rustfmt::skip]
const VJOURNAL: Table = Table {
    name: "vjournal",
    comps: &["VJOURNAL"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "datetime",
            rfc: "DTSTART=Y DATE-TIME=Y: start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VJOURNAL
                   DTSTART:20270301T100000Z
                   SUMMARY:entry
                   END:VJOURNAL",
            probes: &[
                p("20270301T100000Z", "20270301T110000Z", true, "start = DTSTART"),
                p("20270301T090000Z", "20270301T100000Z", false, "end = DTSTART"),
                p("20270301T100001Z", "20270301T110000Z", false, "start = DTSTART+1s"),
                p("20270301T095959Z", "20270301T100001Z", true, "around"),
            ],
        },
        Row {
            name: "date",
            rfc: "DTSTART=Y DATE-TIME=N: start < DTSTART+P1D AND end > DTSTART",
            comp: "BEGIN:VJOURNAL
                   DTSTART;VALUE=DATE:20270301
                   SUMMARY:entry
                   END:VJOURNAL",
            probes: &[
                p("20270228T000000Z", "20270301T000000Z", false, "end = DTSTART"),
                p("20270228T000000Z", "20270301T000001Z", true, "end = DTSTART+1s"),
                p("20270302T000000Z", "20270303T000000Z", false, "start = DTSTART+P1D"),
                p("20270301T235959Z", "20270303T000000Z", true, "start = DTSTART+P1D-1s"),
                p("20270301T120000Z", "20270301T130000Z", true, "midday"),
            ],
        },
        Row {
            name: "undated",
            rfc: "DTSTART=N: FALSE",
            comp: "BEGIN:VJOURNAL
                   SUMMARY:undated entry
                   END:VJOURNAL",
            probes: &[
                p("19700101T000000Z", "20990101T000000Z", false, "everything"),
                p("", "20990101T000000Z", false, "open start"),
                p("19700101T000000Z", "", false, "open end"),
            ],
        },
    ],
};

#[rustfmt::skip]
const VJOURNAL_MORE: Table = Table {
    name: "vjournal-more",
    comps: &["VJOURNAL"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[Row {
        name: "recurring-date",
        rfc: "DTSTART=Y DATE-TIME=N with RRULE FREQ=MONTHLY;COUNT=3: each instance lasts P1D",
        comp: "BEGIN:VJOURNAL
               DTSTART;VALUE=DATE:20270301
               RRULE:FREQ=MONTHLY;COUNT=3
               SUMMARY:monthly entry
               END:VJOURNAL",
        probes: &[
            p("20270501T120000Z", "20270501T120001Z", true, "3rd instance"),
            p("20270502T000000Z", "20270601T000000Z", false, "after the 3rd"),
            p("20270401T235959Z", "20270402T000000Z", true, "last second of the 2nd"),
        ],
    }],
};

// --- VFREEBUSY (RFC 4791 §9.9, fourth table) ---------------------------------

const FREEBUSY_TOML: &str = "components = [\"VEVENT\", \"VTODO\", \"VJOURNAL\", \"VFREEBUSY\"]\n";

#[rustfmt::skip]
const VFREEBUSY: Table = Table {
    name: "vfreebusy",
    comps: &["VFREEBUSY"],
    prop: None,
    toml: FREEBUSY_TOML,
    query_tz: None,
    rows: &[
        Row {
            name: "dtstart-dtend",
            rfc: "DTSTART+DTEND=Y FREEBUSY=*: start <= DTEND AND end > DTSTART",
            comp: "BEGIN:VFREEBUSY
                   DTSTART:20270401T080000Z
                   DTEND:20270401T180000Z
                   FREEBUSY:20270401T100000Z/20270401T110000Z
                   END:VFREEBUSY",
            probes: &[
                p("20270401T180000Z", "20270401T190000Z", true, "start = DTEND (<=)"),
                p("20270401T180001Z", "20270401T190000Z", false, "start = DTEND+1s"),
                p("20270401T070000Z", "20270401T080000Z", false, "end = DTSTART"),
                p("20270401T070000Z", "20270401T080001Z", true, "end = DTSTART+1s"),
                p("20270401T130000Z", "20270401T140000Z", true, "inside, outside any FREEBUSY"),
            ],
        },
        Row {
            name: "dtstart-dtend-outer-period",
            rfc: "DTSTART+DTEND=Y FREEBUSY=*: DTSTART/DTEND decide, periods are ignored",
            comp: "BEGIN:VFREEBUSY
                   DTSTART:20270401T080000Z
                   DTEND:20270401T180000Z
                   FREEBUSY:20270405T100000Z/20270405T110000Z
                   END:VFREEBUSY",
            probes: &[
                p("20270405T100000Z", "20270405T110000Z", false, "only the FREEBUSY period"),
                p("20270401T120000Z", "20270401T130000Z", true, "inside DTSTART/DTEND"),
            ],
        },
        Row {
            name: "periods",
            rfc: "DTSTART+DTEND=N FREEBUSY=Y: start < period-end AND end > period-start",
            comp: "BEGIN:VFREEBUSY
                   FREEBUSY:20270401T100000Z/20270401T110000Z,20270401T140000Z/PT1H
                   FREEBUSY;FBTYPE=FREE:20270402T100000Z/20270402T110000Z
                   END:VFREEBUSY",
            probes: &[
                p("20270401T110000Z", "20270401T140000Z", false, "gap: start = end1, end = start2"),
                p("20270401T105959Z", "20270401T140000Z", true, "start = end1-1s"),
                p("20270401T110000Z", "20270401T140001Z", true, "end = start2+1s"),
                p("20270401T150000Z", "20270401T160000Z", false, "start = end of PT1H period"),
                p("20270401T145959Z", "20270401T160000Z", true, "start = end of PT1H period-1s"),
                p("20270402T103000Z", "20270402T103100Z", true, "FBTYPE=FREE period counts too"),
                p("20270403T000000Z", "", false, "open end after all periods"),
            ],
        },
        Row {
            name: "dtstart-only-periods",
            rfc: "DTSTART+DTEND=N (DTSTART only) FREEBUSY=Y: start < period-end AND end > period-start",
            comp: "BEGIN:VFREEBUSY
                   DTSTART:20270401T000000Z
                   FREEBUSY:20270401T100000Z/20270401T110000Z
                   END:VFREEBUSY",
            probes: &[
                p("20270401T103000Z", "20270401T103100Z", true, "inside period"),
                p("20270401T000000Z", "20270401T100000Z", false, "from DTSTART up to the period"),
            ],
        },
        Row {
            name: "none",
            rfc: "DTSTART+DTEND=N FREEBUSY=N: FALSE",
            comp: "BEGIN:VFREEBUSY
                   ORGANIZER:mailto:a@example.com
                   END:VFREEBUSY",
            probes: &[
                p("19700101T000000Z", "20990101T000000Z", false, "everything"),
                p("", "20990101T000000Z", false, "open start"),
            ],
        },
    ],
};

#[test]
fn vjournal_table() {
    check_tables(&[&VJOURNAL, &VJOURNAL_MORE]);
}

#[test]
fn vfreebusy_table() {
    check_tables(&[&VFREEBUSY]);
}
