"""The vdir tools share data with CalDAV clients: khal and todoman pointed at the server's
calendar directories (no sync step), and vdirsyncer syncing over CalDAV.

The second half ("vdir compatibility") runs each tool as a user would on a fresh server and
checks every change from both sides; helpers are in vdir_support.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import icalendar
import pytest

from conftest import davdir_bin
from support import REQUEST_TIMEOUT, davdir_only, event_ics, ics_files, new_uid, todo_ics
from vdir_support import (
    APPLE_ICAL,
    VISIBLE_WITHIN,
    Tools,
    by_uid,
    dav,
    mkcalendar,
    object_files,
    poll,
    prop_value,
    propfind_props,
    proppatch_statuses,
    proppatch_set,
    put_ics,
    stray_entries,
    sync_collection,
    uid_of,
    wait_for_sync,
)
from vdir_support import tool as vs_tool

TOOL_TIMEOUT = 120


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        pytest.fail(f"`{name}` not installed: pip install -r tests/python/requirements.txt")
    return found


def run(tmp_path: Path, *args: str, input: str | None = None) -> str:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_CACHE_HOME=str(home / ".cache"), XDG_DATA_HOME=str(home / ".local"),
               TZ="Europe/Berlin", NO_COLOR="1", LC_ALL="C.UTF-8")
    p = subprocess.run(args, capture_output=True, text=True, env=env, input=input,
                       timeout=TOOL_TIMEOUT)
    assert p.returncode == 0, f"{args} exited {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stdout


# --------------------------------------------------------------------------- khal


def khal_config(tmp_path: Path, server, user: str, calendars: list[str]) -> Path:
    lines = ["[calendars]"]
    for cal in calendars:
        lines += [f"[[{cal}]]", f"path = {server.calendar_dir(user, cal)}", "type = calendar"]
    lines += [
        "[locale]", "local_timezone = Europe/Berlin", "default_timezone = Europe/Berlin",
        "timeformat = %H:%M", "dateformat = %Y-%m-%d", "longdateformat = %Y-%m-%d",
        "datetimeformat = %Y-%m-%d %H:%M", "longdatetimeformat = %Y-%m-%d %H:%M",
        "[sqlite]", f"path = {tmp_path / 'khal.db'}",
    ]
    conf = tmp_path / "khal.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def test_khal_lists_event_saved_by_caldav_client(sample_server, tmp_path):
    conf = khal_config(tmp_path, sample_server, "demo", ["personal", "work"])
    cal = sample_server.client("demo").principal().calendar(cal_id="personal")
    uid = new_uid("khal-read")
    cal.add_event(event_ics(uid, "Dentist (from CalDAV)", "20261210T080000Z", "20261210T090000Z"))
    out = run(tmp_path, tool("khal"), "-c", str(conf), "list", "2026-12-10", "2026-12-11",
              "--format", "{uid}|{start-time}|{title}|{calendar}")
    assert f"{uid}|09:00|Dentist (from CalDAV)|personal" in out.splitlines(), out
    # and khal sees data-sample's own events in the same window
    assert "team-weekly-sync@davdir.example" not in out  # not a Monday
    out = run(tmp_path, tool("khal"), "-c", str(conf), "list", "2026-12-07", "2026-12-08",
              "--format", "{uid}|{start-time}")
    assert "team-weekly-sync@davdir.example|11:00" in out.splitlines(), out


def test_caldav_client_sees_event_created_by_khal(sample_server, tmp_path):
    conf = khal_config(tmp_path, sample_server, "demo", ["personal", "work"])
    run(tmp_path, tool("khal"), "-c", str(conf), "new", "-a", "work",
        "2026-12-16", "14:00", "15:00", "Architecture review (from khal)")
    directory = sample_server.calendar_dir("demo", "work")
    created = [n for n, text in ics_files(directory).items() if "(from khal)" in text]
    assert len(created) == 1, sorted(ics_files(directory))
    cal = sample_server.client("demo").principal().calendar(cal_id="work")
    found = [e for e in cal.get_events()
             if str(e.get_icalendar_component()["SUMMARY"]) == "Architecture review (from khal)"]
    assert len(found) == 1
    assert str(found[0].url).endswith("/demo/work/" + created[0])
    start = found[0].get_icalendar_component().decoded("DTSTART")
    assert start.isoformat() == "2026-12-16T14:00:00+01:00"


# --------------------------------------------------------------------------- todoman


def todoman(tmp_path: Path, server, user: str, *args: str):
    conf = tmp_path / "todoman_config.py"
    if not conf.exists():
        conf.write_text(
            f"path = {str(server.root_dir / user / '*')!r}\n"
            f"cache_path = {str(tmp_path / 'todoman.sqlite')!r}\n"
            'date_format = "%Y-%m-%d"\ntime_format = "%H:%M"\n'
        )
    out = run(tmp_path, tool("todo"), "--config", str(conf), "--porcelain", *args)
    return json.loads(out) if out.strip() else None


def test_todoman_and_caldav_client_share_todos(sample_server, tmp_path):
    cal = sample_server.client("demo").principal().calendar(cal_id="work")
    uid = new_uid("todoman")
    cal.add_todo(todo_ics(uid, "Renew TLS certificates (from CalDAV)"))

    listed = {t["summary"]: t for t in todoman(tmp_path, sample_server, "demo", "list")}
    assert "Renew TLS certificates (from CalDAV)" in listed, sorted(listed)
    todo_id = listed["Renew TLS certificates (from CalDAV)"]["id"]

    todoman(tmp_path, sample_server, "demo", "done", str(todo_id))
    done = cal.get_todo_by_uid(uid)
    assert str(done.get_icalendar_component()["STATUS"]) == "COMPLETED"

    todoman(tmp_path, sample_server, "demo", "new", "-l", "Work", "--priority", "5",
            "Order new laptops (from todoman)")
    summaries = {str(t.get_icalendar_component()["SUMMARY"]) for t in cal.get_todos()}
    assert "Order new laptops (from todoman)" in summaries


@davdir_only("object names without .ics (docs/DESIGN.md \"Object names\")")
def test_todoman_shares_a_todo_named_without_ics(sample_server, tmp_path):
    """Some clients name a to-do by a bare UUID (RFC 4791 asks nothing of names): its file is
    still a vdir item that todoman lists and edits, and the client GETs the edit back under the
    URL it chose."""
    session = sample_server.session("demo")
    uid = new_uid("bare-name")
    url = sample_server.url("demo", "work", uid, collection=False)
    put = session.put(url, data=todo_ics(uid, "Call the plumber (bare name)"),
                      headers={"Content-Type": "text/calendar"}, timeout=REQUEST_TIMEOUT)
    assert put.status_code == 201, put.text
    assert (sample_server.calendar_dir("demo", "work") / f"{uid}.noext.ics").is_file()

    listed = {t["summary"]: t for t in todoman(tmp_path, sample_server, "demo", "list")}
    assert "Call the plumber (bare name)" in listed, sorted(listed)
    todoman(tmp_path, sample_server, "demo", "done",
            str(listed["Call the plumber (bare name)"]["id"]))

    def completed():
        r = session.get(url, timeout=REQUEST_TIMEOUT)
        return r.status_code == 200 and "STATUS:COMPLETED" in r.text and r
    got, _ = poll(completed, limit=30, what="todoman's edit served under the client's URL")
    assert got.headers["ETag"] != put.headers["ETag"]
    assert uid in got.text


# --------------------------------------------------------------------------- vdirsyncer


def test_vdirsyncer_roundtrip(sample_server, tmp_path):
    local = tmp_path / "local" / "personal"
    local.mkdir(parents=True)
    conf = tmp_path / "vdirsyncer.conf"
    conf.write_text(f"""
[general]
status_path = "{tmp_path / 'status'}/"

[pair personal]
a = "local"
b = "server"
collections = null
conflict_resolution = "b wins"

[storage local]
type = "filesystem"
path = "{local}/"
fileext = ".ics"

[storage server]
type = "caldav"
url = "{sample_server.url('demo', 'personal')}"
username = "demo"
password = "demo"
""")
    vds = tool("vdirsyncer")
    run(tmp_path, vds, "-c", str(conf), "discover", input="y\n" * 5)
    run(tmp_path, vds, "-c", str(conf), "sync")

    cal = sample_server.client("demo").principal().calendar(cal_id="personal")
    server_uids = ({o.id for o in cal.get_events()}
                   | {o.id for o in cal.get_todos(include_completed=True)})

    def local_uids():
        out = set()
        for text in ics_files(local).values():
            parsed = icalendar.Calendar.from_ical(text)
            out |= {str(c["UID"]) for c in parsed.subcomponents if c.name in ("VEVENT", "VTODO")}
        return out

    assert local_uids() == server_uids

    # local addition goes up, server deletion comes down
    new = new_uid("vds")
    (local / f"{new}.ics").write_text(event_ics(new, "Added offline"))
    gone = cal.get_event_by_uid("birthday-anna@davdir.example")
    gone.delete()
    run(tmp_path, vds, "-c", str(conf), "sync")
    assert str(cal.get_event_by_uid(new).get_icalendar_component()["SUMMARY"]) == "Added offline"
    assert "birthday-anna@davdir.example" not in local_uids()
    assert new in local_uids()


# =========================================================================== vdir compatibility
# The tools run as users run them, on the very directories the server serves (khal, todoman,
# vdirsyncer's filesystem storage) or over CalDAV (vdirsyncer's caldav storage). Each check
# of a change made by a tool polls the server for at most VISIBLE_WITHIN seconds and records
# the latency it saw (`-s` prints it; it is also a junit property).

vdir_contract = davdir_only("calendar directories are vdirs")


@pytest.fixture
def tools(tmp_path) -> Tools:
    return Tools(tmp_path / "tools")


def make_calendar(server, name: str, user: str = "alice"):
    s = server.session(user)
    url = server.url(user, name)
    mkcalendar(s, url)
    return SimpleNamespace(s=s, url=url, dir=server.calendar_dir(user, name), name=name,
                           user=user, server=server)


@pytest.fixture
def cal(server):
    """alice's calendar `cal`, made with MKCALENDAR."""
    return make_calendar(server, "cal")


def get_object(c, name: str):
    r = dav(c.s, "GET", c.url + name)
    return r


def server_objects(c) -> dict[str, bytes]:
    """UID -> bytes of every object of calendar ``c`` as served by GET (checked against disk)."""
    names = sync_collection(c.s, c.url).changed
    out = {}
    for name in names:
        r = get_object(c, name)
        assert r.status_code == 200, f"GET {name}: {r.status_code}"
        assert r.content == (c.dir / name).read_bytes(), f"GET {name} differs from the file"
        uid = uid_of(r.content)
        assert uid not in out, f"UID {uid} served twice"
        out[uid] = r.content
    return out


def settled_sync(c):
    """sync-collection after the server has settled (its own writes applied, nothing pending
    from setup), so that what follows is seen through the watcher, not a setup rescan. The
    control: a file written and removed by hand must show, added then removed; the watcher
    handles changes in order, so nothing from before is pending then (no fixed sleep)."""
    uid = new_uid("settle")
    control = c.dir / f"{uid}.ics"
    control.write_bytes(vevent(uid, "control"))
    added, _ = wait_for_sync(c.s, c.url, "", lambda r: control.name in r.changed)
    control.unlink()
    wait_for_sync(c.s, c.url, added.token, lambda r: control.name in r.removed)
    return sync_collection(c.s, c.url)


def latency(record_property, key: str, seconds: float):
    record_property(key, round(seconds, 3))
    print(f"LATENCY {key}: {seconds * 1000:.0f} ms")


# --------------------------------------------------------------------------- (a)


@vdir_contract
def test_khal_list_sees_caldav_put_edit_and_delete(cal, tools):
    tools.write_khal_config({"cal": cal.dir})
    uid = new_uid("khal-a")
    url = cal.url + f"{uid}.ics"

    put_ics(cal.s, url, event_ics(uid, "Planning v1", "20261205T100000Z", "20261205T110000Z"),
            create=True)
    lines = tools.khal_list("2026-12-01", "30d")
    assert f"{uid}|2026-12-05 11:00|2026-12-05 12:00|Planning v1|cal" in lines, lines

    etag = get_object(cal, f"{uid}.ics").headers["ETag"]
    put_ics(cal.s, url, event_ics(uid, "Planning v2", "20261206T130000Z", "20261206T150000Z"),
            etag=etag)
    lines = tools.khal_list("2026-12-01", "30d")
    assert f"{uid}|2026-12-06 14:00|2026-12-06 16:00|Planning v2|cal" in lines, lines
    assert not any("Planning v1" in line for line in lines), lines

    r = dav(cal.s, "DELETE", url)
    assert r.status_code in (200, 204), r.status_code
    lines = tools.khal_list("2026-12-01", "30d")
    assert not any(uid in line for line in lines), lines


# --------------------------------------------------------------------------- (b)


def check_new_file_reaches_caldav(c, tools, before_token: str, before_files: dict, record_property,
                                  key: str) -> tuple[str, bytes]:
    """Exactly one new object file appeared on disk; sync-collection from ``before_token``
    reports exactly it within VISIBLE_WITHIN, and GET returns the file's bytes."""
    after = object_files(c.dir)
    created = sorted(set(after) - set(before_files))
    assert len(created) == 1, f"expected one new file, got {created}"
    name = created[0]
    result, _ = wait_for_sync(c.s, c.url, before_token, lambda r: name in r.changed)
    seconds = time.monotonic() - tools.last_exit
    latency(record_property, key, seconds)
    assert seconds <= VISIBLE_WITHIN, f"seen {seconds:.2f}s after the tool exited"
    assert set(result.changed) == {name}, result
    assert result.removed == set(), result
    assert result.token != before_token
    r = get_object(c, name)
    assert r.status_code == 200, r.status_code
    assert r.content == after[name], "GET must return the bytes of the file the tool wrote"
    assert r.headers.get("ETag") == result.changed[name], (r.headers.get("ETag"), result)
    return name, r.content


@vdir_contract
def test_khal_new_is_seen_over_caldav(cal, tools, record_property):
    tools.write_khal_config({"cal": cal.dir})
    before = settled_sync(cal)
    before_files = object_files(cal.dir)
    tools.khal("new", "-a", "cal", "2026-12-10", "09:00", "10:00", "Written by khal")
    name, data = check_new_file_reaches_caldav(cal, tools, before.token, before_files, record_property,
                                               "khal_new_to_sync_collection_s")
    assert prop_value(data, "SUMMARY") == "Written by khal"
    assert name == f"{uid_of(data)}.ics"


@vdir_contract
def test_todoman_new_is_seen_over_caldav(cal, tools, record_property):
    tools.write_todoman_config(str(cal.dir.parent / "*"))
    before = settled_sync(cal)
    before_files = object_files(cal.dir)
    tools.todo("new", "-l", "cal", "Written by todoman")
    name, data = check_new_file_reaches_caldav(cal, tools, before.token, before_files, record_property,
                                               "todo_new_to_sync_collection_s")
    assert prop_value(data, "SUMMARY") == "Written by todoman"
    assert "BEGIN:VTODO" in data.decode()


FILE_READER = """
import sys, time
path = sys.argv[1]
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    with open(path, "rb") as f:
        f.read()
    time.sleep(0.001)
"""


@vdir_contract
def test_todoman_new_is_seen_while_files_are_being_read(cal, tools, record_property):
    """Other programs keep reading a calendar file (a backup, an indexer, the server itself
    answering GETs): every open is an inotify event. todoman's new to-do must still reach
    CalDAV within VISIBLE_WITHIN seconds: reads must not postpone applying an edit.
    (A failure here is always real; on a machine busy enough to stall all three readers
    for the watcher's batch window at once, a broken watcher can get lucky and pass.)"""
    tools.write_todoman_config(str(cal.dir.parent / "*"))
    uid = new_uid("busy")
    put_ics(cal.s, cal.url + f"{uid}.ics", vevent(uid, "Read all the time"), create=True)
    before = settled_sync(cal)
    before_files = object_files(cal.dir)
    # The readers outlast VISIBLE_WITHIN by far (they are stopped below), so a watcher that
    # waits for quiet misses the bound rather than catching the end of the reads.
    readers = [subprocess.Popen([sys.executable, "-c", FILE_READER, str(cal.dir / f"{uid}.ics"),
                                 str(VISIBLE_WITHIN * 4)], stdin=subprocess.DEVNULL)
               for _ in range(3)]
    try:
        time.sleep(0.3)
        assert all(r.poll() is None for r in readers)
        for n in range(2):  # twice: a lucky stall of all readers must not hide the bug
            # todoman at low priority so the machine's two cores keep serving the readers
            tools.run("nice", "-n", "19", vs_tool("todo"), "--config", tools.todoman_conf,
                      "new", "-l", "cal", f"Added while busy {n}")
            check_new_file_reaches_caldav(cal, tools, before.token, before_files,
                                          record_property,
                                          f"todo_new_while_reading_to_sync_collection_{n}_s")
            before, before_files = sync_collection(cal.s, cal.url), object_files(cal.dir)
    finally:
        for r in readers:
            r.terminate()
        for r in readers:
            r.wait(timeout=10)


# --------------------------------------------------------------------------- (c)


@vdir_contract
def test_todoman_done_is_seen_over_caldav(cal, tools, record_property):
    tools.write_todoman_config(str(cal.dir.parent / "*"))
    uid = new_uid("todo-c")
    name = f"{uid}.ics"
    put_ics(cal.s, cal.url + name, todo_ics(uid, "Renew the passport"), create=True)
    etag_before = get_object(cal, name).headers["ETag"]
    token = settled_sync(cal).token

    todos = {t["summary"]: t for t in tools.todo_list()}
    assert "Renew the passport" in todos, sorted(todos)
    assert todos["Renew the passport"]["completed"] is False
    tools.todo("done", str(todos["Renew the passport"]["id"]))

    def completed():
        r = get_object(cal, name)
        return r if r.status_code == 200 and prop_value(r.content, "STATUS") == "COMPLETED" else None

    r, _ = poll(completed, what=f"GET {name} with STATUS:COMPLETED")
    latency(record_property, "todo_done_to_get_s", time.monotonic() - tools.last_exit)
    assert r.content == (cal.dir / name).read_bytes()
    assert uid_of(r.content) == uid
    assert prop_value(r.content, "COMPLETED"), "todoman sets COMPLETED"
    assert r.headers["ETag"] != etag_before
    result, _ = wait_for_sync(cal.s, cal.url, token, lambda res: name in res.changed)
    assert result.changed == {name: r.headers["ETag"]} and not result.removed, result
    assert list(object_files(cal.dir)) == [name], "todoman rewrote the same file"

    # a CalDAV client still holding the old version cannot overwrite todoman's edit
    stale = dav(cal.s, "PUT", cal.url + name, todo_ics(uid, "Renew the passport (phone)"),
                {"Content-Type": "text/calendar; charset=utf-8", "If-Match": etag_before})
    assert stale.status_code == 412, stale.status_code
    assert prop_value((cal.dir / name).read_bytes(), "STATUS") == "COMPLETED"


@vdir_contract
def test_todoman_move_between_calendars_is_seen_over_caldav(server, tools, record_property):
    """`todo move` renames the file from one calendar directory into another."""
    home, work = make_calendar(server, "home"), make_calendar(server, "work")
    uid = new_uid("move")
    name = f"{uid}.ics"
    put_ics(home.s, home.url + name, todo_ics(uid, "Move me"), create=True)
    tools.write_todoman_config(str(home.dir.parent / "*"))
    [todo] = [t for t in tools.todo_list() if t["summary"] == "Move me"]
    t_home, t_work = settled_sync(home).token, sync_collection(work.s, work.url).token
    tools.todo("move", "-l", "work", str(todo["id"]))
    res_home, _ = wait_for_sync(home.s, home.url, t_home, lambda r: name in r.removed)
    res_work, _ = wait_for_sync(work.s, work.url, t_work, lambda r: name in r.changed)
    latency(record_property, "todo_move_to_sync_collection_s", time.monotonic() - tools.last_exit)
    assert (res_home.changed, res_work.removed) == ({}, set()), (res_home, res_work)
    assert get_object(home, name).status_code == 404
    r = get_object(work, name)
    assert r.status_code == 200 and r.content == (work.dir / name).read_bytes()
    assert r.headers["ETag"] == res_work.changed[name]
    assert [t["list"] for t in tools.todo_list() if t["summary"] == "Move me"] == ["work"]


def write_like_a_vdir_tool(path: Path, data: bytes, new: bool = False):
    """What khal, todoman and vdirsyncer do (see the module's report): write
    `<name><8 random chars>` in the same directory, then link() it to a new name or
    rename() it over an existing one."""
    tmp = path.with_name(path.name + "x7k2q9zt")
    tmp.write_bytes(data)
    if new:
        os.link(tmp, path)
        tmp.unlink()
    else:
        os.rename(tmp, path)


@vdir_contract
def test_conditional_requests_right_after_a_tool_write_see_it(cal):
    """If-Match / If-None-Match are checked against the file as it is on disk, also in the
    moment right after a vdir tool wrote it (before any watcher caught up): a CalDAV client
    holding the old ETag must get 412, never silently overwrite or delete the tool's edit."""
    uid = new_uid("race")
    name = f"{uid}.ics"
    put_ics(cal.s, cal.url + name, vevent(uid, "Original"), create=True)
    settled_sync(cal)
    old = get_object(cal, name).headers["ETag"]
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    got = {}

    write_like_a_vdir_tool(cal.dir / name, vevent(uid, "Edited by a tool"))
    r = dav(cal.s, "PUT", cal.url + name, vevent(uid, "Client's stale edit"),
            {**headers, "If-Match": old})
    got["PUT If-Match old ETag"] = r.status_code
    got["file after PUT"] = prop_value((cal.dir / name).read_bytes(), "SUMMARY")
    time.sleep(0.5)

    old = get_object(cal, name).headers["ETag"]
    write_like_a_vdir_tool(cal.dir / name, vevent(uid, "Edited by a tool again"))
    r = dav(cal.s, "DELETE", cal.url + name, headers={"If-Match": old})
    got["DELETE If-Match old ETag"] = r.status_code
    got["file after DELETE"] = (prop_value((cal.dir / name).read_bytes(), "SUMMARY")
                                if (cal.dir / name).exists() else None)
    time.sleep(0.5)

    uid2 = new_uid("race-new")
    name2 = f"{uid2}.ics"
    write_like_a_vdir_tool(cal.dir / name2, vevent(uid2, "Created by a tool"), new=True)
    r = dav(cal.s, "PUT", cal.url + name2, vevent(uid2, "Client's create"),
            {**headers, "If-None-Match": "*"})
    got["PUT If-None-Match * on a new tool file"] = r.status_code
    got["new file after PUT"] = prop_value((cal.dir / name2).read_bytes(), "SUMMARY")

    assert got == {
        "PUT If-Match old ETag": 412,
        "file after PUT": "Edited by a tool",
        "DELETE If-Match old ETag": 412,
        "file after DELETE": "Edited by a tool again",
        "PUT If-None-Match * on a new tool file": 412,
        "new file after PUT": "Created by a tool",
    }


# --------------------------------------------------------------------------- (d)


def calendar_props(c) -> dict[str, str]:
    got = propfind_props(c.s, c.url, [("DAV:", "displayname"), (APPLE_ICAL, "calendar-color")])
    assert len(got) == 1, got
    return next(iter(got.values()))


@vdir_contract
def test_proppatch_writes_vdir_metadata_files(cal, tools):
    r = proppatch_set(cal.s, cal.url, [("DAV:", "displayname", "Team plans"),
                                       (APPLE_ICAL, "calendar-color", "#11223344")])
    assert proppatch_statuses(r) == {"{DAV:}displayname": 200,
                                     f"{{{APPLE_ICAL}}}calendar-color": 200}, r.text
    assert (cal.dir / "displayname").read_text() in ("Team plans", "Team plans\n")
    assert (cal.dir / "color").read_text() in ("#112233", "#112233\n")
    props = calendar_props(cal)
    assert props.get("{DAV:}displayname") == "Team plans", props
    assert props.get(f"{{{APPLE_ICAL}}}calendar-color") == "#112233FF", props

    # todoman reads the same files: list name and colour
    tools.write_todoman_config(str(cal.dir.parent / "*"))
    uid = new_uid("todo-d")
    put_ics(cal.s, cal.url + f"{uid}.ics", todo_ics(uid, "Pick a colour"), create=True)
    (todo,) = tools.todo_list()
    assert (todo["list"], todo["list_colour"]) == ("Team plans", "#112233"), todo


@vdir_contract
def test_hand_written_color_and_displayname_are_served(cal, record_property):
    props = calendar_props(cal)
    assert f"{{{APPLE_ICAL}}}calendar-color" not in props, props
    (cal.dir / "color").write_text("#abcdef\n")  # as `echo '#abcdef' > color` does

    def color():
        return calendar_props(cal).get(f"{{{APPLE_ICAL}}}calendar-color") == "#abcdefFF"

    _, seconds = poll(color, what="calendar-color #abcdefFF after writing color by hand")
    latency(record_property, "hand_color_to_propfind_s", seconds)

    (cal.dir / "displayname").write_text("Renamed by hand")
    _, seconds = poll(lambda: calendar_props(cal).get("{DAV:}displayname") == "Renamed by hand",
                      what="displayname after writing it by hand")
    latency(record_property, "hand_displayname_to_propfind_s", seconds)
    assert calendar_props(cal).get(f"{{{APPLE_ICAL}}}calendar-color") == "#abcdefFF"


# --------------------------------------------------------------------------- (e)


def vevent(uid: str, summary: str, start: str = "20261214T090000Z") -> bytes:
    end = start[:9] + f"{int(start[9:11]) + 1:02d}" + start[11:]
    return event_ics(uid, summary, start, end).encode()


def local_objects(directory: Path) -> dict[str, bytes]:
    return by_uid(object_files(directory))


def same_content(left: dict[str, bytes], right: dict[str, bytes]) -> bool:
    """Same UIDs, and each object the same text once line endings are normalised
    (the byte-exact comparison comes last in the tests that need it)."""
    def norm(d):
        return {uid: data.replace(b"\r\n", b"\n") for uid, data in d.items()}
    assert norm(left) == norm(right)
    return True


def sync_actions(output: str) -> list[str]:
    """vdirsyncer's lines about items it copied or deleted."""
    return [line for line in output.splitlines()
            if line.startswith(("Copying", "Deleting")) or "conflict" in line.lower()]


@vdir_contract
def test_vdirsyncer_caldav_pair_syncs_both_ways(server, tools):
    c = make_calendar(server, "cal")
    e1, e2, t1 = new_uid("e1"), new_uid("e2"), new_uid("t1")
    put_ics(c.s, c.url + f"{e1}.ics", vevent(e1, "Server event one"), create=True)
    put_ics(c.s, c.url + f"{e2}.ics", vevent(e2, "Server event two", "20261215T090000Z"),
            create=True)
    put_ics(c.s, c.url + f"{t1}.ics", todo_ics(t1, "Server todo"), create=True)

    local = tools.workdir / "local"
    local.mkdir(parents=True)
    tools.vdirsyncer_conf.write_text(f"""
[general]
status_path = "{tools.workdir / 'vdirsyncer-status'}/"

[pair cal]
a = "local"
b = "server"
collections = ["from b"]
implicit = "create"

[storage local]
type = "filesystem"
path = "{local}/"
fileext = ".ics"

[storage server]
type = "caldav"
url = "{server.base_url}"
username = "alice"
password = "{server.users['alice']}"
""")
    tools.vdirsyncer("discover")
    tools.vdirsyncer("sync")
    local_cal = local / "cal"
    assert local_cal.is_dir(), sorted(p.name for p in local.iterdir())
    first = server_objects(c)
    assert set(first) == {e1, e2, t1}
    assert same_content(local_objects(local_cal), first)

    # create, edit (and delete) on each side, then sync
    n_local, t2 = new_uid("local-new"), new_uid("t2")
    (local_cal / f"{n_local}.ics").write_bytes(vevent(n_local, "Created offline"))
    [(e1_file, _)] = [(n, d) for n, d in object_files(local_cal).items() if uid_of(d) == e1]
    (local_cal / e1_file).write_bytes(vevent(e1, "Server event one, edited offline"))
    put_ics(c.s, c.url + f"{t2}.ics", todo_ics(t2, "Second server todo"), create=True)
    etag = get_object(c, f"{e2}.ics").headers["ETag"]
    put_ics(c.s, c.url + f"{e2}.ics", vevent(e2, "Server event two, edited", "20261215T100000Z"),
            etag=etag)
    assert dav(c.s, "DELETE", c.url + f"{t1}.ics").status_code in (200, 204)

    out = tools.vdirsyncer("sync")
    on_server = server_objects(c)
    on_disk = local_objects(local_cal)
    assert set(on_server) == set(on_disk) == {e1, e2, t2, n_local}, (sorted(on_server), sorted(on_disk))
    assert same_content(on_disk, on_server)
    assert prop_value(on_server[e1], "SUMMARY") == "Server event one, edited offline"
    assert prop_value(on_disk[e2], "SUMMARY") == "Server event two, edited"
    assert on_server[n_local] == vevent(n_local, "Created offline")

    # nothing left to do: the server's ETags and listings are stable
    out = tools.vdirsyncer("sync")
    assert sync_actions(out.stdout + out.stderr) == [], out.stdout + out.stderr
    assert stray_entries(c.dir) == [] and stray_entries(local_cal) == []

    # Identical means identical bytes: vdirsyncer writes the calendar-data of the server's
    # calendar-multiget as it parsed it, so the CRLFs must survive the XML (see
    # test_multiget_calendar_data_keeps_crlf_through_xml for the protocol-level check).
    assert local_objects(local_cal) == server_objects(c), \
        "vdirsyncer's copies differ in bytes from the server's files (line endings?)"


@vdir_contract
def test_vdirsyncer_creates_calendar_and_metadata_on_server(server, tools):
    """`collections = ["from a", ...]` makes the server calendar (extended MKCOL) and
    `metasync` PROPPATCHes displayname/color, which land in the vdir metadata files."""
    local = tools.workdir / "local"
    (local / "offline").mkdir(parents=True)
    (local / "offline" / "displayname").write_text("Offline plans")
    (local / "offline" / "color").write_text("#336699")
    uid = new_uid("offline")
    (local / "offline" / f"{uid}.ics").write_bytes(vevent(uid, "Made offline"))
    tools.vdirsyncer_conf.write_text(f"""
[general]
status_path = "{tools.workdir / 'vdirsyncer-status'}/"

[pair cals]
a = "local"
b = "server"
collections = ["from a", "from b"]
metadata = ["color", "displayname"]
implicit = "create"

[storage local]
type = "filesystem"
path = "{local}/"
fileext = ".ics"

[storage server]
type = "caldav"
url = "{server.base_url}"
username = "alice"
password = "{server.users['alice']}"
""")
    tools.vdirsyncer("discover")
    tools.vdirsyncer("sync")
    c = SimpleNamespace(s=server.session("alice"), url=server.url("alice", "offline"),
                        dir=server.calendar_dir("alice", "offline"))
    assert c.dir.is_dir(), "vdirsyncer created the calendar"
    assert server_objects(c) == {uid: vevent(uid, "Made offline")}
    assert stray_entries(c.dir) == []

    meta = tools.vdirsyncer("metasync", check=False)
    log = f"vdirsyncer metasync exited {meta.returncode}:\n{meta.stdout}{meta.stderr}"
    assert (c.dir / "color").is_file(), log
    assert (c.dir / "color").read_text().strip() == "#336699", log
    assert calendar_props(c).get(f"{{{APPLE_ICAL}}}calendar-color") == "#336699FF"
    # A calendar without a `displayname` file has no displayname to sync: vdirsyncer copies
    # the local one up (a server that reports a made-up one makes metasync see a conflict).
    assert (c.dir / "displayname").is_file(), log
    assert (c.dir / "displayname").read_text().strip() == "Offline plans", log
    assert calendar_props(c).get("{DAV:}displayname") == "Offline plans"
    assert meta.returncode == 0, log
    assert stray_entries(c.dir) == []


@vdir_contract
def test_vdirsyncer_filesystem_storage_writes_into_served_calendar(server, tools,
                                                                   record_property):
    c = make_calendar(server, "direct")
    token0 = settled_sync(c).token
    src = tools.workdir / "src"
    src.mkdir(parents=True)
    a, b, t = new_uid("a"), new_uid("b"), new_uid("t")
    (src / "a.ics").write_bytes(vevent(a, "From another vdir A"))
    (src / "b.ics").write_bytes(vevent(b, "From another vdir B", "20261216T120000Z"))
    (src / "t.ics").write_bytes(todo_ics(t, "From another vdir T").encode())
    tools.vdirsyncer_conf.write_text(f"""
[general]
status_path = "{tools.workdir / 'vdirsyncer-status'}/"

[pair direct]
a = "src"
b = "served"
collections = null

[storage src]
type = "filesystem"
path = "{src}/"
fileext = ".ics"

[storage served]
type = "filesystem"
path = "{c.dir}/"
fileext = ".ics"
""")
    tools.vdirsyncer("discover")
    tools.vdirsyncer("sync")
    written = object_files(c.dir)
    assert len(written) == 3, sorted(written)
    res, _ = wait_for_sync(c.s, c.url, token0, lambda r: set(r.changed) == set(written))
    latency(record_property, "vdirsyncer_fs_sync_to_sync_collection_s",
            time.monotonic() - tools.last_exit)
    assert not res.removed
    assert server_objects(c) == local_objects(src)

    # an edit and a delete in the other vdir reach CalDAV clients too
    (src / "a.ics").write_bytes(vevent(a, "From another vdir A, edited"))
    (src / "b.ics").unlink()
    tools.vdirsyncer("sync")
    by_name = {uid_of(d): n for n, d in written.items()}
    res, _ = wait_for_sync(c.s, c.url, res.token,
                           lambda r: set(r.changed) == {by_name[a]} and r.removed == {by_name[b]})
    latency(record_property, "vdirsyncer_fs_edit_delete_to_sync_collection_s",
            time.monotonic() - tools.last_exit)
    assert server_objects(c) == local_objects(src)

    # and the other way round: a CalDAV PUT reaches the other vdir through the served one
    n = new_uid("put")
    put_ics(c.s, c.url + f"{n}.ics", vevent(n, "PUT over CalDAV"), create=True)
    tools.vdirsyncer("sync")
    assert local_objects(src) == server_objects(c)
    assert set(local_objects(src)) == {a, t, n}
    assert stray_entries(c.dir) == []


@vdir_contract
def test_vdirsyncer_filesystem_storage_creates_calendar_in_served_home(server, tools,
                                                                       record_property):
    """vdirsyncer's filesystem storage pointed at a user's home makes a new calendar
    directory there (mkdir, items, `displayname` and `color` by metasync): CalDAV clients
    see a new calendar with its name, colour and objects, without a restart."""
    s = server.session("alice")
    home = server.url("alice")
    propfind_props(s, home, [("DAV:", "resourcetype")], depth="1")  # the home exists
    home_dir = server.root_dir / "alice"
    src = tools.workdir / "src"
    (src / "imported").mkdir(parents=True)
    (src / "imported" / "displayname").write_text("Imported")
    (src / "imported" / "color").write_text("#123456")
    uids = [new_uid("imp"), new_uid("imp")]
    for n, uid in enumerate(uids):
        (src / "imported" / f"{n}.ics").write_bytes(vevent(uid, f"Imported {n}"))
    tools.vdirsyncer_conf.write_text(f"""
[general]
status_path = "{tools.workdir / 'vdirsyncer-status'}/"

[pair home]
a = "src"
b = "served"
collections = ["from a"]
metadata = ["color", "displayname"]
implicit = "create"

[storage src]
type = "filesystem"
path = "{src}/"
fileext = ".ics"

[storage served]
type = "filesystem"
path = "{home_dir}/"
fileext = ".ics"
""")
    tools.vdirsyncer("discover")
    tools.vdirsyncer("sync")
    tools.vdirsyncer("metasync")
    url = home + "imported/"

    def listed():
        props = propfind_props(s, home, [("DAV:", "displayname"), (APPLE_ICAL, "calendar-color")],
                               depth="1")
        return props.get("/alice/imported/")

    props, _ = poll(lambda: (lambda p: p if p and p.get("{DAV:}displayname") == "Imported"
                             and p.get(f"{{{APPLE_ICAL}}}calendar-color") == "#123456FF"
                             else None)(listed()),
                    what="the new calendar with its displayname and color in the home listing")
    latency(record_property, "vdirsyncer_new_collection_to_propfind_s",
            time.monotonic() - tools.last_exit)
    c = SimpleNamespace(s=s, url=url, dir=home_dir / "imported")
    assert server_objects(c) == local_objects(src / "imported")
    assert set(server_objects(c)) == set(uids)
    assert stray_entries(c.dir) == []


@vdir_contract
def test_multiget_calendar_data_keeps_crlf_through_xml(cal):
    """What vdirsyncer (and every client that parses the XML) receives in calendar-multiget
    must be the bytes GET serves. XML parsers turn a literal CR LF into LF (XML 1.0
    section 2.11), so the server must escape the CRs (`&#13;`) for them to survive."""
    import xml.etree.ElementTree as ET

    from support import NS

    uid = new_uid("crlf")
    name = f"{uid}.ics"
    put_ics(cal.s, cal.url + name, vevent(uid, "CRLF line endings"), create=True)
    got = get_object(cal, name)
    assert got.content == vevent(uid, "CRLF line endings")
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
            f"<d:href>/{cal.user}/{cal.name}/{name}</d:href></c:calendar-multiget>")
    r = dav(cal.s, "REPORT", cal.url, body, {"Content-Type": "application/xml; charset=utf-8",
                                               "Depth": "1"})
    assert r.status_code == 207, r.status_code
    data = ET.fromstring(r.content).findtext(".//c:calendar-data", namespaces=NS)
    etag = ET.fromstring(r.content).findtext(".//d:getetag", namespaces=NS)
    assert etag == got.headers["ETag"]
    assert data is not None and uid in data
    assert data.encode() == got.content, (
        "calendar-data as parsed by an XML client differs from GET (the ETag's bytes): "
        f"{data.encode()[:80]!r} vs {got.content[:80]!r}")


# --------------------------------------------------------------------------- (f)


@vdir_contract
def test_khal_lists_edits_and_deletes_objects_put_over_caldav(cal, tools, record_property):
    tools.write_khal_config({"cal": cal.dir})
    uid = new_uid("khal-f")
    name = f"{uid}.ics"
    put_ics(cal.s, cal.url + name, vevent(uid, "Standup", "20261207T080000Z"), create=True)
    etag = get_object(cal, name).headers["ETag"]
    token = settled_sync(cal).token
    assert f"{uid}|2026-12-07 09:00|2026-12-07 10:00|Standup|cal" in tools.khal_list()

    p = tools.khal("edit", "--show-past", "Standup", input="s\nStandup (edited in khal)\nn\n")
    r, _ = poll(lambda: (lambda g: g if prop_value(g.content, "SUMMARY") ==
                         "Standup (edited in khal)" else None)(get_object(cal, name)),
                what=f"GET {name} with khal's new SUMMARY")
    latency(record_property, "khal_edit_to_get_s", time.monotonic() - tools.last_exit)
    assert uid_of(r.content) == uid and r.headers["ETag"] != etag, p.stdout
    assert r.content == (cal.dir / name).read_bytes()
    assert list(object_files(cal.dir)) == [name], "khal rewrote the file in place"
    res, _ = wait_for_sync(cal.s, cal.url, token, lambda x: name in x.changed)
    assert res.changed == {name: r.headers["ETag"]} and not res.removed, res

    tools.khal("edit", "--show-past", "Standup", input="D\ny\n")
    res, _ = wait_for_sync(cal.s, cal.url, res.token, lambda x: name in x.removed)
    latency(record_property, "khal_delete_to_sync_collection_s",
            time.monotonic() - tools.last_exit)
    assert not res.changed, res
    assert get_object(cal, name).status_code == 404
    assert stray_entries(cal.dir) == []


@vdir_contract
def test_todoman_lists_edits_completes_and_deletes_objects_put_over_caldav(cal, tools):
    tools.write_todoman_config(str(cal.dir.parent / "*"))
    uid = new_uid("todo-f")
    name = f"{uid}.ics"
    put_ics(cal.s, cal.url + name, todo_ics(uid, "Write the report"), create=True)
    token = settled_sync(cal).token
    [todo] = [t for t in tools.todo_list() if t["summary"] == "Write the report"]
    assert todo["list"] == "cal"

    tools.todo("edit", str(todo["id"]), "--priority", "high", "--location", "Office")
    got = get_object(cal, name)
    [edited] = [t for t in tools.todo_list() if t["id"] == todo["id"]]
    assert edited["priority"] not in (None, 0, todo["priority"]), edited
    assert (prop_value(got.content, "PRIORITY"), prop_value(got.content, "LOCATION")) == \
        (str(edited["priority"]), "Office"), got.text
    tools.todo("done", str(todo["id"]))
    got = get_object(cal, name)
    assert prop_value(got.content, "STATUS") == "COMPLETED", got.text
    assert uid_of(got.content) == uid
    assert list(object_files(cal.dir)) == [name]
    res, _ = wait_for_sync(cal.s, cal.url, token, lambda x: x.changed.get(name) == got.headers["ETag"])
    assert set(res.changed) == {name} and not res.removed, res

    tools.todo("delete", "--yes", str(todo["id"]))
    res, _ = wait_for_sync(cal.s, cal.url, res.token, lambda x: name in x.removed)
    assert get_object(cal, name).status_code == 404
    assert stray_entries(cal.dir) == []


@vdir_contract
def test_nothing_davdir_writes_confuses_the_vdir_tools(server, tools):
    """Every kind of write the server makes, then: calendar directories hold only one-item
    .ics files and vdir metadata, the home only calendar directories, and khal, todoman and
    vdirsyncer read them all without complaint."""
    s = server.session("alice")
    home = server.url("alice")
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" '
            'xmlns:a="http://apple.com/ns/ical/"><d:set><d:prop>'
            "<d:displayname>Work</d:displayname><a:calendar-color>#FF8800FF</a:calendar-color>"
            "<c:calendar-description>Work things</c:calendar-description>"
            "<c:supported-calendar-component-set><c:comp name=\"VEVENT\"/><c:comp name=\"VTODO\"/>"
            "</c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>")
    r = dav(s, "MKCALENDAR", home + "work/", body, {"Content-Type": "application/xml"})
    assert r.status_code == 201, r.text
    mkcalendar(s, home + "private/")
    r = proppatch_set(s, home + "private/", [
        ("DAV:", "displayname", "Private"),
        (APPLE_ICAL, "calendar-order", "3"),
        ("urn:example:dead", "note", "a dead property"),
    ])
    assert set(proppatch_statuses(r).values()) == {200}, r.text
    uids = {}
    for cal_name, kind, summary in [("work", "event", "Review"), ("work", "todo", "Ship it"),
                                    ("private", "event", "Dinner"), ("private", "todo", "Gift"),
                                    ("private", "event", "Moved later")]:
        uid = new_uid(kind)
        uids[summary] = uid
        text = vevent(uid, summary) if kind == "event" else todo_ics(uid, summary).encode()
        put_ics(s, home + f"{cal_name}/{uid}.ics", text, create=True)
    # an update, a delete, a copy and a move
    review = home + f"work/{uids['Review']}.ics"
    put_ics(s, review, vevent(uids["Review"], "Review (v2)"),
            etag=dav(s, "GET", review).headers["ETag"])
    assert dav(s, "DELETE", home + f"private/{uids['Gift']}.ics").status_code in (200, 204)
    dinner = home + f"private/{uids['Dinner']}.ics"
    r = dav(s, "COPY", dinner, headers={"Destination": home + "work/dinner-copy.ics"})
    assert r.status_code == 201, r.status_code
    moved = home + f"private/{uids['Moved later']}.ics"
    r = dav(s, "MOVE", moved, headers={"Destination": home + "work/moved.ics"})
    assert r.status_code == 201, r.status_code

    home_dir = server.root_dir / "alice"
    entries = sorted(home_dir.iterdir())
    assert all(p.is_dir() and not p.name.startswith(".") for p in entries), \
        f"a home holds only calendar directories (todoman's `path = home/*`): {entries}"
    # The first address book a home starts with is a khard vdir (marked by
    # .addressbook.toml); the calendar checks below are for the rest.
    calendars = {p.name: p for p in entries if not (p / ".addressbook.toml").is_file()}
    assert {"work", "private"} <= set(calendars)
    for cal_dir in calendars.values():
        assert stray_entries(cal_dir) == [], cal_dir
        for name, data in object_files(cal_dir).items():
            uid_of(data)  # exactly one UID per file
    assert (calendars["work"] / "displayname").read_text().strip() == "Work"
    assert (calendars["work"] / "color").read_text().strip() == "#FF8800"
    assert (calendars["work"] / "description").read_text().strip() == "Work things"

    tools.write_khal_config(calendars, default="work")
    khal = tools.khal("list", "--format", "{title}|{calendar}", "--day-format", "",
                      "2026-12-01", "60d")
    assert sorted(khal.stdout.splitlines()) == ["Dinner|private", "Dinner|work", "Moved later|work",
                                                "Review (v2)|work"], khal.stdout
    assert "warn" not in khal.stderr.lower() and "error" not in khal.stderr.lower(), khal.stderr
    tools.write_todoman_config(str(home_dir / "*"))
    todos = tools.todo_list("--status", "ANY")
    assert {(t["summary"], t["list"]) for t in todos} == {("Ship it", "Work")}, todos

    local = tools.workdir / "copy"
    local.mkdir()
    tools.vdirsyncer_conf.write_text(f"""
[general]
status_path = "{tools.workdir / 'vdirsyncer-status'}/"
[pair home]
a = "served"
b = "copy"
collections = ["from a"]
implicit = "create"
[storage served]
type = "filesystem"
path = "{home_dir}/"
fileext = ".ics"
[storage copy]
type = "filesystem"
path = "{local}/"
fileext = ".ics"
""")
    tools.vdirsyncer("discover")
    out = tools.vdirsyncer("sync")
    assert "error" not in (out.stdout + out.stderr).lower(), out.stdout + out.stderr
    for name, cal_dir in calendars.items():
        assert by_uid(object_files(local / name)) == by_uid(object_files(cal_dir)), name


# --------------------------------------------------------------------------- (g)

LF_EVENT = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//hand//written//EN\nBEGIN:VEVENT\n"
            "UID:lf-only@example.com\nDTSTAMP:20261101T120000Z\nDTSTART:20261208T150000Z\n"
            "DTEND:20261208T160000Z\nSUMMARY:LF line endings\nEND:VEVENT\nEND:VCALENDAR\n")
NO_PRODID_EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
                   "UID:no-prodid@example.com\r\nDTSTAMP:20261101T120000Z\r\n"
                   "DTSTART:20261209T150000Z\r\nDTEND:20261209T160000Z\r\n"
                   "SUMMARY:No PRODID\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
BROKEN_EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hand//written//EN\r\n"
                "BEGIN:VEVENT\r\nTHIS LINE HAS NO COLON\r\nUID:broken@example.com\r\n"
                "DTSTART:20261210T150000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


CHECK_LINE = re.compile(r"^(?P<path>/.+?):(?P<line>\d+): (?P<reason>.+)$")


def davdir_check(data: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(davdir_bin()), "check", "--data", str(data)], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


@vdir_contract
def test_lenient_files_are_served_byte_identical(cal, tools, record_property):
    token = settled_sync(cal).token
    files = {"lf.ics": LF_EVENT.encode(), "no-prodid.ics": NO_PRODID_EVENT.encode()}
    for name, data in files.items():
        (cal.dir / name).write_bytes(data)
    written = time.monotonic()
    res, _ = wait_for_sync(cal.s, cal.url, token, lambda r: set(r.changed) == set(files))
    latency(record_property, "hand_written_files_to_sync_collection_s",
            time.monotonic() - written)
    for name, data in files.items():
        r = get_object(cal, name)
        assert r.status_code == 200, (name, r.status_code)
        assert r.content == data, name
        assert r.headers["ETag"] == res.changed[name] and not r.headers["ETag"].startswith("W/")
    tools.write_khal_config({"cal": cal.dir})
    titles = {line.split("|")[3] for line in tools.khal_list()}
    assert titles == {"LF line endings", "No PRODID"}, titles
    proc = davdir_check(cal.server.data_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@vdir_contract
def test_davdir_check_reports_broken_file_with_line(cal):
    data = cal.server.data_dir
    put_ics(cal.s, cal.url + "fine.ics", vevent("fine@example.com", "Fine"), create=True)
    (cal.dir / "lf.ics").write_bytes(LF_EVENT.encode())
    poll(lambda: get_object(cal, "lf.ics").status_code == 200, what="lf.ics served")
    clean = davdir_check(data)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    broken = cal.dir / "broken.ics"
    broken.write_bytes(BROKEN_EVENT.encode())
    proc = davdir_check(data)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    reports = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(reports) == 1, proc.stdout
    m = CHECK_LINE.match(reports[0])
    assert m, f"not `path:line: reason`: {reports[0]!r}"
    assert (m.group("path"), m.group("line")) == (str(broken), "5"), reports[0]
    assert m.group("reason").strip()
    # the rest of the calendar is still served
    assert get_object(cal, "fine.ics").status_code == 200
    assert get_object(cal, "lf.ics").content == LF_EVENT.encode()

    broken.unlink()
    again = davdir_check(data)
    assert again.returncode == 0, again.stdout + again.stderr

