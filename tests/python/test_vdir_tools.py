"""The vdir tools share data with CalDAV clients: khal and todoman pointed at the server's
calendar directories (no sync step), and vdirsyncer syncing over CalDAV."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest

from support import event_ics, ics_files, new_uid, todo_ics

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
    assert "team-weekly-sync@caldir.example" not in out  # not a Monday
    out = run(tmp_path, tool("khal"), "-c", str(conf), "list", "2026-12-07", "2026-12-08",
              "--format", "{uid}|{start-time}")
    assert "team-weekly-sync@caldir.example|11:00" in out.splitlines(), out


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
    gone = cal.get_event_by_uid("birthday-anna@caldir.example")
    gone.delete()
    run(tmp_path, vds, "-c", str(conf), "sync")
    assert str(cal.get_event_by_uid(new).get_icalendar_component()["SUMMARY"]) == "Added offline"
    assert "birthday-anna@caldir.example" not in local_uids()
    assert new in local_uids()
