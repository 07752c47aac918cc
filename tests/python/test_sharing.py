"""Sharing (issue 26) as the python `caldav` library sees it: a client that
knows nothing of sharing finds the shared calendar among the sharee's own,
reads the owner's events there, and a read-write sharee's event lands in the
owner's directory."""

from __future__ import annotations

import time

import pytest

from support import SERVER_KIND, event_ics, ics_files, new_uid, url_path

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
