"""Helpers shared by the client tests (imported by the test modules and conftest)."""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

SERVER_KIND = os.environ.get("DAVDIR_TEST_SERVER", "davdir").strip().lower()
if SERVER_KIND not in ("davdir", "radicale"):
    raise RuntimeError(f"DAVDIR_TEST_SERVER must be 'davdir' or 'radicale', not {SERVER_KIND!r}")

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DATA = Path(os.environ.get("DAVDIR_SAMPLE_DATA", REPO_ROOT / "data-sample"))

# Seconds for any single HTTP request made by a test.
REQUEST_TIMEOUT = 15

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
NS = {"d": DAV, "c": CALDAV}


def davdir_only(reason: str):
    """Skip marker for checks of davdir's own contract that Radicale does not share."""
    return pytest.mark.skipif(SERVER_KIND != "davdir", reason=f"davdir contract: {reason}")


def new_uid(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4()}"


def event_ics(uid: str, summary: str, start: str = "20270115T090000Z",
              end: str = "20270115T100000Z") -> str:
    return (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//davdir tests//python//EN\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\n"
        "DTSTAMP:20261101T120000Z\r\n"
        f"DTSTART:{start}\r\n"
        f"DTEND:{end}\r\n"
        f"SUMMARY:{summary}\r\n"
        "END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def todo_ics(uid: str, summary: str, due: str = "20270120T170000Z") -> str:
    return (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//davdir tests//python//EN\r\n"
        "BEGIN:VTODO\r\n"
        f"UID:{uid}\r\n"
        "DTSTAMP:20261101T120000Z\r\n"
        f"DUE:{due}\r\n"
        f"SUMMARY:{summary}\r\n"
        "STATUS:NEEDS-ACTION\r\n"
        "END:VTODO\r\n"
        "END:VCALENDAR\r\n"
    )


def url_path(url) -> str:
    """The decoded path of a URL (or of a caldav URL object)."""
    return unquote(urlsplit(str(url)).path)


def ics_files(directory: Path) -> dict[str, str]:
    """Map file name -> text for the calendar objects (non-hidden *.ics) of a directory."""
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(directory.glob("*.ics"))
        if not p.name.startswith(".")
    }


def uids_in_text(text: str) -> set[str]:
    """UIDs of the non-timezone components in one iCalendar text."""
    import icalendar

    cal = icalendar.Calendar.from_ical(text)
    return {str(c["UID"]) for c in cal.walk() if c.name in ("VEVENT", "VTODO", "VJOURNAL")}


def propfind(session, url: str, body: str, depth: str = "0"):
    return session.request(
        "PROPFIND", url, data=body.encode(),
        headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"},
        timeout=REQUEST_TIMEOUT, allow_redirects=False,
    )


def multistatus(resp) -> dict[str, ET.Element]:
    """Parse a 207 response body: decoded href path -> <d:response> element."""
    assert resp.status_code == 207, f"expected 207 Multi-Status, got {resp.status_code}: {resp.text[:500]}"
    root = ET.fromstring(resp.content)
    assert root.tag == f"{{{DAV}}}multistatus", root.tag
    out = {}
    for r in root.findall("d:response", NS):
        href = r.find("d:href", NS)
        assert href is not None and href.text, ET.tostring(r)
        out[url_path(href.text.strip())] = r
    return out


def found_prop(response: ET.Element, tag: str) -> ET.Element | None:
    """The property element ``tag`` ("{ns}name") inside a propstat with a 200 status."""
    for ps in response.findall("d:propstat", NS):
        status = ps.findtext("d:status", default="", namespaces=NS)
        if " 200 " not in status + " ":
            continue
        el = ps.find(f"d:prop/{tag}", NS)
        if el is not None:
            return el
    return None
