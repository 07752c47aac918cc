"""Helpers for test_vdir_tools.py: running khal, todoman and vdirsyncer as a user would
(config files in a temp dir, subprocesses with timeouts) and the raw WebDAV requests the
tests use to look at the same data over CalDAV.

Every wait here is bounded: tool runs by ``TOOL_TIMEOUT``, HTTP requests by
``REQUEST_TIMEOUT`` and polls by their ``limit``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from support import NS, REQUEST_TIMEOUT

# Seconds one run of a vdir tool may take.
TOOL_TIMEOUT = 90
# Seconds a change made by a tool on disk may take to show over CalDAV: a poll's
# generous bound for a debug build on a busy machine; latencies are recorded, and
# wall-clock figures belong in the bench.
VISIBLE_WITHIN = 30.0

APPLE_ICAL = "http://apple.com/ns/ical/"

# The only entries a calendar directory may hold besides objects (docs/DESIGN.md "Layout").
CALENDAR_METADATA_FILES = {"displayname", "color", "description", ".calendar.toml"}


def tool(name: str) -> str:
    """Path of an installed vdir tool (next to this python first)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        pytest.fail(f"`{name}` not installed: pip install -r tests/python/requirements.txt")
    return found


# --------------------------------------------------------------------------- running tools


@dataclass
class Tools:
    """A private HOME with config files for khal, todoman and vdirsyncer."""

    workdir: Path
    runs: list[tuple[list[str], float, int]] = field(default_factory=list)
    # time.monotonic() when the last tool run ended: latencies are measured from here.
    last_exit: float = 0.0

    def __post_init__(self):
        self.home = self.workdir / "home"
        (self.home / ".config").mkdir(parents=True, exist_ok=True)
        self.khal_conf = self.workdir / "khal.conf"
        self.todoman_conf = self.workdir / "todoman.py"
        self.vdirsyncer_conf = self.workdir / "vdirsyncer.conf"

    @property
    def env(self) -> dict[str, str]:
        return dict(
            os.environ,
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            TZ="Europe/Berlin",
            NO_COLOR="1",
            LC_ALL="C.UTF-8",
            LANG="C.UTF-8",
        )

    def run(self, *args: str, input: str | None = None, check: bool = True,
            timeout: float = TOOL_TIMEOUT) -> subprocess.CompletedProcess:
        argv = [str(a) for a in args]
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, capture_output=True, text=True, env=self.env,
                               input=input if input is not None else "",
                               timeout=timeout, cwd=self.workdir)
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"{argv} did not finish within {timeout}s\n"
                        f"stdout: {e.stdout}\nstderr: {e.stderr}")
        self.last_exit = time.monotonic()
        self.runs.append((argv, self.last_exit - t0, p.returncode))
        if check and p.returncode != 0:
            pytest.fail(f"{argv} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p

    # -- khal
    def write_khal_config(self, calendars: dict[str, Path], default: str | None = None):
        lines = ["[calendars]"]
        for name, path in calendars.items():
            lines += [f"[[{name}]]", f"path = {path}", "type = calendar"]
        lines += [
            "[locale]",
            "local_timezone = Europe/Berlin",
            "default_timezone = Europe/Berlin",
            "timeformat = %H:%M",
            "dateformat = %Y-%m-%d",
            "longdateformat = %Y-%m-%d",
            "datetimeformat = %Y-%m-%d %H:%M",
            "longdatetimeformat = %Y-%m-%d %H:%M",
            "[default]",
            f"default_calendar = {default or next(iter(calendars))}",
            "[sqlite]",
            f"path = {self.workdir / 'khal.db'}",
        ]
        self.khal_conf.write_text("\n".join(lines) + "\n")

    def khal(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.run(tool("khal"), "-c", self.khal_conf, *args, **kw)

    def khal_list(self, start: str = "2026-12-01", span: str = "30d") -> list[str]:
        """`khal list` lines as `uid|start|end|title|calendar`."""
        out = self.khal("list", "--format", "{uid}|{start}|{end}|{title}|{calendar}",
                        "--day-format", "", start, span).stdout
        return [line for line in out.splitlines() if line.strip()]

    # -- todoman
    def write_todoman_config(self, path_glob: str):
        self.todoman_conf.write_text(
            f"path = {path_glob!r}\n"
            f"cache_path = {str(self.workdir / 'todoman.sqlite')!r}\n"
            'date_format = "%Y-%m-%d"\n'
            'time_format = "%H:%M"\n'
        )

    def todo(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.run(tool("todo"), "--config", self.todoman_conf, *args, **kw)

    def todo_list(self, *args: str) -> list[dict]:
        import json

        out = self.todo("--porcelain", "list", *args).stdout
        return json.loads(out) if out.strip() else []

    # -- vdirsyncer
    def vdirsyncer(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.run(tool("vdirsyncer"), "-c", self.vdirsyncer_conf, *args, **kw)


# --------------------------------------------------------------------------- WebDAV


def dav(session, method: str, url: str, body: str | bytes | None = None,
        headers: dict[str, str] | None = None):
    data = body.encode() if isinstance(body, str) else body
    return session.request(method, url, data=data, headers=headers or {},
                           timeout=REQUEST_TIMEOUT, allow_redirects=False)


def mkcalendar(session, url: str):
    r = dav(session, "MKCALENDAR", url)
    assert r.status_code == 201, f"MKCALENDAR {url}: {r.status_code} {r.text[:300]}"
    return r


def put_ics(session, url: str, text: str | bytes, etag: str | None = None,
            create: bool = False):
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    if etag:
        headers["If-Match"] = etag
    if create:
        headers["If-None-Match"] = "*"
    r = dav(session, "PUT", url, text, headers)
    assert r.status_code in (201, 204), f"PUT {url}: {r.status_code} {r.text[:300]}"
    return r


@dataclass
class SyncResult:
    token: str
    changed: dict[str, str]  # basename -> etag
    removed: set[str]


def sync_collection(session, cal_url: str, token: str = "") -> SyncResult:
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<d:sync-collection xmlns:d="DAV:">'
            f"<d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>"
            "<d:prop><d:getetag/></d:prop></d:sync-collection>")
    r = dav(session, "REPORT", cal_url, body, {"Content-Type": "application/xml; charset=utf-8"})
    assert r.status_code == 207, f"sync-collection {cal_url} token={token!r}: {r.status_code} {r.text[:500]}"
    root = ET.fromstring(r.content)
    changed, removed = {}, set()
    for resp in root.findall("d:response", NS):
        href = unquote(urlsplit(resp.findtext("d:href", namespaces=NS).strip()).path)
        name = href.rstrip("/").rsplit("/", 1)[-1]
        status = resp.findtext("d:status", default="", namespaces=NS)
        if " 404 " in status:
            removed.add(name)
            continue
        etag = resp.findtext("d:propstat/d:prop/d:getetag", default="", namespaces=NS)
        changed[name] = etag
    tok = root.findtext("d:sync-token", namespaces=NS)
    assert tok, r.text[:500]
    return SyncResult(tok, changed, removed)


def wait_for_sync(session, cal_url: str, token: str, predicate,
                  limit: float = VISIBLE_WITHIN) -> tuple[SyncResult, float]:
    """Polls sync-collection from ``token`` until ``predicate(result)``; (result, latency).
    Fails after ``limit`` seconds with the last result."""
    t0 = time.monotonic()
    last = None
    while True:
        last = sync_collection(session, cal_url, token)
        if predicate(last):
            return last, time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            pytest.fail(f"no matching sync-collection result within {limit}s from token "
                        f"{token!r}; last: {last}")
        time.sleep(0.05)


def poll(fn, limit: float = VISIBLE_WITHIN, what: str = "condition"):
    """Calls ``fn`` until it returns a true value; (value, latency)."""
    t0 = time.monotonic()
    while True:
        v = fn()
        if v:
            return v, time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            pytest.fail(f"{what} not met within {limit}s")
        time.sleep(0.05)


def proppatch_statuses(resp) -> dict[str, int]:
    """{"{ns}name": status code} of a PROPPATCH multistatus."""
    assert resp.status_code == 207, f"PROPPATCH: {resp.status_code} {resp.text[:300]}"
    out = {}
    for ps in ET.fromstring(resp.content).iter(f"{{{NS['d']}}}propstat"):
        code = int(ps.findtext("d:status", default="HTTP/1.1 0 ?", namespaces=NS).split()[1])
        for el in ps.find("d:prop", NS):
            out[el.tag] = code
    return out


def propfind_props(session, url: str, props: list[tuple[str, str]], depth: str = "0"):
    """{href path: {"{ns}name": text or None}} for 200-propstat properties."""
    decls = {ns: f"n{i}" for i, ns in enumerate(sorted({ns for ns, _ in props}))}
    xmlns = " ".join(f'xmlns:{p}="{ns}"' for ns, p in decls.items())
    inner = "".join(f"<{decls[ns]}:{name}/>" for ns, name in props)
    body = f'<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:" {xmlns}><prop>{inner}</prop></propfind>'
    r = dav(session, "PROPFIND", url, body,
            {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"})
    assert r.status_code == 207, f"PROPFIND {url}: {r.status_code} {r.text[:500]}"
    out = {}
    for resp in ET.fromstring(r.content).findall("d:response", NS):
        href = unquote(urlsplit(resp.findtext("d:href", namespaces=NS).strip()).path)
        found = {}
        for ps in resp.findall("d:propstat", NS):
            if " 200 " not in ps.findtext("d:status", default="", namespaces=NS) + " ":
                continue
            for el in ps.find("d:prop", NS):
                found[el.tag] = (el.text or "").strip()
        out[href] = found
    return out


def proppatch_set(session, url: str, props: list[tuple[str, str, str]]):
    """PROPPATCH <set> of (namespace, name, text); returns the response."""
    decls = {ns: f"n{i}" for i, ns in enumerate(sorted({ns for ns, _, _ in props}))}
    xmlns = " ".join(f'xmlns:{p}="{ns}"' for ns, p in decls.items())
    inner = "".join(f"<{decls[ns]}:{name}>{text}</{decls[ns]}:{name}>" for ns, name, text in props)
    body = (f'<?xml version="1.0" encoding="utf-8"?><propertyupdate xmlns="DAV:" {xmlns}>'
            f"<set><prop>{inner}</prop></set></propertyupdate>")
    return dav(session, "PROPPATCH", url, body, {"Content-Type": "application/xml; charset=utf-8"})


# --------------------------------------------------------------------------- files


def object_files(directory: Path) -> dict[str, bytes]:
    """Calendar objects of a vdir: non-hidden ``*.ics`` file name -> bytes."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())
            if p.is_file() and p.name.endswith(".ics") and not p.name.startswith(".")}


def stray_entries(directory: Path) -> list[str]:
    """Entries of a calendar directory that are neither objects nor vdir/davdir metadata."""
    return sorted(p.name for p in directory.iterdir()
                  if not (p.is_file() and (p.name in CALENDAR_METADATA_FILES
                                           or (p.name.endswith(".ics") and not p.name.startswith(".")))))


def uid_of(data: bytes | str) -> str:
    """The UID of a one-object iCalendar text (asserts there is exactly one)."""
    text = data.decode() if isinstance(data, bytes) else data
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    uids = {m.group(1).strip() for m in re.finditer(r"^UID(?:;[^:]*)?:(.*)$", unfolded, re.M)}
    assert len(uids) == 1, f"expected one UID, got {uids}:\n{text}"
    return uids.pop()


def by_uid(files: dict[str, bytes]) -> dict[str, bytes]:
    out = {}
    for name, data in files.items():
        uid = uid_of(data)
        assert uid not in out, f"UID {uid} in two files"
        out[uid] = data
    return out


def prop_value(data: bytes | str, name: str) -> str | None:
    """First value of a property (unfolded) in an iCalendar text, or None."""
    text = data.decode() if isinstance(data, bytes) else data
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    m = re.search(rf"^{re.escape(name)}(?:;[^:\r\n]*)?:([^\r\n]*)", unfolded, re.M)
    return m.group(1) if m else None
