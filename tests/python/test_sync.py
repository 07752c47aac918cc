"""Collection properties (PROPPATCH) and RFC 6578 sync-collection, as clients use them."""

from __future__ import annotations

import time
from pathlib import PurePosixPath

import pytest
from caldav.elements import dav, ical

from support import (REQUEST_TIMEOUT, davdir_only, event_ics, new_uid, url_path)


@pytest.fixture
def calendar(server):
    return server.client("alice").principal().make_calendar(name="Sync", cal_id="sync")


def test_proppatch_displayname_and_color(server, calendar, kind):
    calendar.set_properties([dav.DisplayName("Renamed ☂"), ical.CalendarColor("#FF8800")])
    fresh = server.client("alice").principal().calendar(cal_id="sync")
    props = fresh.get_properties([dav.DisplayName(), ical.CalendarColor()])
    assert props[dav.DisplayName.tag] == "Renamed ☂"
    assert props[ical.CalendarColor.tag].upper() in ("#FF8800", "#FF8800FF")
    if kind == "davdir":
        directory = server.calendar_dir("alice", "sync")
        assert (directory / "displayname").read_text(encoding="utf-8").rstrip() == "Renamed ☂"
        assert (directory / "color").read_text().rstrip().upper() == "#FF8800"


@davdir_only("#RRGGBBAA colours are stored as #RRGGBB and reported as #RRGGBBFF")
def test_color_alpha_is_dropped(server, calendar):
    calendar.set_properties([ical.CalendarColor("#11223344")])
    assert (server.calendar_dir("alice", "sync") / "color").read_text().rstrip().upper() == "#112233"
    props = calendar.get_properties([ical.CalendarColor()])
    assert props[ical.CalendarColor.tag].upper() == "#112233FF"


def test_sync_collection_reports_changes(calendar):
    a, b, c = (new_uid(x) for x in "abc")
    calendar.add_event(event_ics(a, "A"))
    ev_b = calendar.add_event(event_ics(b, "B"))
    ev_c = calendar.add_event(event_ics(c, "C"))

    coll = calendar.get_objects_by_sync_token(load_objects=True, disable_fallback=True)
    token1 = coll.sync_token
    assert token1 and not str(token1).startswith("fake-")
    assert {o.id for o in coll} == {a, b, c}

    updated, deleted = coll.sync()
    assert not updated and not deleted, "changes reported when nothing changed"

    with ev_b.edit_icalendar_component() as comp:
        comp["SUMMARY"] = "B edited"
    ev_b.save()
    ev_c.delete()
    d = new_uid("d")
    calendar.add_event(event_ics(d, "D"))

    updated, deleted = coll.sync()
    assert {o.id for o in updated} == {b, d}
    assert {url_path(o.url) for o in deleted} == {url_path(ev_c.url)}
    assert coll.sync_token != token1
    assert {o.id for o in coll} == {a, b, d}


def test_unknown_sync_token_is_rejected(server, calendar):
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<d:sync-collection xmlns:d="DAV:">'
            f"<d:sync-token>{server.base_url}sync/not-a-real-token</d:sync-token>"
            "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>")
    r = server.session("alice").request(
        "REPORT", str(calendar.url), data=body.encode(), timeout=REQUEST_TIMEOUT,
        headers={"Content-Type": "application/xml; charset=utf-8"})
    assert r.status_code == 403, f"REPORT sync-collection with a bogus token: {r.status_code}"
    assert "valid-sync-token" in r.text, r.text[:500]


@davdir_only("hand edits of the files are changes like any other")
def test_hand_edits_show_up_in_sync(server, calendar):
    a = new_uid("a")
    ev_a = calendar.add_event(event_ics(a, "A"))
    coll = calendar.get_objects_by_sync_token(load_objects=True, disable_fallback=True)
    directory = server.calendar_dir("alice", "sync")
    path_a = directory / PurePosixPath(url_path(ev_a.url)).name
    path_a.write_text(event_ics(a, "A edited by hand"))
    h = new_uid("hand")
    (directory / "by-hand.ics").write_text(event_ics(h, "written by hand"))

    updated, deleted = set(), set()
    deadline = time.monotonic() + 30  # a generous bound on the file watcher
    while time.monotonic() < deadline:
        up, de = coll.sync()
        updated |= {o.id for o in up}
        deleted |= {url_path(o.url) for o in de}
        if updated >= {a, h}:
            break
        time.sleep(0.2)
    assert updated == {a, h}
    assert not deleted
    by_id = {o.id: o for o in coll}
    assert "A edited by hand" in by_id[a].data
