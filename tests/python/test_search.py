"""Time-range queries (RFC 4791 section 9.9) against data-sample, checked against an
independent expansion of the same .ics files with recurring-ical-events."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import recurring_ical_events

from support import (REQUEST_TIMEOUT, SAMPLE_DATA, ics_files, multistatus, url_path)

UTC = dt.timezone.utc
# Floating times and all-day dates may be read in any time zone: expectations are computed
# with the window shrunk and widened by this much, and the server must land in between.
SLACK = dt.timedelta(hours=14)

WINDOWS = {
    # weekly, bi-weekly and monthly rules, an overridden instance and a floating event
    "early-december": ("20261201T000000Z", "20261215T000000Z"),
    # both Mondays in the window are EXDATEd from the weekly team sync
    "new-year-exdates": ("20261227T000000Z", "20270105T000000Z"),
    "mid-january": ("20270112T000000Z", "20270117T000000Z"),
    # far ahead: only unbounded rules (weekly, yearly all-day birthday)
    "january-2028": ("20280110T000000Z", "20280120T000000Z"),
}


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def expected_uids(calendar: str, comp: str, start: dt.datetime, end: dt.datetime) -> set[str]:
    out = set()
    for text in ics_files(SAMPLE_DATA / "demo" / calendar).values():
        cal = icalendar.Calendar.from_ical(text)
        for c in recurring_ical_events.of(cal, components=[comp]).between(start, end):
            out.add(str(c["UID"]))
    return out


def time_range_query(comp: str, start: str, end: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
        '<c:filter><c:comp-filter name="VCALENDAR">'
        f'<c:comp-filter name="{comp}"><c:time-range start="{start}" end="{end}"/></c:comp-filter>'
        "</c:comp-filter></c:filter></c:calendar-query>"
    )


def report_uids(server, calendar: str, body: str) -> set[str]:
    r = server.session("demo").request(
        "REPORT", server.url("demo", calendar), data=body.encode(), timeout=REQUEST_TIMEOUT,
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    uids = set()
    for href, resp in multistatus(r).items():
        data = resp.findtext(".//{urn:ietf:params:xml:ns:caldav}calendar-data")
        assert data, f"no calendar-data for {href}"
        assert href.startswith(f"/demo/{calendar}/"), href
        cal = icalendar.Calendar.from_ical(data)
        uids |= {str(c["UID"]) for c in cal.subcomponents if c.name in ("VEVENT", "VTODO", "VJOURNAL")}
    return uids


@pytest.mark.parametrize("window", sorted(WINDOWS))
@pytest.mark.parametrize("calendar", ["personal", "work"])
def test_event_time_range_report(sample_server, calendar, window):
    start, end = WINDOWS[window]
    s, e = parse_utc(start), parse_utc(end)
    narrow = expected_uids(calendar, "VEVENT", s + SLACK, e - SLACK)
    wide = expected_uids(calendar, "VEVENT", s - SLACK, e + SLACK)
    got = report_uids(sample_server, calendar, time_range_query("VEVENT", start, end))
    assert narrow <= got, f"missing from {window}: {sorted(narrow - got)}"
    assert got <= wide, f"outside {window}: {sorted(got - wide)}"


def test_time_range_windows_are_not_vacuous():
    """Guard for the test above: each window must expect something somewhere."""
    for window, (start, end) in WINDOWS.items():
        s, e = parse_utc(start), parse_utc(end)
        found = set().union(*(expected_uids(c, "VEVENT", s + SLACK, e - SLACK)
                              for c in ("personal", "work")))
        assert found, f"window {window} expects no event in data-sample"


def test_caldav_search_expands_recurrences(sample_server):
    """caldav's search(..., expand=True) over a closed range gives one item per occurrence."""
    cal = sample_server.client("demo").principal().calendar(cal_id="work")
    start, end = parse_utc("20261130T000000Z"), parse_utc("20261214T000000Z")
    found = cal.search(event=True, start=start, end=end, expand=True)
    got = sorted(
        (o.id, o.get_icalendar_component().decoded("DTSTART").astimezone(UTC))
        for o in found
    )
    src = icalendar.Calendar.from_ical(
        (SAMPLE_DATA / "demo" / "work" / "team-weekly-sync.ics").read_text())
    want_team = sorted(c.decoded("DTSTART").astimezone(UTC)
                       for c in recurring_ical_events.of(src).between(start, end))
    got_team = [t for uid, t in got if uid == "team-weekly-sync@davdir.example"]
    assert got_team == want_team, "team-weekly-sync occurrences (with the moved 7 Dec instance)"
    assert dt.datetime(2026, 12, 7, 10, 0, tzinfo=UTC) in got_team  # the override, 11:00 Berlin
    assert {uid for uid, _ in got} >= {"focus-time@davdir.example", "nyc-office-sync@davdir.example"}
    assert all(url_path(o.url).startswith("/demo/work/") for o in found)


def test_server_side_expand(sample_server):
    """calendar-data with <C:expand> (RFC 4791 section 9.6.5): one instance per occurrence,
    in UTC, with RECURRENCE-IDs and without RRULE/EXDATE."""
    start, end = "20261130T000000Z", "20261222T000000Z"
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        f'<d:prop><c:calendar-data><c:expand start="{start}" end="{end}"/></c:calendar-data></d:prop>'
        '<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
        f'<c:time-range start="{start}" end="{end}"/>'
        "</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
    )
    r = sample_server.session("demo").request(
        "REPORT", sample_server.url("demo", "work"), data=body.encode(), timeout=REQUEST_TIMEOUT,
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    team = None
    for href, resp in multistatus(r).items():
        if href.endswith("/team-weekly-sync.ics"):
            team = resp.findtext(".//{urn:ietf:params:xml:ns:caldav}calendar-data")
    assert team, "team-weekly-sync missing from the expanded result"
    instances = [c for c in icalendar.Calendar.from_ical(team).subcomponents if c.name == "VEVENT"]
    got = sorted(c.decoded("DTSTART") for c in instances)
    src = icalendar.Calendar.from_ical(
        (SAMPLE_DATA / "demo" / "work" / "team-weekly-sync.ics").read_text())
    want = sorted(c.decoded("DTSTART").astimezone(UTC)
                  for c in recurring_ical_events.of(src).between(parse_utc(start), parse_utc(end)))
    assert got == want
    for c in instances:
        assert "RRULE" not in c and "EXDATE" not in c
        assert "RECURRENCE-ID" in c
        assert c.decoded("DTSTART").utcoffset() == dt.timedelta(0), c["DTSTART"].to_ical()


def sample_todos(calendar: str) -> dict[str, icalendar.Todo]:
    out = {}
    for text in ics_files(SAMPLE_DATA / "demo" / calendar).values():
        for c in icalendar.Calendar.from_ical(text).walk("VTODO"):
            out[str(c["UID"])] = c
    return out


@pytest.mark.parametrize("calendar", ["personal", "work"])
def test_caldav_search_events_without_expand(sample_server, calendar):
    """search(event=True, start, end) returns each matching object once, as stored."""
    cal = sample_server.client("demo").principal().calendar(cal_id=calendar)
    start, end = WINDOWS["early-december"]
    s, e = parse_utc(start), parse_utc(end)
    found = cal.search(event=True, start=s, end=e)
    got = [o.id for o in found]
    assert len(got) == len(set(got)), f"an object came back twice: {got}"
    narrow = expected_uids(calendar, "VEVENT", s + SLACK, e - SLACK)
    wide = expected_uids(calendar, "VEVENT", s - SLACK, e + SLACK)
    assert narrow and narrow <= set(got) <= wide
    # Not expanded: each object is the whole stored object (master and
    # overrides, recurrence rule kept), not its instances.
    stored = {}
    for t in ics_files(SAMPLE_DATA / "demo" / calendar).values():
        events = icalendar.Calendar.from_ical(t).walk("VEVENT")
        if events:
            stored[str(events[0]["UID"])] = events
    for o in found:
        events = o.icalendar_instance.walk("VEVENT")
        assert len(events) == len(stored[o.id]), o.id
        assert [str(e.get("RRULE", "")) for e in events] == [str(e.get("RRULE", "")) for e in stored[o.id]]


@pytest.mark.parametrize("calendar", ["personal", "work"])
def test_caldav_search_todos(sample_server, calendar):
    """search(todo=True) gives the open to-dos; include_completed=True gives all of them."""
    cal = sample_server.client("demo").principal().calendar(cal_id=calendar)
    todos = sample_todos(calendar)
    open_uids = {u for u, c in todos.items()
                 if "COMPLETED" not in c and str(c.get("STATUS", "")) not in ("COMPLETED", "CANCELLED")}
    assert open_uids and open_uids != set(todos), "sample must have open and completed to-dos"
    assert {o.id for o in cal.search(todo=True)} == open_uids
    assert {o.id for o in cal.search(todo=True, include_completed=True)} == set(todos)


def test_caldav_search_todos_in_a_time_range_expanded(sample_server):
    """A to-do time-range search with expand returns the to-dos RFC 4791 §9.9 puts in range."""
    cal = sample_server.client("demo").principal().calendar(cal_id="work")
    s, e = parse_utc("20261101T000000Z"), parse_utc("20270301T000000Z")
    found = cal.search(todo=True, start=s, end=e, expand=True, include_completed=True)
    got = {o.id for o in found}
    dated = {u for u, c in sample_todos("work").items()
             if any(k in c for k in ("DUE", "DTSTART", "COMPLETED", "CREATED"))}
    assert got and got <= set(sample_todos("work"))
    assert dated <= got, f"dated to-dos missing: {sorted(dated - got)}"
