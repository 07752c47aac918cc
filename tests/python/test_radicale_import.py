"""`davdir import-radicale` on a collection root written by a real Radicale.

Radicale (PyPI) runs on loopback with filesystem storage and no auth; two
calendars with properties (MKCALENDAR), an address book (extended MKCOL),
events and contacts are made through its HTTP API. After it stops,
`davdir import-radicale` migrates the tree: item bytes identical, props
mapped, a second run changes nothing, and davdir serves the result to
python caldav.

The other tests write Radicale's layout by hand (no Radicale needed) for
what a real Radicale rarely leaves behind: a props file with a byte order
mark or cut short, and collections the server's rules refuse (a link out of
the home, an item over max_resource_size, a bad colour, the reserved
`birthdays` name). Each is reported and makes the command exit 1.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import json
import os

import pytest
import requests

from conftest import davdir_bin, free_port, write_htpasswd

MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:I="http://apple.com/ns/ical/">
 <D:set><D:prop>
  <D:displayname>{name}</D:displayname>
  <C:calendar-description>{desc}</C:calendar-description>
  <I:calendar-color>{color}</I:calendar-color>
  <C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set>
 </D:prop></D:set>
</C:mkcalendar>"""

MKCOL_BOOK = """<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
 <D:set><D:prop>
  <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
  <D:displayname>Friends</D:displayname>
  <CR:addressbook-description>People we know</CR:addressbook-description>
 </D:prop></D:set>
</D:mkcol>"""


def event(uid: str, summary: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270105T100000Z\r\n"
        f"DTEND:20270105T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def todo(uid: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Task {uid}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )


def card(uid: str, name: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n"


def wait_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"radicale exited: {log.read_text(errors='replace')}")
        try:
            requests.options(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    pytest.fail("radicale did not start")


def fill_radicale(tmp: Path) -> Path:
    """Runs Radicale, makes the collections through HTTP, stops it; returns collection-root."""
    pytest.importorskip("radicale")
    storage = tmp / "radicale"
    port = free_port()
    config = tmp / "radicale.conf"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = none\n"
        f"[storage]\nfilesystem_folder = {storage}\n[logging]\nlevel = warning\n"
    )
    log = tmp / "radicale.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err,
        )
    try:
        wait_port(port, proc, log)
        s = requests.Session()
        s.auth = ("demo", "x")
        base = f"http://127.0.0.1:{port}"
        s.request("PROPFIND", f"{base}/", headers={"Depth": "0"}).raise_for_status()
        r = s.request("MKCALENDAR", f"{base}/demo/home/", data=MKCALENDAR.format(
            name="Home", desc="Family things", color="#FF8800FF",
            comps='<C:comp name="VEVENT"/><C:comp name="VTODO"/>'))
        assert r.status_code == 201, r.text
        r = s.request("MKCALENDAR", f"{base}/demo/work/", data=MKCALENDAR.format(
            name="Work", desc="Office", color="#3366CC", comps='<C:comp name="VEVENT"/>'))
        assert r.status_code == 201, r.text
        r = s.request("MKCOL", f"{base}/demo/friends/", data=MKCOL_BOOK)
        assert r.status_code == 201, r.text
        for i in range(3):
            s.put(f"{base}/demo/home/ev{i}.ics", data=event(f"home-{i}", f"Home {i}"),
                  headers={"Content-Type": "text/calendar"}).raise_for_status()
        s.put(f"{base}/demo/home/task.ics", data=todo("t1"),
              headers={"Content-Type": "text/calendar"}).raise_for_status()
        s.put(f"{base}/demo/work/meeting.ics", data=event("w-1", "Meeting"),
              headers={"Content-Type": "text/calendar"}).raise_for_status()
        for i in range(2):
            s.put(f"{base}/demo/friends/c{i}.vcf", data=card(f"card-{i}", f"Friend {i}"),
                  headers={"Content-Type": "text/vcard"}).raise_for_status()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return storage / "collection-root"


def run_import(root: Path, data: Path, config: Path | None = None) -> subprocess.CompletedProcess:
    args = [str(davdir_bin()), "import-radicale", str(root), "--data", str(data)]
    if config is not None:
        args += ["--config", str(config)]
    return subprocess.run(
        args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )


def test_radicale_tree_migrates_byte_for_byte(tmp_path: Path):
    root = fill_radicale(tmp_path)
    data = tmp_path / "data"
    out = run_import(root, data)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "created demo/home" in out.stdout and "created demo/friends" in out.stdout
    assert "7 items written" in out.stdout

    for coll in ("home", "work", "friends"):
        items = [p for p in (root / "demo" / coll).iterdir() if not p.name.startswith(".")]
        assert items
        for item in items:
            assert (data / "demo" / coll / item.name).read_bytes() == item.read_bytes()
    home = data / "demo" / "home"
    assert (home / "displayname").read_text() == "Home"
    assert (home / "description").read_text() == "Family things"
    assert (home / "color").read_text() == "#FF8800"
    assert re.search(r'components = \["VEVENT", "VTODO"\]', (home / ".calendar.toml").read_text())
    assert '["VEVENT"]' in (data / "demo" / "work" / ".calendar.toml").read_text()
    friends = data / "demo" / "friends"
    assert (friends / ".addressbook.toml").exists()
    assert (friends / "description").read_text() == "People we know"
    assert not any(p.name.startswith(".Radicale") for p in data.rglob("*"))

    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    again = run_import(root, data)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to do: 7 items already there" in again.stdout
    assert {p: p.read_bytes() for p in data.rglob("*") if p.is_file()} == before

    # davdir serves the migrated tree to a real client.
    caldav = pytest.importorskip("caldav")
    htpasswd = tmp_path / "htpasswd"
    write_htpasswd(htpasswd, {"demo": "demo"})
    log = tmp_path / "davdir.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [str(davdir_bin()), "serve", "--data", str(data), "--listen", "127.0.0.1:0",
             "--htpasswd", str(htpasswd)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
        )
    try:
        line = proc.stdout.readline().decode()
        m = re.match(r"listening on (http://127\.0\.0\.1:\d+/)", line)
        assert m, line + log.read_text(errors="replace")
        client = caldav.DAVClient(url=m.group(1), username="demo", password="demo")
        calendars = {c.get_display_name(): c for c in client.principal().calendars()}
        assert {"Home", "Work"} <= set(calendars)
        summaries = sorted(str(e.icalendar_component["SUMMARY"])
                           for e in calendars["Home"].events())
        assert summaries == ["Home 0", "Home 1", "Home 2"]
        assert len(calendars["Home"].todos()) == 1
        r = requests.get(f"{m.group(1)}demo/friends/", auth=("demo", "demo"), timeout=10)
        assert r.status_code == 200 and r.text.count("BEGIN:VCARD") == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def radicale_collection(root: Path, user: str, name: str, props: dict | bytes,
                        items: dict[str, str | bytes] | None = None) -> Path:
    """Writes one collection as Radicale keeps it: items and `.Radicale.props`."""
    coll = root / user / name
    coll.mkdir(parents=True)
    raw = props if isinstance(props, bytes) else json.dumps(props).encode()
    (coll / ".Radicale.props").write_bytes(raw)
    for item, body in (items or {}).items():
        (coll / item).write_bytes(body if isinstance(body, bytes) else body.encode())
    return coll


def test_props_with_bom_import_and_unreadable_props_are_reported(tmp_path: Path):
    root = tmp_path / "collection-root"
    bom = "\ufeff" + json.dumps({"tag": "VCALENDAR", "D:displayname": "With BOM"})
    radicale_collection(root, "demo", "bom", bom.encode(), {"a.ics": event("bom-1", "Bom")})
    radicale_collection(root, "demo", "broken", b'{"tag": "VCALENDAR", "D:displ',
                        {"b.ics": event("broken-1", "Broken")})
    data = tmp_path / "data"
    out = run_import(root, data)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "created demo/bom" in out.stdout, out.stdout
    assert (data / "demo" / "bom" / "displayname").read_text() == "With BOM"
    assert (data / "demo" / "bom" / "a.ics").read_bytes() == event("bom-1", "Bom").encode()
    assert re.search(r"skipped demo/broken: \.Radicale\.props cannot be read", out.stdout), out.stdout
    assert "nothing to do" not in out.stdout
    assert not (data / "demo" / "broken").exists()


def test_import_applies_the_servers_rules_and_reports_each_skip(tmp_path: Path):
    root = tmp_path / "collection-root"
    data = tmp_path / "data"
    outside = tmp_path / "outside"
    outside.mkdir()
    cal = {"tag": "VCALENDAR"}
    # A collection whose place in --data is a link leading out of the home,
    # and a home that is itself a link: nothing is written through either.
    (data / "demo").mkdir(parents=True)
    os.symlink(outside, data / "demo" / "linked")
    radicale_collection(root, "demo", "linked", cal, {"l.ics": event("l-1", "Linked")})
    os.symlink(outside, data / "eve")
    radicale_collection(root, "eve", "cal", cal, {"e.ics": event("e-1", "Eve")})
    # An item over max_resource_size, next to one within it.
    big = event("big-1", "Big").replace("SUMMARY:Big", "SUMMARY:Big\r\nDESCRIPTION:" + "x" * 70)
    big = big.replace("x" * 70, "\r\n ".join(["x" * 70] * 40))
    radicale_collection(root, "demo", "work", dict(cal, **{"ICAL:calendar-color": "#3366CC"}),
                        {"small.ics": event("s-1", "Small"), "big.ics": big})
    # A colour the server's parser refuses, and the reserved name.
    radicale_collection(root, "demo", "odd", dict(cal, **{"ICAL:calendar-color": "red;x=url(y)"}),
                        {"o.ics": event("o-1", "Odd")})
    radicale_collection(root, "demo", "birthdays", cal, {"bd.ics": event("bd-1", "Party")})
    config = tmp_path / "davdir.toml"
    config.write_text("max_resource_size = 2000\n")
    assert len(big.encode()) > 2000 and len(event("s-1", "Small").encode()) < 2000

    out = run_import(root, data, config)
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stdout
    assert list(outside.iterdir()) == [], "nothing written through a link"
    assert re.search(r"skipped demo/linked: .*symbolic link leading outside", lines), lines
    assert re.search(r"skipped eve/cal: .*symbolic link", lines), lines
    assert re.search(r"skipped demo/work/big\.ics: \d+ bytes, larger than max_resource_size \(2000", lines), lines
    assert (data / "demo" / "work" / "small.ics").exists()
    assert not (data / "demo" / "work" / "big.ics").exists()
    assert (data / "demo" / "work" / "color").read_text() == "#3366CC"
    assert re.search(r"skipped demo/odd/color: .* is not a colour", lines), lines
    assert not (data / "demo" / "odd" / "color").exists()
    assert (data / "demo" / "odd" / "o.ics").exists()
    assert re.search(r"skipped demo/birthdays: the name is reserved for the birthday calendar", lines), lines
    assert not (data / "demo" / "birthdays").exists()

    # With the birthday calendar off, the name is an ordinary one.
    config.write_text("max_resource_size = 2000\nbirthday_calendar = false\n")
    again = run_import(root, data, config)
    assert "created demo/birthdays" in again.stdout, again.stdout
    assert (data / "demo" / "birthdays" / "bd.ics").exists()
