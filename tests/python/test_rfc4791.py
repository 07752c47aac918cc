"""Raw-protocol checks of RFC 4791 / RFC 4918 behaviour that clients rely on."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from support import (CALDAV, DAV, REQUEST_TIMEOUT, davdir_only, event_ics, found_prop,
                     ics_files, multistatus, new_uid, propfind, todo_ics, url_path)

ICS = {"Content-Type": "text/calendar; charset=utf-8"}
XML = {"Content-Type": "application/xml; charset=utf-8"}


@pytest.fixture
def cal(server):
    """(session, calendar URL, calendar directory) of a fresh calendar of alice's."""
    s = server.session("alice")
    url = server.url("alice", "rfc")
    r = s.request("MKCALENDAR", url, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 201, f"MKCALENDAR {url}: {r.status_code} {r.text[:300]}"
    return s, url, server.calendar_dir("alice", "rfc")


def put(s, url, body, **headers):
    return s.put(url, data=body.encode(), headers={**ICS, **headers}, timeout=REQUEST_TIMEOUT)


def test_mkcalendar_on_existing_collection_fails(server, cal):
    s, url, _ = cal
    r = s.request("MKCALENDAR", url, timeout=REQUEST_TIMEOUT)
    assert r.status_code in (403, 405, 409), f"second MKCALENDAR {url_path(url)}: {r.status_code}"


def test_propfind_depth1_lists_exactly_the_objects_with_etags(server, cal):
    s, url, directory = cal
    names = ["one.ics", "two.ics"]
    assert put(s, url + names[0], event_ics(new_uid(), "one")).status_code == 201
    assert put(s, url + names[1], todo_ics(new_uid(), "two")).status_code == 201
    body = ('<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:">'
            "<d:prop><d:getetag/><d:getcontenttype/><d:resourcetype/></d:prop></d:propfind>")
    responses = multistatus(propfind(s, url, body, depth="1"))
    members = {p for p in responses if p != url_path(url)}
    assert members == {url_path(url) + n for n in names}, sorted(responses)
    assert set(ics_files(directory)) == set(names)
    for n in names:
        resp = responses[url_path(url) + n]
        etag = found_prop(resp, f"{{{DAV}}}getetag")
        assert etag is not None and etag.text
        assert s.get(url + n, timeout=REQUEST_TIMEOUT).headers.get("ETag") == etag.text.strip()
        ctype = found_prop(resp, f"{{{DAV}}}getcontenttype")
        assert ctype is not None and ctype.text.startswith("text/calendar")


def test_multiget_reports_missing_href_as_404(server, cal):
    s, url, _ = cal
    uid = new_uid()
    assert put(s, url + "present.ics", event_ics(uid, "present")).status_code == 201
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
            f"<d:href>{url_path(url)}present.ics</d:href>"
            f"<d:href>{url_path(url)}absent.ics</d:href>"
            "</c:calendar-multiget>")
    r = s.request("REPORT", url, data=body.encode(), headers={**XML, "Depth": "1"},
                  timeout=REQUEST_TIMEOUT)
    responses = multistatus(r)
    assert set(responses) == {url_path(url) + "present.ics", url_path(url) + "absent.ics"}
    data = found_prop(responses[url_path(url) + "present.ics"], f"{{{CALDAV}}}calendar-data")
    assert data is not None and uid in data.text
    absent = responses[url_path(url) + "absent.ics"]
    statuses = [el.text for el in absent.iter(f"{{{DAV}}}status")]
    assert any(" 404 " in (t or "") + " " for t in statuses), f"absent href statuses: {statuses}"


def test_uid_conflict_in_same_calendar_is_refused(server, cal):
    s, url, directory = cal
    uid = new_uid("dup")
    assert put(s, url + "first.ics", event_ics(uid, "first")).status_code == 201
    r = put(s, url + "second.ics", event_ics(uid, "second"))
    assert r.status_code in (403, 409), f"PUT of a second resource with the same UID: {r.status_code}"
    assert "no-uid-conflict" in r.text, r.text[:500]
    assert not (directory / "second.ics").exists()


@pytest.mark.parametrize("body", [
    "this is not iCalendar\r\n",
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nSUMMARY:no end\r\n",
], ids=["garbage", "truncated"])
def test_invalid_calendar_data_is_refused(server, cal, body):
    s, url, directory = cal
    r = put(s, url + "bad.ics", body)
    assert r.status_code in (400, 403, 415, 422), f"PUT of invalid data: {r.status_code}"
    assert not (directory / "bad.ics").exists()
    assert s.get(url + "bad.ics", timeout=REQUEST_TIMEOUT).status_code == 404


def test_two_uids_in_one_resource_are_refused(server, cal):
    s, url, directory = cal
    a, b = new_uid("a"), new_uid("b")
    first = event_ics(a, "a")
    second = event_ics(b, "b")
    vevent_b = second[second.index("BEGIN:VEVENT"):second.index("END:VCALENDAR")]
    body = first.replace("END:VCALENDAR", vevent_b + "END:VCALENDAR")
    r = put(s, url + "two.ics", body)
    assert r.status_code in (400, 403, 409, 422), f"PUT with two UIDs: {r.status_code}"
    assert not (directory / "two.ics").exists()


def test_delete_preconditions(server, cal):
    s, url, directory = cal
    assert put(s, url + "del.ics", event_ics(new_uid(), "del")).status_code == 201
    r = s.delete(url + "del.ics", headers={"If-Match": '"stale"'}, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 412, f"DELETE with stale If-Match: {r.status_code}"
    assert (directory / "del.ics").exists()
    etag = s.get(url + "del.ics", timeout=REQUEST_TIMEOUT).headers["ETag"]
    r = s.delete(url + "del.ics", headers={"If-Match": etag}, timeout=REQUEST_TIMEOUT)
    assert r.status_code in (200, 204), r.status_code
    assert not (directory / "del.ics").exists()
    r = s.delete(url + "del.ics", timeout=REQUEST_TIMEOUT)
    assert r.status_code == 404, f"DELETE of a missing object: {r.status_code}"


@davdir_only("hidden files are not calendar objects")
def test_hidden_and_non_ics_files_are_not_served(server, cal):
    s, url, directory = cal
    (directory / ".hidden.ics").write_text(event_ics(new_uid(), "hidden"))
    (directory / "notes.txt").write_text("not a calendar object\n")
    body = ('<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:">'
            "<d:prop><d:getetag/></d:prop></d:propfind>")
    members = set(multistatus(propfind(s, url, body, depth="1"))) - {url_path(url)}
    assert members == set(), sorted(members)
    assert s.get(url + ".hidden.ics", timeout=REQUEST_TIMEOUT).status_code == 404


@davdir_only("supported-calendar-component-set comes from .calendar.toml")
def test_component_set_from_calendar_toml(sample_server):
    s = sample_server.session("demo")
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            "<d:prop><c:supported-calendar-component-set/></d:prop></d:propfind>")
    url = sample_server.url("demo", "personal")
    resp = multistatus(propfind(s, url, body))[url_path(url)]
    comps = found_prop(resp, f"{{{CALDAV}}}supported-calendar-component-set")
    assert comps is not None
    assert {c.get("name") for c in comps.findall(f"{{{CALDAV}}}comp")} == {"VEVENT", "VTODO"}

    journal = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VJOURNAL\r\n"
               f"UID:{new_uid('j')}\r\nDTSTAMP:20261101T120000Z\r\nSUMMARY:note\r\n"
               "END:VJOURNAL\r\nEND:VCALENDAR\r\n")
    r = put(s, url + "journal.ics", journal)
    assert r.status_code == 403, f"PUT VJOURNAL into a VEVENT/VTODO calendar: {r.status_code}"
    assert "supported-calendar-component" in r.text, r.text[:500]
    r = put(s, sample_server.url("demo", "work") + "journal.ics", journal)
    assert r.status_code == 201, f"PUT VJOURNAL into work (VJOURNAL allowed): {r.status_code}"


def test_principal_url_resolves_under_root(server):
    """A relative current-user-principal href must resolve against the server, not a path."""
    body = ('<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:">'
            "<d:prop><d:current-user-principal/><d:principal-URL/></d:prop></d:propfind>")
    url = server.url("alice")
    resp = multistatus(propfind(server.session("alice"), url, body))[url_path(url)]
    cup = found_prop(resp, f"{{{DAV}}}current-user-principal")
    assert cup is not None
    href = cup.findtext(f"{{{DAV}}}href").strip()
    assert url_path(urljoin(url, href)) == "/alice/", href


def test_todo_time_range_follows_rfc4791_table(server, cal):
    """RFC 4791 section 9.9: VTODOs are matched by DUE, DTSTART, or - with no dates at
    all - always."""
    s, url, _ = cal

    def vtodo(uid, props):
        return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VTODO\r\n"
                f"UID:{uid}\r\nDTSTAMP:20261101T120000Z\r\n{props}SUMMARY:{uid}\r\n"
                "END:VTODO\r\nEND:VCALENDAR\r\n")

    todos = {
        "due-inside": "DUE:20270110T120000Z\r\n",
        "start-inside": "DTSTART:20270105T090000Z\r\n",
        "no-dates": "",
        "due-after": "DUE:20270301T120000Z\r\n",
        "start-after": "DTSTART:20270201T090000Z\r\n",
        "spans-window": "DTSTART:20261201T090000Z\r\nDUE:20270201T090000Z\r\n",
    }
    for uid, props in todos.items():
        assert put(s, url + uid + ".ics", vtodo(uid, props)).status_code == 201
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            "<d:prop><d:getetag/></d:prop>"
            '<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VTODO">'
            '<c:time-range start="20270101T000000Z" end="20270115T000000Z"/>'
            "</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>")
    r = s.request("REPORT", url, data=body.encode(), headers={**XML, "Depth": "1"},
                  timeout=REQUEST_TIMEOUT)
    got = {p.rsplit("/", 1)[1].removesuffix(".ics") for p in multistatus(r)}
    assert got == {"due-inside", "start-inside", "no-dates", "spans-window"}
