//! Floating times under the calendar's time zone and under a query's
//! CALDAV:timezone (RFC 4791 §9.9, §7.3, §9.8, §5.2.2).

use super::*;

// --- Time zones (RFC 4791 §9.9 and §7.3: floating DATE and DATE-TIME values
// are read in the query's CALDAV:timezone, else the calendar's time zone) ---

/// America/New_York as a VTIMEZONE literal, for `concat!`.
macro_rules! vtz_new_york {
    () => {
        "BEGIN:VTIMEZONE
                            TZID:America/New_York
                            BEGIN:DAYLIGHT
                            TZOFFSETFROM:-0500
                            TZOFFSETTO:-0400
                            TZNAME:EDT
                            DTSTART:19700308T020000
                            RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
                            END:DAYLIGHT
                            BEGIN:STANDARD
                            TZOFFSETFROM:-0400
                            TZOFFSETTO:-0500
                            TZNAME:EST
                            DTSTART:19701101T020000
                            RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
                            END:STANDARD
                            END:VTIMEZONE
"
    };
}

const QUERY_TZ_BERLIN: &str = "BEGIN:VCALENDAR
                               VERSION:2.0
                               PRODID:-//davdir//query table//EN
                               BEGIN:VTIMEZONE
                               TZID:Europe/Berlin
                               BEGIN:DAYLIGHT
                               TZOFFSETFROM:+0100
                               TZOFFSETTO:+0200
                               TZNAME:CEST
                               DTSTART:19700329T020000
                               RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
                               END:DAYLIGHT
                               BEGIN:STANDARD
                               TZOFFSETFROM:+0200
                               TZOFFSETTO:+0100
                               TZNAME:CET
                               DTSTART:19701025T030000
                               RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
                               END:STANDARD
                               END:VTIMEZONE
                               END:VCALENDAR";

const QUERY_TZ_KIRITIMATI: &str = "BEGIN:VCALENDAR
                                   VERSION:2.0
                                   PRODID:-//davdir//query table//EN
                                   BEGIN:VTIMEZONE
                                   TZID:Pacific/Kiritimati
                                   BEGIN:STANDARD
                                   TZOFFSETFROM:+1400
                                   TZOFFSETTO:+1400
                                   TZNAME:+14
                                   DTSTART:19700101T000000
                                   END:STANDARD
                                   END:VTIMEZONE
                                   END:VCALENDAR";

/// A VTIMEZONE whose TZID names no IANA zone: only its definition (a fixed
/// -03:30) says what it means.
const QUERY_TZ_CUSTOM: &str = "BEGIN:VCALENDAR
                               VERSION:2.0
                               PRODID:-//davdir//query table//EN
                               BEGIN:VTIMEZONE
                               TZID:Davdir Test Minus0330
                               BEGIN:STANDARD
                               TZOFFSETFROM:-0330
                               TZOFFSETTO:-0330
                               TZNAME:M0330
                               DTSTART:19700101T000000
                               END:STANDARD
                               END:VTIMEZONE
                               END:VCALENDAR";

const FLOATING_WINTER: &str = "BEGIN:VEVENT
                               DTSTART:20270115T100000
                               DTEND:20270115T110000
                               END:VEVENT";

const FLOATING_ALLDAY: &str = "BEGIN:VEVENT
                               DTSTART;VALUE=DATE:20270115
                               END:VEVENT";

const NY_TOML: &str = "timezone = \"America/New_York\"\n";

#[rustfmt::skip]
const TZ_CALENDAR: Table = Table {
    name: "tz-cal",
    comps: &["VEVENT"],
    prop: None,
    toml: NY_TOML,
    query_tz: None,
    rows: &[
        Row {
            name: "floating-winter",
            rfc: "floating 10:00-11:00 in America/New_York (EST) = 15:00Z-16:00Z",
            comp: FLOATING_WINTER,
            probes: &[
                p("20270115T150000Z", "20270115T160000Z", true, "exactly the event"),
                p("20270115T100000Z", "20270115T110000Z", false, "the UTC reading"),
                p("20270115T140000Z", "20270115T150000Z", false, "end = DTSTART"),
                p("20270115T140000Z", "20270115T150001Z", true, "end = DTSTART+1s"),
                p("20270115T160000Z", "20270115T170000Z", false, "start = DTEND"),
                p("20270115T155959Z", "20270115T170000Z", true, "start = DTEND-1s"),
            ],
        },
        Row {
            name: "floating-summer",
            rfc: "floating 10:00-11:00 in America/New_York (EDT) = 14:00Z-15:00Z",
            comp: "BEGIN:VEVENT
                   DTSTART:20270715T100000
                   DTEND:20270715T110000
                   END:VEVENT",
            probes: &[
                p("20270715T130000Z", "20270715T140000Z", false, "end = DTSTART"),
                p("20270715T130000Z", "20270715T140001Z", true, "end = DTSTART+1s"),
                p("20270715T150000Z", "20270715T160000Z", false, "start = DTEND"),
                p("20270715T145959Z", "20270715T160000Z", true, "start = DTEND-1s"),
            ],
        },
        Row {
            name: "allday",
            rfc: "DATE 2027-01-15 in America/New_York = [15T05:00Z, 16T05:00Z)",
            comp: FLOATING_ALLDAY,
            probes: &[
                p("20270114T000000Z", "20270115T050000Z", false, "end = local midnight"),
                p("20270114T000000Z", "20270115T050001Z", true, "end = local midnight+1s"),
                p("20270116T050000Z", "20270117T000000Z", false, "start = next local midnight"),
                p("20270116T045959Z", "20270117T000000Z", true, "start = next local midnight-1s"),
            ],
        },
        Row {
            name: "floating-gap",
            rfc: "floating 02:30 on 2027-03-14 does not exist in America/New_York: read with the offset before the gap (RFC 5545 §3.3.5), = 07:30Z",
            comp: "BEGIN:VEVENT
                   DTSTART:20270314T023000
                   END:VEVENT",
            probes: &[
                p("20270314T073000Z", "20270314T073001Z", true, "start = DTSTART"),
                p("20270314T063000Z", "20270314T063001Z", false, "offset after the gap"),
            ],
        },
        Row {
            name: "utc",
            rfc: "UTC times ignore the calendar's zone",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   DTEND:20270115T110000Z
                   END:VEVENT",
            probes: &[
                p("20270115T100000Z", "20270115T110000Z", true, "UTC"),
                p("20270115T150000Z", "20270115T160000Z", false, "the zone's reading"),
            ],
        },
        Row {
            name: "tzid",
            rfc: "TZID=Europe/Berlin 10:00-11:00 (CET) = 09:00Z-10:00Z, calendar zone irrelevant",
            comp: "BEGIN:VTIMEZONE
                   TZID:Europe/Berlin
                   BEGIN:STANDARD
                   TZOFFSETFROM:+0200
                   TZOFFSETTO:+0100
                   TZNAME:CET
                   DTSTART:19701025T030000
                   RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
                   END:STANDARD
                   BEGIN:DAYLIGHT
                   TZOFFSETFROM:+0100
                   TZOFFSETTO:+0200
                   TZNAME:CEST
                   DTSTART:19700329T020000
                   RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
                   END:DAYLIGHT
                   END:VTIMEZONE
                   BEGIN:VEVENT
                   DTSTART;TZID=Europe/Berlin:20270115T100000
                   DTEND;TZID=Europe/Berlin:20270115T110000
                   END:VEVENT",
            probes: &[
                p("20270115T080000Z", "20270115T090000Z", false, "end = DTSTART"),
                p("20270115T080000Z", "20270115T090001Z", true, "end = DTSTART+1s"),
                p("20270115T100000Z", "20270115T110000Z", false, "start = DTEND"),
                p("20270115T150000Z", "20270115T160000Z", false, "the calendar zone's reading"),
            ],
        },
        Row {
            name: "tzid-custom",
            rfc: "TZID of the object's own VTIMEZONE with no IANA name (fixed +03:30): 10:00 = 06:30Z",
            comp: "BEGIN:VTIMEZONE
                   TZID:Davdir Test Plus0330
                   BEGIN:STANDARD
                   TZOFFSETFROM:+0330
                   TZOFFSETTO:+0330
                   TZNAME:P0330
                   DTSTART:19700101T000000
                   END:STANDARD
                   END:VTIMEZONE
                   BEGIN:VEVENT
                   DTSTART;TZID=Davdir Test Plus0330:20270115T100000
                   DTEND;TZID=Davdir Test Plus0330:20270115T110000
                   END:VEVENT",
            probes: &[
                p("20270115T063000Z", "20270115T063001Z", true, "start = DTSTART"),
                p("20270115T060000Z", "20270115T063000Z", false, "end = DTSTART"),
                p("20270115T150000Z", "20270115T160000Z", false, "read as floating in the calendar zone"),
            ],
        },
        Row {
            name: "floating-recurring",
            rfc: "floating RRULE FREQ=DAILY;COUNT=3 in America/New_York: 10:00 EST = 15:00Z each day",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000
                   DTEND:20270115T110000
                   RRULE:FREQ=DAILY;COUNT=3
                   END:VEVENT",
            probes: &[
                p("20270117T150000Z", "20270117T150001Z", true, "3rd instance"),
                p("20270117T100000Z", "20270117T110000Z", false, "3rd instance, UTC reading"),
            ],
        },
    ],
};

#[rustfmt::skip]
const TZ_OBJECT: Table = Table {
    name: "tz-object",
    comps: &["VEVENT"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "gap",
            rfc: "TZID=America/New_York:20270314T023000 (nonexistent): offset before the gap (RFC 5545 §3.3.5) = 07:30Z",
            comp: concat!(
                vtz_new_york!(),
                "BEGIN:VEVENT
                 DTSTART;TZID=America/New_York:20270314T023000
                 END:VEVENT"
            ),
            probes: &[
                p("20270314T073000Z", "20270314T073001Z", true, "start = DTSTART"),
                p("20270314T063000Z", "20270314T063001Z", false, "offset after the gap"),
            ],
        },
        Row {
            name: "ambiguous",
            rfc: "TZID=America/New_York:20271107T013000 (occurs twice): the first, EDT (RFC 5545 §3.3.5) = 05:30Z",
            comp: concat!(
                vtz_new_york!(),
                "BEGIN:VEVENT
                 DTSTART;TZID=America/New_York:20271107T013000
                 END:VEVENT"
            ),
            probes: &[
                p("20271107T053000Z", "20271107T053001Z", true, "start = DTSTART (EDT)"),
                p("20271107T063000Z", "20271107T063001Z", false, "the second occurrence (EST)"),
            ],
        },
        Row {
            name: "nominal-day",
            rfc: "TZID=America/New_York 2027-03-13 12:00 + DURATION:P1D ends 2027-03-14 12:00 EDT = 16:00Z (a nominal day, RFC 5545 §3.3.6)",
            comp: concat!(
                vtz_new_york!(),
                "BEGIN:VEVENT
                 DTSTART;TZID=America/New_York:20270313T120000
                 DURATION:P1D
                 END:VEVENT"
            ),
            probes: &[
                p("20270314T160000Z", "20270314T170000Z", false, "start = end (16:00Z)"),
                p("20270314T155959Z", "20270314T170000Z", true, "start = end-1s"),
                p("20270313T160000Z", "20270313T170000Z", false, "end = DTSTART (17:00Z)"),
            ],
        },
        Row {
            name: "custom-dst-rules",
            rfc: "TZID of the object's own non-IANA VTIMEZONE with DST rules (US eastern): 2027-07-15 10:00 EDT = 14:00Z",
            comp: "BEGIN:VTIMEZONE
                   TZID:Davdir Test Eastern
                   BEGIN:DAYLIGHT
                   TZOFFSETFROM:-0500
                   TZOFFSETTO:-0400
                   TZNAME:EDT
                   DTSTART:20070311T020000
                   RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
                   END:DAYLIGHT
                   BEGIN:STANDARD
                   TZOFFSETFROM:-0400
                   TZOFFSETTO:-0500
                   TZNAME:EST
                   DTSTART:20071104T020000
                   RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
                   END:STANDARD
                   END:VTIMEZONE
                   BEGIN:VEVENT
                   DTSTART;TZID=Davdir Test Eastern:20270715T100000
                   DTEND;TZID=Davdir Test Eastern:20270715T110000
                   RRULE:FREQ=MONTHLY;COUNT=6
                   END:VEVENT",
            probes: &[
                p("20270715T140000Z", "20270715T140001Z", true, "July instance, EDT"),
                p("20270715T130000Z", "20270715T140000Z", false, "end = DTSTART (EDT)"),
                p("20270715T150000Z", "20270715T160000Z", false, "July at the EST offset"),
                p("20271215T150000Z", "20271215T150001Z", true, "December instance, EST"),
                p("20271215T140000Z", "20271215T150000Z", false, "December at the EDT offset"),
            ],
        },
        Row {
            name: "recurring-dst",
            rfc: "TZID=America/New_York daily 10:00-11:00 from 2027-03-13: 15:00Z before DST, 14:00Z after",
            comp: concat!(
                vtz_new_york!(),
                "BEGIN:VEVENT
                 DTSTART;TZID=America/New_York:20270313T100000
                 DTEND;TZID=America/New_York:20270313T110000
                 RRULE:FREQ=DAILY;COUNT=3
                 END:VEVENT"
            ),
            probes: &[
                p("20270313T150000Z", "20270313T150001Z", true, "1st instance, EST"),
                p("20270315T140000Z", "20270315T140001Z", true, "3rd instance, EDT"),
                p("20270315T150000Z", "20270315T160000Z", false, "3rd instance at the EST offset"),
            ],
        },
    ],
};

#[rustfmt::skip]
const TZ_VALARM: Table = Table {
    name: "tz-valarm",
    comps: &["VEVENT", "VALARM"],
    prop: None,
    toml: NY_TOML,
    query_tz: None,
    rows: &[Row {
        name: "allday",
        rfc: "TRIGGER:-PT15M on DATE 2027-01-15 in an America/New_York calendar: 04:45Z",
        comp: "BEGIN:VEVENT
               DTSTART;VALUE=DATE:20270115
               BEGIN:VALARM
               ACTION:DISPLAY
               DESCRIPTION:x
               TRIGGER:-PT15M
               END:VALARM
               END:VEVENT",
        probes: &[
            p("20270115T044500Z", "20270115T044501Z", true, "start = trigger"),
            p("20270114T234500Z", "20270114T234501Z", false, "the UTC reading"),
        ],
    }],
};

#[rustfmt::skip]
const TZ_CALENDAR_PROP: Table = Table {
    name: "tz-cal-prop",
    comps: &["VEVENT"],
    prop: Some("DTSTART"),
    toml: NY_TOML,
    query_tz: None,
    rows: &[Row {
        name: "floating-dtstart",
        rfc: "prop-filter DTSTART, floating 10:00 in America/New_York = 15:00Z",
        comp: FLOATING_WINTER,
        probes: &[
            p("20270115T150000Z", "20270115T150001Z", true, "start = DTSTART"),
            p("20270115T100000Z", "20270115T100001Z", false, "the UTC reading"),
        ],
    }],
};

#[rustfmt::skip]
const TZ_QUERY: Table = Table {
    name: "tz-query",
    comps: &["VEVENT"],
    prop: None,
    toml: NY_TOML,
    query_tz: Some(QUERY_TZ_BERLIN),
    rows: &[
        Row {
            name: "floating-winter",
            rfc: "CALDAV:timezone Europe/Berlin overrides the calendar's America/New_York: 10:00 CET = 09:00Z",
            comp: FLOATING_WINTER,
            probes: &[
                p("20270115T090000Z", "20270115T100000Z", true, "exactly the event"),
                p("20270115T150000Z", "20270115T160000Z", false, "the calendar zone's reading"),
                p("20270115T080000Z", "20270115T090000Z", false, "end = DTSTART"),
                p("20270115T100000Z", "20270115T110000Z", false, "start = DTEND"),
                p("20270115T095959Z", "20270115T110000Z", true, "start = DTEND-1s"),
            ],
        },
        Row {
            name: "tzid",
            rfc: "TZID=America/New_York 10:00 = 15:00Z whatever CALDAV:timezone says",
            comp: concat!(
                vtz_new_york!(),
                "BEGIN:VEVENT
                 DTSTART;TZID=America/New_York:20270115T100000
                 DTEND;TZID=America/New_York:20270115T110000
                 END:VEVENT"
            ),
            probes: &[
                p("20270115T150000Z", "20270115T150001Z", true, "start = DTSTART"),
                p("20270115T090000Z", "20270115T100000Z", false, "the query zone's reading"),
            ],
        },
        Row {
            name: "allday",
            rfc: "DATE 2027-01-15 with CALDAV:timezone Europe/Berlin = [14T23:00Z, 15T23:00Z)",
            comp: FLOATING_ALLDAY,
            probes: &[
                p("20270114T220000Z", "20270114T230000Z", false, "end = local midnight"),
                p("20270114T220000Z", "20270114T230001Z", true, "end = local midnight+1s"),
                p("20270115T230000Z", "20270116T000000Z", false, "start = next local midnight"),
                p("20270115T225959Z", "20270116T000000Z", true, "start = next local midnight-1s"),
            ],
        },
    ],
};

#[rustfmt::skip]
const TZ_QUERY_FAR: Table = Table {
    name: "tz-query-far",
    comps: &["VEVENT"],
    prop: None,
    toml: "",
    query_tz: Some(QUERY_TZ_KIRITIMATI),
    rows: &[Row {
        name: "floating",
        rfc: "CALDAV:timezone Pacific/Kiritimati (+14): 2027-01-15 10:00 = 2027-01-14 20:00Z",
        comp: FLOATING_WINTER,
        probes: &[
            p("20270114T200000Z", "20270114T210000Z", true, "exactly the event"),
            p("20270115T100000Z", "20270115T110000Z", false, "the UTC reading"),
            p("20270114T190000Z", "20270114T200000Z", false, "end = DTSTART"),
            p("20270114T210000Z", "20270114T220000Z", false, "start = DTEND"),
        ],
    }],
};

#[rustfmt::skip]
const TZ_QUERY_CUSTOM: Table = Table {
    name: "tz-query-custom",
    comps: &["VEVENT"],
    prop: None,
    toml: "",
    query_tz: Some(QUERY_TZ_CUSTOM),
    rows: &[Row {
        name: "floating",
        rfc: "CALDAV:timezone with a non-IANA TZID defined as fixed -03:30: 10:00 = 13:30Z",
        comp: FLOATING_WINTER,
        probes: &[
            p("20270115T133000Z", "20270115T133001Z", true, "start = DTSTART"),
            p("20270115T130000Z", "20270115T133000Z", false, "end = DTSTART"),
            p("20270115T100000Z", "20270115T110000Z", false, "the UTC reading"),
        ],
    }],
};

#[test]
fn floating_times_and_time_zones() {
    check_tables(&[
        &TZ_CALENDAR,
        &TZ_OBJECT,
        &TZ_VALARM,
        &TZ_CALENDAR_PROP,
        &TZ_QUERY,
        &TZ_QUERY_FAR,
    ]);
}

/// Known davdir bug: the CALDAV:timezone's VTIMEZONE is only looked up by
/// TZID / X-LIC-LOCATION among IANA and Windows names; a definition under
/// any other TZID is ignored and floating times fall back to UTC (or the
/// calendar's zone). RFC 4791 §9.8: the element's VTIMEZONE is the zone.
#[test]
fn query_timezone_defined_only_by_its_vtimezone() {
    check_tables(&[&TZ_QUERY_CUSTOM]);
}

/// PROPPATCH of CALDAV:calendar-timezone (RFC 4791 §5.2.2) changes how
/// floating times already stored are read.
#[test]
fn calendar_timezone_set_by_proppatch() {
    let server = start(&[("tz-patch".to_string(), String::new())]);
    put(
        &server,
        "/u/tz-patch/floating.ics",
        &object("tz-patch-floating@davdir-test", FLOATING_WINTER),
    );
    let filter = |s: &str, e: &str| {
        format!(
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{s}" end="{e}"/></C:comp-filter></C:comp-filter>"#
        )
    };
    let hit: BTreeSet<String> = ["/u/tz-patch/floating.ics".to_string()].into();
    // No zone yet: floating is read as UTC.
    assert_eq!(
        query(
            &server,
            "tz-patch",
            &filter("20270115T100000Z", "20270115T100001Z"),
            None
        ),
        Ok(hit.clone())
    );
    let tokyo = "BEGIN:VCALENDAR
                 VERSION:2.0
                 PRODID:-//davdir//query table//EN
                 BEGIN:VTIMEZONE
                 TZID:Asia/Tokyo
                 BEGIN:STANDARD
                 TZOFFSETFROM:+0900
                 TZOFFSETTO:+0900
                 TZNAME:JST
                 DTSTART:19700101T000000
                 END:STANDARD
                 END:VTIMEZONE
                 END:VCALENDAR";
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><C:calendar-timezone>{}</C:calendar-timezone></D:prop></D:set>
</D:propertyupdate>"#,
        xml_escape(&ics(tokyo))
    );
    let ms = server.proppatch("/u/tz-patch/", &body).multistatus();
    assert_eq!(
        ms.single().status_of(CALDAV, "calendar-timezone"),
        Some(200),
        "PROPPATCH calendar-timezone: {ms:?}"
    );
    // Asia/Tokyo: 10:00 JST = 01:00Z.
    assert_eq!(
        query(
            &server,
            "tz-patch",
            &filter("20270115T010000Z", "20270115T010001Z"),
            None
        ),
        Ok(hit),
        "floating 10:00 in Asia/Tokyo is 01:00Z"
    );
    assert_eq!(
        query(
            &server,
            "tz-patch",
            &filter("20270115T100000Z", "20270115T110000Z"),
            None
        ),
        Ok(BTreeSet::new()),
        "the UTC reading no longer matches"
    );
}

/// A calendar-timezone whose TZID is a Windows zone name (as Outlook and
/// Exchange write it) is the zone queries read floating times in, the same
/// zone a query's CALDAV:timezone with that TZID names.
#[test]
fn calendar_timezone_with_windows_name_set_by_proppatch() {
    let server = start(&[("tz-win".to_string(), String::new())]);
    put(
        &server,
        "/u/tz-win/floating.ics",
        &object("tz-win-floating@davdir-test", FLOATING_WINTER),
    );
    let filter = |s: &str, e: &str| {
        format!(
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{s}" end="{e}"/></C:comp-filter></C:comp-filter>"#
        )
    };
    let berlin = "BEGIN:VCALENDAR
                  VERSION:2.0
                  PRODID:-//davdir//query table//EN
                  BEGIN:VTIMEZONE
                  TZID:W. Europe Standard Time
                  BEGIN:STANDARD
                  TZOFFSETFROM:+0200
                  TZOFFSETTO:+0100
                  DTSTART:16011028T030000
                  RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
                  END:STANDARD
                  BEGIN:DAYLIGHT
                  TZOFFSETFROM:+0100
                  TZOFFSETTO:+0200
                  DTSTART:16010325T020000
                  RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
                  END:DAYLIGHT
                  END:VTIMEZONE
                  END:VCALENDAR";
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><C:calendar-timezone>{}</C:calendar-timezone></D:prop></D:set>
</D:propertyupdate>"#,
        xml_escape(&ics(berlin))
    );
    let ms = server.proppatch("/u/tz-win/", &body).multistatus();
    assert_eq!(
        ms.single().status_of(CALDAV, "calendar-timezone"),
        Some(200),
        "PROPPATCH calendar-timezone: {ms:?}"
    );
    // Europe/Berlin in January: 10:00 CET = 09:00Z.
    assert_eq!(
        query(
            &server,
            "tz-win",
            &filter("20270115T090000Z", "20270115T090001Z"),
            None
        ),
        Ok(["/u/tz-win/floating.ics".to_string()].into()),
        "floating 10:00 in W. Europe Standard Time is 09:00Z"
    );
    assert_eq!(
        query(
            &server,
            "tz-win",
            &filter("20270115T100000Z", "20270115T110000Z"),
            None
        ),
        Ok(BTreeSet::new()),
        "the UTC reading no longer matches"
    );
}
