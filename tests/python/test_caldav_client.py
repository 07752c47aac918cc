"""The python `caldav` library used as an application would use it."""

from __future__ import annotations

from pathlib import PurePosixPath

import caldav
import icalendar
import pytest
from caldav.lib import error

from support import (SERVER_KIND, SAMPLE_DATA, davdir_only, event_ics, ics_files, new_uid, todo_ics, uids_in_text,
                     url_path)


def cal_name(calendar) -> str:
    """The calendar's last path segment (its directory name)."""
    return PurePosixPath(url_path(calendar.url)).name


def obj_file(server, user, calendar, obj):
    """The on-disk path for a calendar object resource."""
    return server.calendar_dir(user, cal_name(calendar)) / PurePosixPath(url_path(obj.url)).name


def summary_of(obj) -> str:
    return str(obj.get_icalendar_component()["SUMMARY"])


@pytest.fixture
def principal(server):
    return server.client("alice").principal()


@pytest.fixture
def calendar(principal):
    """alice's calendar to work in: her first one (davdir creates a default), else a new one."""
    calendars = principal.get_calendars()
    if calendars:
        return calendars[0]
    return principal.make_calendar(name="Tests", cal_id="tests")


# --------------------------------------------------------------------------- discovery


@pytest.mark.parametrize("start", ["", ".well-known/caldav"], ids=["root", "well-known"])
def test_principal_discovered_from_server_root(server, start):
    client = server.client("alice", url=server.base_url + start)
    principal = client.principal()
    assert url_path(principal.url) == "/alice/"
    assert url_path(principal.calendar_home_set.url) == "/alice/"


@davdir_only("first login creates the home and a default calendar")
def test_first_login_creates_home_and_default_calendar(server):
    assert not (server.root_dir / "alice").exists()
    calendars = server.client("alice").principal().get_calendars()
    assert calendars, "no calendar after first login"
    for c in calendars:
        parts = PurePosixPath(url_path(c.url)).parts
        assert parts[:2] == ("/", "alice") and len(parts) == 3, c.url
        if SERVER_KIND == "davdir" and cal_name(c) == "birthdays":
            continue  # derived from the first address book, never a directory
        assert server.calendar_dir("alice", cal_name(c)).is_dir(), f"{c.url} has no directory"


def test_sample_calendars_listed_with_display_names(sample_server):
    principal = sample_server.client("demo").principal()
    calendars = {cal_name(c): c for c in principal.get_calendars()}
    assert {"personal", "work"} <= set(calendars), sorted(calendars)
    for name in ("personal", "work"):
        src = _sample_dir("demo", name) / "displayname"
        assert calendars[name].get_display_name() == src.read_text().rstrip()
        assert url_path(calendars[name].url) == f"/demo/{name}/"


def _sample_dir(user, name):
    return SAMPLE_DATA / user / name  # the source the fixture copied


@pytest.mark.parametrize("name", ["personal", "work"])
def test_sample_objects_match_files(sample_server, name):
    cal = sample_server.client("demo").principal().calendar(cal_id=name)
    listed = {
        "VEVENT": {o.id: o for o in cal.get_events()},
        "VTODO": {o.id: o for o in cal.get_todos(include_completed=True)},
        "VJOURNAL": {o.id: o for o in cal.get_journals()},
    }
    files = ics_files(_sample_dir("demo", name))
    assert files, f"data-sample has no objects in demo/{name}"
    wanted = {k: set() for k in listed}
    for text in files.values():
        parsed = icalendar.Calendar.from_ical(text)
        comps = [c for c in parsed.subcomponents if c.name in wanted]
        wanted[comps[0].name].add(str(comps[0]["UID"]))
    for comp, objs in listed.items():
        assert set(objs) == wanted[comp], f"{comp} objects of /demo/{name}/"
        for obj in objs.values():
            assert PurePosixPath(url_path(obj.url)).name in files, obj.url


def test_sample_object_fetched_by_url(sample_server, kind):
    src = _sample_dir("demo", "personal") / "flight-ber-lis.ics"
    cal = sample_server.client("demo").principal().calendar(cal_id="personal")
    url = str(cal.url) + "flight-ber-lis.ics"
    ev = caldav.Event(client=cal.client, url=url, parent=cal).load(multiget_fallback=False)
    want = icalendar.Calendar.from_ical(src.read_text()).walk("VEVENT")[0]
    assert summary_of(ev) == str(want["SUMMARY"])
    assert ev.id == str(want["UID"])
    if kind == "davdir":  # served as stored
        assert ev.raw_data == src.read_bytes()


# --------------------------------------------------------------------------- calendars


def test_make_calendar_with_display_name(server, principal, kind):
    name = "Projects ✓ 2027"
    new = principal.make_calendar(name=name, cal_id="projects")
    assert url_path(new.url) == "/alice/projects/"
    listed = {url_path(c.url): c for c in server.client("alice").principal().get_calendars()}
    assert "/alice/projects/" in listed, sorted(listed)
    assert listed["/alice/projects/"].get_display_name() == name
    directory = server.calendar_dir("alice", "projects")
    assert directory.is_dir()
    if kind == "davdir":
        assert (directory / "displayname").read_text(encoding="utf-8").rstrip() == name


def test_delete_calendar_removes_directory(server, principal):
    doomed = principal.make_calendar(name="Doomed", cal_id="doomed")
    doomed.add_event(event_ics(new_uid(), "in a doomed calendar"))
    assert server.calendar_dir("alice", "doomed").is_dir()
    doomed.delete()
    assert not server.calendar_dir("alice", "doomed").exists()
    listed = {url_path(c.url) for c in server.client("alice").principal().get_calendars()}
    assert "/alice/doomed/" not in listed


@davdir_only("a directory made by hand is a calendar, a copied .ics file an object")
def test_hand_made_calendar_directory_is_served(server, principal):
    directory = server.calendar_dir("alice", "handmade")
    directory.mkdir(parents=True)
    (directory / "displayname").write_text("Made by hand\n")
    uid = new_uid("hand")
    (directory / "copied.ics").write_text(event_ics(uid, "Copied in"))
    cal = {cal_name(c): c for c in server.client("alice").principal().get_calendars()}["handmade"]
    assert cal.get_display_name() == "Made by hand"
    ev = cal.get_event_by_uid(uid)
    assert summary_of(ev) == "Copied in"
    assert url_path(ev.url) == "/alice/handmade/copied.ics"
    (directory / "copied.ics").unlink()
    assert uid not in {o.id for o in cal.get_events()}


# --------------------------------------------------------------------------- objects


def test_event_save_load_edit_delete(server, calendar):
    uid = new_uid("event")
    ev = calendar.add_event(event_ics(uid, "Planning"))
    path = obj_file(server, "alice", calendar, ev)
    assert path.is_file(), f"{path} missing after add_event"
    assert uid in uids_in_text(path.read_text())

    # Fetch by URL with a fresh client, as another device would.
    other = server.client("alice").principal().calendar(cal_id=cal_name(calendar))
    fetched = other.event_by_url(ev.url)
    assert fetched.id == uid and summary_of(fetched) == "Planning"

    with fetched.edit_icalendar_component() as comp:
        comp["SUMMARY"] = "Planning (moved)"
        comp["LOCATION"] = "Room 4"
    fetched.save()
    assert "Planning (moved)" in path.read_text()

    ev.load()
    assert summary_of(ev) == "Planning (moved)"
    assert str(ev.get_icalendar_component()["LOCATION"]) == "Room 4"

    ev.delete()
    assert not path.exists(), f"{path} still there after delete"
    with pytest.raises(error.NotFoundError):
        other.event_by_url(ev.url)
    assert uid not in {o.id for o in calendar.get_events()}


def test_todo_save_complete_delete(server, calendar):
    uid = new_uid("todo")
    todo = calendar.add_todo(todo_ics(uid, "Write report"))
    path = obj_file(server, "alice", calendar, todo)
    assert path.is_file()
    assert uid in {t.id for t in calendar.get_todos()}

    fetched = calendar.get_todo_by_uid(uid)
    assert summary_of(fetched) == "Write report"
    fetched.complete()
    assert "STATUS:COMPLETED" in path.read_text()

    reloaded = calendar.get_todo_by_uid(uid)
    assert str(reloaded.get_icalendar_component()["STATUS"]) == "COMPLETED"
    assert uid not in {t.id for t in calendar.get_todos()}
    assert uid in {t.id for t in calendar.get_todos(include_completed=True)}

    reloaded.delete()
    assert not path.exists()
    assert uid not in {t.id for t in calendar.get_todos(include_completed=True)}


def test_events_and_todos_are_listed_separately(calendar):
    ev_uids = {new_uid("ev") for _ in range(2)}
    todo_uids = {new_uid("td") for _ in range(2)}
    for u in ev_uids:
        calendar.add_event(event_ics(u, "an event"))
    for u in todo_uids:
        calendar.add_todo(todo_ics(u, "a todo"))
    assert {o.id for o in calendar.get_events()} == ev_uids
    assert {o.id for o in calendar.get_todos()} == todo_uids


def test_objects_found_by_uid(calendar):
    uids = [new_uid("a"), new_uid("b")]
    for i, u in enumerate(uids):
        calendar.add_event(event_ics(u, f"event {i}"))
    tuid = new_uid("t")
    calendar.add_todo(todo_ics(tuid, "todo by uid"))
    assert summary_of(calendar.get_event_by_uid(uids[1])) == "event 1"
    assert summary_of(calendar.get_object_by_uid(uids[0])) == "event 0"
    assert summary_of(calendar.get_todo_by_uid(tuid)) == "todo by uid"
    with pytest.raises(error.NotFoundError):
        calendar.get_event_by_uid("no-such-uid")


def test_multiget(calendar):
    saved = {}
    for i in range(3):
        u = new_uid("mg")
        saved[u] = calendar.add_event(event_ics(u, f"multi {i}"))
    urls = [o.url for o in saved.values()]
    got = calendar.multiget(urls)
    by_path = {url_path(o.url): o for o in got}
    assert set(by_path) == {url_path(u) for u in urls}
    for u, o in saved.items():
        fetched = by_path[url_path(o.url)]
        assert fetched.id == u
        assert summary_of(fetched) == summary_of(o)
    # the legacy spelling returns the same
    assert {o.id for o in calendar.calendar_multiget(urls[:2])} == {saved_o.id for saved_o in list(saved.values())[:2]}


def test_stale_client_cannot_overwrite(server, calendar):
    uid = new_uid("conflict")
    calendar.add_event(event_ics(uid, "original"))
    first = server.client("alice").principal().calendar(cal_id=cal_name(calendar)).get_event_by_uid(uid)
    second = server.client("alice").principal().calendar(cal_id=cal_name(calendar)).get_event_by_uid(uid)
    with first.edit_icalendar_component() as comp:
        comp["SUMMARY"] = "first edit"
    first.save()
    with second.edit_icalendar_component() as comp:
        comp["SUMMARY"] = "second edit"
    with pytest.raises(error.ETagMismatchError):
        second.save()
    assert summary_of(calendar.get_event_by_uid(uid)) == "first edit"


def test_add_event_no_overwrite(calendar):
    uid = new_uid("dup")
    calendar.add_event(event_ics(uid, "first"), no_overwrite=True)
    with pytest.raises(error.ConsistencyError):
        calendar.add_event(event_ics(uid, "second"), no_overwrite=True)
    assert summary_of(calendar.get_event_by_uid(uid)) == "first"
