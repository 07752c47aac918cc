"""Address books with real clients: khard pointed at an address book directory of the running
server (no sync step), vdirsyncer syncing 200 contacts over CardDAV with a local vdir, a
DAVx5-like session in raw HTTP, and the derived birthday calendar through python caldav.

Each test starts its own server on an empty data directory (the ``server`` fixture)."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from support import REQUEST_TIMEOUT, davdir_only, new_uid
from vdir_support import dav, poll, sync_collection, tool

CARDDAV = "urn:ietf:params:xml:ns:carddav"
NS = {"d": "DAV:", "card": CARDDAV}
TOOL_TIMEOUT = 120
# Seconds a change made on disk by a tool may take to show over CardDAV: a poll's generous
# bound for a loaded CI machine; the latency is recorded, not asserted (the bench has figures).
VISIBLE_WITHIN = 30.0

pytestmark = davdir_only("address books as vdirs of .vcf files")


# --------------------------------------------------------------------------- vCards


def vcard3(uid: str, fn: str, email: str | None = None, extra: str = "") -> str:
    given, _, family = fn.partition(" ")
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{fn}", f"N:{family};{given};;;"]
    if email:
        lines.append(f"item1.EMAIL;TYPE=INTERNET:{email}")
        lines.append("item1.X-ABLabel:_$!<Other>!$_")
    if extra:
        lines.extend(extra.strip("\r\n").split("\r\n"))
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"


def vcard4(uid: str, fn: str, email: str | None = None, extra: str = "") -> str:
    given, _, family = fn.partition(" ")
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"UID:{uid}", f"FN:{fn}", f"N:{family};{given};;;"]
    if email:
        lines.append(f"EMAIL;TYPE=work:{email}")
    if extra:
        lines.extend(extra.strip("\r\n").split("\r\n"))
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"


def folded(line: str) -> str:
    """Folds one content line at 75 octets (ASCII input), as vCard writers do."""
    out = [line[:75]]
    rest = line[75:]
    while rest:
        out.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(out)


def photo_line(version: str, size: int, seed: int) -> str:
    data = base64.b64encode(bytes((seed * 7 + i) % 256 for i in range(size))).decode()
    if version == "3.0":
        return folded(f"PHOTO;ENCODING=b;TYPE=JPEG:{data}")
    return folded(f"PHOTO:data:image/jpeg;base64,{data}")


def mkaddressbook(session, url: str, name: str = "Contacts"):
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<d:mkcol xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">'
            "<d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>"
            f"<d:displayname>{name}</d:displayname></d:prop></d:set></d:mkcol>")
    r = dav(session, "MKCOL", url, body, {"Content-Type": "application/xml; charset=utf-8"})
    assert r.status_code == 201, f"MKCOL {url}: {r.status_code} {r.text[:300]}"


def put_vcf(session, url: str, text: str | bytes, headers: dict[str, str] | None = None):
    h = {"Content-Type": "text/vcard; charset=utf-8"}
    h.update(headers or {})
    return dav(session, "PUT", url, text, h)


def multistatus(resp) -> dict[str, ET.Element]:
    assert resp.status_code == 207, f"{resp.status_code} {resp.text[:500]}"
    root = ET.fromstring(resp.content)
    return {unquote(urlsplit(r.findtext("d:href", namespaces=NS).strip()).path): r
            for r in root.findall("d:response", NS)}


def vcf_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.suffix == ".vcf"}


def uid_of(data: bytes) -> str:
    for line in data.decode().splitlines():
        if line.upper().startswith("UID:"):
            return line[4:].strip()
    raise AssertionError(f"no UID in {data[:200]!r}")


# --------------------------------------------------------------------------- khard


class Khard:
    def __init__(self, workdir: Path, book: Path):
        self.home = workdir / "home"
        conf_dir = self.home / ".config" / "khard"
        conf_dir.mkdir(parents=True, exist_ok=True)
        (conf_dir / "khard.conf").write_text(
            f"[addressbooks]\n[[contacts]]\npath = {book}\n"
            "[general]\ndefault_action = list\neditor = /bin/false\nmerge_editor = /bin/false\n"
            "[contact table]\ndisplay = formatted_name\nshow_uids = yes\n")
        self.exited = 0.0

    def run(self, *args: str, input: str | None = None) -> str:
        env = dict(os.environ, HOME=str(self.home), XDG_CONFIG_HOME=str(self.home / ".config"),
                   LC_ALL="C.UTF-8", LANG="C.UTF-8", TZ="Europe/Berlin")
        # stdin is always given, so a prompt can never wait on the test's terminal
        p = subprocess.run([tool("khard"), *args], input=input or "", env=env, text=True,
                           capture_output=True, timeout=TOOL_TIMEOUT)
        self.exited = time.monotonic()
        assert p.returncode == 0, f"khard {args}: {p.returncode}\n{p.stdout}\n{p.stderr}"
        return p.stdout

    def listed(self) -> dict[str, str]:
        """uid -> formatted name, from `khard list --parsable`."""
        out = {}
        for line in self.run("list", "--parsable").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2:
                out[parts[0]] = parts[1]
        return out


def test_khard_on_the_server_directory_and_carddav_see_each_other(server, tmp_path):
    s = server.session("alice")
    book_url = server.url("alice", "people")
    mkaddressbook(s, book_url)
    book_dir = server.root_dir / "alice" / "people"
    assert (book_dir / ".addressbook.toml").is_file()
    khard = Khard(tmp_path, book_dir)
    token = sync_collection(s, book_url).token

    # created with khard: visible over CardDAV (sync-collection and GET)
    khard.run("new", "-a", "contacts", "--vcard-version", "4.0",
              input="First name : Jörg\nLast name : Müller\nEmail :\n    work : jm@example.org\n")
    [name] = vcf_files(book_dir)
    uid = uid_of((book_dir / name).read_bytes())
    latency = {}

    def appeared():
        r = sync_collection(s, book_url, token)
        if name in r.changed:
            latency["create"] = time.monotonic() - khard.exited
            return r
        return None

    res, _ = poll(appeared, VISIBLE_WITHIN, "khard's new contact over CardDAV")
    got = dav(s, "GET", book_url + name)
    assert got.status_code == 200 and got.content == (book_dir / name).read_bytes()
    assert got.headers["Content-Type"].startswith("text/vcard")
    assert "FN:Jörg Müller" in got.content.decode()

    # edited with khard
    yaml = khard.run("show", "--format", "yaml", f"uid:{uid}")
    yaml = "\n".join("Nickname: Jojo" if line.startswith("Nickname:") else line
                     for line in yaml.splitlines()) + "\n"
    (tmp_path / "edit.yaml").write_text(yaml)
    # khard shows the change and asks before writing it
    khard.run("edit", "-i", str(tmp_path / "edit.yaml"), f"uid:{uid}", input="yes\n")
    token = res.token
    res, _ = poll(lambda: (lambda r: r if name in r.changed else None)(
        sync_collection(s, book_url, token)), VISIBLE_WITHIN, "khard's edit over CardDAV")
    assert "NICKNAME:Jojo" in dav(s, "GET", book_url + name).text

    # removed with khard
    khard.run("remove", "--force", f"uid:{uid}")
    token = res.token
    poll(lambda: (lambda r: r if name in r.removed else None)(
        sync_collection(s, book_url, token)), VISIBLE_WITHIN, "khard's removal over CardDAV")
    assert dav(s, "GET", book_url + name).status_code == 404

    # written over CardDAV: khard lists it at once
    other = new_uid("kh")
    r = put_vcf(s, book_url + f"{other}.vcf", vcard3(other, "Ann Other", "ann@example.org"))
    assert r.status_code == 201, r.text
    assert khard.listed().get(other) == "Ann Other"
    print(f"LATENCY khard create to sync-collection: {latency['create'] * 1000:.0f} ms")


# --------------------------------------------------------------------------- vdirsyncer


def contact_set(n: int) -> dict[str, str]:
    """n contacts: 3.0 and 4.0, some with photos, groups, non-ASCII names."""
    names = ["Zoë Ångström", "José Núñez", "Łukasz Żółć", "Михаил Петров", "李 小龍",
             "Søren Kierkegaard", "Plain Person"]
    out = {}
    for i in range(n):
        uid = f"vds-{i:04d}-{new_uid('c')}"
        fn = f"{names[i % len(names)]} {i}"
        extra = ""
        if i % 10 == 0:
            extra += photo_line("3.0" if i % 20 == 0 else "4.0", 1500 + i, i) + "\r\n"
        if i % 7 == 0:
            extra += "BDAY:1980-02-29\r\n" if i % 14 == 0 else "NOTE:Line one\\nLine two\\, ok\r\n"
        if i % 2 == 0:
            text = vcard3(uid, fn, f"user{i}@example.org", extra + "TEL;TYPE=CELL:+49 170 000" + str(i))
        else:
            text = vcard4(uid, fn, f"user{i}@example.org", extra + "TEL;VALUE=uri;TYPE=cell:tel:+1-555-0" + str(i))
        out[f"{uid}.vcf"] = text
    # a 4.0 group of the first three members
    members = "\r\n".join(f"MEMBER:urn:uuid:{n.removesuffix('.vcf')}" for n in list(out)[:3])
    gid = new_uid("group")
    out[f"{gid}.vcf"] = ("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:" + gid + "\r\nKIND:group\r\n"
                         "FN:Friends\r\n" + members + "\r\nEND:VCARD\r\n")
    return out


def vdirsyncer_run(tmp_path: Path, conf: Path, *args: str, input: str | None = None) -> str:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local"), LC_ALL="C.UTF-8", LANG="C.UTF-8")
    p = subprocess.run([tool("vdirsyncer"), "-c", str(conf), *args], input=input, env=env,
                       text=True, capture_output=True, timeout=TOOL_TIMEOUT)
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"vdirsyncer {args}: {p.returncode}\n{out[-3000:]}"
    assert "conflict" not in out.lower(), out[-3000:]
    return out


def test_vdirsyncer_round_trip_of_200_contacts_keeps_bytes(server, tmp_path):
    s = server.session("alice")
    book_url = server.url("alice", "people")
    mkaddressbook(s, book_url)
    local = tmp_path / "local"
    (local / "people").mkdir(parents=True)
    contacts = contact_set(200)
    for name, text in contacts.items():
        (local / "people" / name).write_bytes(text.encode())
    conf = tmp_path / "vdirsyncer.conf"
    conf.write_text(f"""
[general]
status_path = "{tmp_path / 'status'}"

[pair contacts]
a = "local"
b = "server"
collections = ["people"]
conflict_resolution = "b wins"

[storage local]
type = "filesystem"
path = "{local}"
fileext = ".vcf"

[storage server]
type = "carddav"
url = "{server.base_url}"
username = "alice"
password = "{server.users['alice']}"
""")
    vdirsyncer_run(tmp_path, conf, "discover", input="y\n" * 5)
    vdirsyncer_run(tmp_path, conf, "sync")

    book_dir = server.root_dir / "alice" / "people"
    on_server = {uid_of(d): d for d in vcf_files(book_dir).values()}
    sent = {uid_of(t.encode()): t.encode() for t in contacts.values()}
    assert on_server.keys() == sent.keys()
    assert {u for u in sent if on_server[u] != sent[u]} == set(), "bytes changed on upload"

    # edits on the server (CardDAV) and locally, then a sync each way
    edited = sorted(sent)[:5]
    for uid in edited:
        r = dav(s, "PROPFIND", book_url, None, {"Depth": "1"})
        assert r.status_code == 207
        name = next(n for n, d in vcf_files(book_dir).items() if uid_of(d) == uid)
        text = on_server[uid].decode().replace("END:VCARD", "NOTE:edited on server\r\nEND:VCARD")
        etag = dav(s, "GET", book_url + name).headers["ETag"]
        assert put_vcf(s, book_url + name, text, {"If-Match": etag}).status_code == 204
    local_new = new_uid("local")
    (local / "people" / f"{local_new}.vcf").write_text(vcard4(local_new, "Éva Local"))
    vdirsyncer_run(tmp_path, conf, "sync")
    local_files = {uid_of(d): d for d in vcf_files(local / "people").values()}
    on_server = {uid_of(d): d for d in vcf_files(book_dir).values()}
    assert local_files == on_server
    assert all(b"NOTE:edited on server" in local_files[u] for u in edited)
    assert on_server[local_new] == vcard4(local_new, "Éva Local").encode()


# --------------------------------------------------------------------------- DAVx5-like session


def propfind(s, url: str, props: str, depth: str = "0"):
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            f'<d:propfind xmlns:d="DAV:" xmlns:card="{CARDDAV}" '
            'xmlns:cs="http://calendarserver.org/ns/"><d:prop>' + props + "</d:prop></d:propfind>")
    return dav(s, "PROPFIND", url, body, {"Depth": depth,
                                          "Content-Type": "application/xml; charset=utf-8"})


def test_davx5_like_session(server):
    s = server.session("alice")
    r = dav(s, "GET", server.url(".well-known", "carddav", collection=False))
    assert r.status_code in (301, 308), r.status_code
    start = server.base_url.rstrip("/") + urlsplit(r.headers["Location"]).path
    r = propfind(s, start, "<d:current-user-principal/>")
    principal = ET.fromstring(r.content).findtext(".//d:current-user-principal/d:href",
                                                  namespaces=NS).strip()
    assert principal.rstrip("/").endswith("/alice")
    r = propfind(s, server.base_url.rstrip("/") + principal, "<card:addressbook-home-set/>")
    home = ET.fromstring(r.content).findtext(".//card:addressbook-home-set/d:href",
                                             namespaces=NS).strip()
    home_url = server.base_url.rstrip("/") + home
    assert "addressbook" in dav(s, "OPTIONS", home_url).headers.get("DAV", "")

    book_url = home_url + "people/"
    mkaddressbook(s, book_url, "Personal")
    r = propfind(s, home_url, "<d:resourcetype/><d:displayname/><card:supported-address-data/>"
                 "<card:addressbook-description/><cs:getctag/><d:sync-token/>"
                 "<card:max-resource-size/>", depth="1")
    found = multistatus(r)
    book = found[urlsplit(book_url).path]
    assert book.find(".//d:resourcetype/card:addressbook", NS) is not None
    assert book.findtext(".//d:displayname", namespaces=NS) == "Personal"
    versions = {e.get("version") for e in book.findall(".//card:address-data-type", NS)}
    assert {"3.0", "4.0"} <= versions
    assert book.findtext(".//d:sync-token", namespaces=NS)

    # initial sync, then 100 contacts created with If-None-Match: *
    first = sync_collection(s, book_url)
    assert first.changed == {} and first.removed == set()
    uids = [new_uid("dx") for _ in range(100)]
    for i, uid in enumerate(uids):
        text = vcard3(uid, f"Person {i}", f"p{i}@example.org")
        r = put_vcf(s, book_url + f"{uid}.vcf", text, {"If-None-Match": "*"})
        assert r.status_code == 201, r.text
        assert r.headers.get("ETag")
    again = put_vcf(s, book_url + f"{uids[0]}.vcf", vcard3(uids[0], "Person 0"),
                    {"If-None-Match": "*"})
    assert again.status_code == 412
    second = sync_collection(s, book_url, first.token)
    assert set(second.changed) == {f"{u}.vcf" for u in uids}

    # If-Match: the right ETag wins, a stale one is refused
    etag = second.changed[f"{uids[1]}.vcf"]
    ok = put_vcf(s, book_url + f"{uids[1]}.vcf", vcard3(uids[1], "Person One"), {"If-Match": etag})
    assert ok.status_code == 204
    stale = put_vcf(s, book_url + f"{uids[1]}.vcf", vcard3(uids[1], "Person Uno"),
                    {"If-Match": etag})
    assert stale.status_code == 412

    # multiget of 100, asking for vCard 4.0 of cards stored as 3.0
    hrefs = "".join(f"<d:href>{urlsplit(book_url).path}{u}.vcf</d:href>" for u in uids)
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            f'<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="{CARDDAV}">'
            '<d:prop><d:getetag/><card:address-data content-type="text/vcard" version="4.0"/>'
            "</d:prop>" + hrefs + "</card:addressbook-multiget>")
    r = dav(s, "REPORT", book_url, body, {"Depth": "1", "Content-Type": "application/xml"})
    got = multistatus(r)
    assert len(got) == 100
    for resp in got.values():
        data = resp.findtext(".//card:address-data", namespaces=NS)
        assert "VERSION:4.0" in data and "VERSION:3.0" not in data
        assert "UID:" in data

    third = sync_collection(s, book_url, second.token)
    assert set(third.changed) == {f"{uids[1]}.vcf"}


# --------------------------------------------------------------------------- birthdays


def test_birthday_calendar_answers_a_time_range_query_through_caldav(server):
    s = server.session("alice")
    book_url = server.url("alice", "people")
    mkaddressbook(s, book_url)
    today = dt.date.today()
    first_of_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    born = first_of_next.replace(year=1990, day=9)
    uid = new_uid("bd")
    r = put_vcf(s, book_url + f"{uid}.vcf",
                vcard4(uid, "Birgit Geburtstag", extra=f"BDAY:{born:%Y%m%d}"))
    assert r.status_code == 201, r.text
    other = new_uid("nobd")
    assert put_vcf(s, book_url + f"{other}.vcf", vcard3(other, "No Birthday")).status_code == 201

    client = server.client("alice")
    principal = client.principal()
    calendars = {c.url.path.rstrip("/").rsplit("/", 1)[-1]: c for c in principal.calendars()}
    assert "birthdays" in calendars, list(calendars)
    cal = calendars["birthdays"]
    start = dt.datetime.combine(first_of_next, dt.time())
    end = dt.datetime.combine((first_of_next + dt.timedelta(days=32)).replace(day=1), dt.time())
    found = cal.search(start=start, end=end, event=True, expand=True)
    summaries = [str(e.icalendar_component.get("SUMMARY")) for e in found]
    assert len(found) == 1 and "Birgit Geburtstag" in summaries[0], summaries
    when = found[0].icalendar_component.get("DTSTART").dt
    assert (when.month, when.day) == (born.month, born.day)

    # read-only, and nothing of it on disk
    r = dav(s, "PUT", server.url("alice", "birthdays") + "x.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            {"Content-Type": "text/calendar"})
    assert r.status_code in (403, 405)
    assert not (server.root_dir / "alice" / "birthdays").exists()
