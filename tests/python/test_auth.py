"""Authentication against the htpasswd file and isolation between users."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from caldav.lib import error

from support import (REQUEST_TIMEOUT, event_ics, new_uid, propfind, url_path)

PROPFIND_BODY = ('<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:">'
                 "<d:prop><d:resourcetype/><d:displayname/></d:prop></d:propfind>")
DENIED = (403, 404)


def test_caldav_client_with_wrong_password_is_refused(server):
    client = server.client("alice", password="wrong")
    with pytest.raises(error.AuthorizationError):
        client.principal().get_calendars()


@pytest.mark.parametrize("scheme", ["2b", "2y", "argon2"])
def test_htpasswd_hash_schemes(server_factory, scheme):
    users = {"carol": "c4rol pass"}
    srv = server_factory(users=users, schemes={"carol": scheme})
    principal = srv.client("carol").principal()
    assert url_path(principal.url) == "/carol/"
    principal.get_calendars()  # authenticated requests work
    r = propfind(srv.session("carol", "c4rol pass!"), srv.url("carol"), PROPFIND_BODY)
    assert r.status_code == 401, f"{scheme}: a wrong password got {r.status_code}"


@pytest.fixture
def alice_event(server):
    """alice's private calendar with one event: (calendar URL, event URL, event file)."""
    principal = server.client("alice").principal()
    cal = principal.make_calendar(name="Private", cal_id="private")
    ev = cal.add_event(event_ics(new_uid("secret"), "Secret meeting"))
    path = server.calendar_dir("alice", "private") / PurePosixPath(url_path(ev.url)).name
    assert path.is_file()
    return str(cal.url), str(ev.url), path


def test_other_user_does_not_list_foreign_calendars(server, alice_event):
    cal_url, _, _ = alice_event
    bob = server.client("bob").principal()
    assert url_path(bob.url) == "/bob/"
    paths = {url_path(c.url) for c in bob.get_calendars()}
    assert all(p.startswith("/bob/") for p in paths), paths
    assert url_path(cal_url) not in paths


def test_other_user_cannot_read_foreign_home_or_calendar(server, alice_event):
    cal_url, ev_url, _ = alice_event
    bob = server.session("bob")
    for url, depth in ((server.url("alice"), "1"), (cal_url, "1"), (ev_url, "0")):
        r = propfind(bob, url, PROPFIND_BODY, depth=depth)
        assert r.status_code in DENIED, f"bob PROPFIND {url_path(url)}: {r.status_code} {r.text[:300]}"
    r = bob.get(ev_url, timeout=REQUEST_TIMEOUT)
    assert r.status_code in DENIED, f"bob GET {url_path(ev_url)}: {r.status_code}"
    assert "Secret meeting" not in r.text
    report = ('<?xml version="1.0" encoding="utf-8"?>'
              '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
              "<d:prop><c:calendar-data/></d:prop>"
              '<c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>')
    r = bob.request("REPORT", cal_url, data=report.encode(), timeout=REQUEST_TIMEOUT,
                    headers={"Depth": "1", "Content-Type": "application/xml"})
    assert r.status_code in DENIED, f"bob REPORT {url_path(cal_url)}: {r.status_code}"
    assert "Secret meeting" not in r.text


def test_other_user_cannot_write_foreign_calendar(server, alice_event):
    cal_url, ev_url, path = alice_event
    bob = server.session("bob")
    before = path.read_bytes()
    r = bob.put(ev_url, data=event_ics(new_uid(), "hijacked").encode(),
                headers={"Content-Type": "text/calendar"}, timeout=REQUEST_TIMEOUT)
    assert r.status_code in DENIED, f"bob PUT over alice's event: {r.status_code}"
    r = bob.put(cal_url + "planted.ics", data=event_ics(new_uid(), "planted").encode(),
                headers={"Content-Type": "text/calendar"}, timeout=REQUEST_TIMEOUT)
    assert r.status_code in DENIED, f"bob PUT new object into alice's calendar: {r.status_code}"
    r = bob.delete(ev_url, timeout=REQUEST_TIMEOUT)
    assert r.status_code in DENIED, f"bob DELETE alice's event: {r.status_code}"
    r = bob.request("MKCALENDAR", server.url("alice", "bobs"), timeout=REQUEST_TIMEOUT)
    assert r.status_code in DENIED, f"bob MKCALENDAR in alice's home: {r.status_code}"
    assert path.read_bytes() == before
    assert not (path.parent / "planted.ics").exists()
    assert not server.calendar_dir("alice", "bobs").exists()
