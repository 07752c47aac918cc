"""Sharing (issue 26) as the python `caldav` library sees it: a client that
knows nothing of sharing finds the shared calendar among the sharee's own,
reads the owner's events there, and a read-write sharee's event lands in the
owner's directory."""

from __future__ import annotations

import time

import pytest

from support import (
    SERVER_KIND,
    event_ics,
    found_prop,
    ics_files,
    multistatus,
    new_uid,
    propfind,
    url_path,
)

pytestmark = pytest.mark.skipif(SERVER_KIND != "davdir", reason="davdir contract: [share] tables")


def wait_for(cond, secs: float = 10.0):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        found = cond()
        if found:
            return found
        time.sleep(0.1)
    return cond()


def test_a_shared_calendar_is_one_more_calendar_of_the_sharee(server):
    alice = server.client("alice").principal()
    family = alice.make_calendar(name="Family", cal_id="family")
    uid = new_uid("dinner")
    family.save_event(event_ics(uid, "Dinner"))
    settings = server.calendar_dir("alice", "family") / ".calendar.toml"
    old = settings.read_text() if settings.exists() else ""
    settings.write_text(old + '\n[share]\nbob = "read-write"\n')

    bob = server.client("bob").principal()

    def shared():
        for c in bob.get_calendars():
            if url_path(c.url) == "/bob/alice--family/":
                return c
        return None

    view = wait_for(shared)
    assert view is not None, [url_path(c.url) for c in bob.get_calendars()]
    uids = {str(e.icalendar_component["UID"]) for e in view.events()}
    assert uid in uids

    mine = new_uid("bob")
    view.save_event(event_ics(mine, "Bob's"))
    files = ics_files(server.calendar_dir("alice", "family"))
    assert any(mine in text for text in files.values()), files.keys()
    assert not (server.root_dir / "bob" / "alice--family").exists()
    # The owner sees it as one of hers.
    assert mine in {str(e.icalendar_component["UID"]) for e in family.events()}


CS = "http://calendarserver.org/ns/"


def test_a_calendarserver_share_post_gives_the_sharee_a_calendar(server):
    """The owner shares the way macOS Calendar does (POST of CS:share with a
    mailto sharee); the sharee's caldav client finds the calendar at once."""
    alice = server.client("alice").principal()
    alice.make_calendar(name="Trips", cal_id="trips")
    owner = server.session("alice")
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><CS:share xmlns:D="DAV:" xmlns:CS="{CS}">'
        "<CS:set><D:href>mailto:bob@example.org</D:href><CS:read/></CS:set></CS:share>"
    )
    resp = owner.post(
        server.url("alice", "trips"), data=body.encode(),
        headers={"Content-Type": "application/xml; charset=utf-8"},
    )
    assert resp.status_code == 200, resp.text
    assert "calendarserver-sharing" in resp.headers["DAV"]
    toml = (server.calendar_dir("alice", "trips") / ".calendar.toml").read_text()
    assert 'bob = "read"' in toml, toml

    bob = server.client("bob").principal()
    paths = [url_path(c.url) for c in bob.get_calendars()]
    assert "/bob/alice--trips/" in paths, paths
    found = multistatus(propfind(
        server.session("bob"), server.url("bob", "alice--trips"),
        f'<D:propfind xmlns:D="DAV:" xmlns:CS="{CS}"><D:prop><D:resourcetype/>'
        "<CS:shared-url/></D:prop></D:propfind>",
    ))["/bob/alice--trips/"]
    assert found_prop(found, "d:resourcetype").find(f"{{{CS}}}shared") is not None
    href = found_prop(found, f"{{{CS}}}shared-url").find("d:href", {"d": "DAV:"})
    assert url_path(href.text) == "/alice/trips/"
