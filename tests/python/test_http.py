"""Raw HTTP checks (requests) of discovery, OPTIONS, authentication and PUT semantics."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
import requests

from support import (CALDAV, DAV, REQUEST_TIMEOUT, davdir_only, event_ics, found_prop,
                     multistatus, new_uid, propfind, url_path)

CUP_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>'
)
HOME_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
    "<d:prop><c:calendar-home-set/><d:resourcetype/></d:prop></d:propfind>"
)


@pytest.mark.parametrize("method", ["GET", "PROPFIND"])
def test_well_known_caldav_redirects_to_root(server, method):
    s = server.session("alice")
    r = s.request(method, server.base_url + ".well-known/caldav",
                  headers={"Depth": "0"}, allow_redirects=False, timeout=REQUEST_TIMEOUT)
    assert r.status_code in (301, 302, 303, 307, 308), (
        f"{method} /.well-known/caldav: expected a redirect, got {r.status_code} {r.text[:300]}")
    location = r.headers.get("Location")
    assert location, "redirect without a Location header"
    target = urljoin(server.base_url, location)
    assert urlsplit(target).netloc == urlsplit(server.base_url).netloc
    assert urlsplit(target).path == "/", f"redirects to {location!r}, expected the root /"


def test_options_dav_header_has_calendar_access(server):
    s = server.session("alice")
    for url in (server.base_url, server.url("alice")):
        r = s.options(url, timeout=REQUEST_TIMEOUT)
        assert r.status_code in (200, 204), f"OPTIONS {url}: {r.status_code}"
        tokens = {t.strip() for t in r.headers.get("DAV", "").split(",")}
        assert "1" in tokens, f"OPTIONS {url}: DAV header {r.headers.get('DAV')!r} lacks class 1"
        assert "calendar-access" in tokens, (
            f"OPTIONS {url}: DAV header {r.headers.get('DAV')!r} lacks calendar-access")


def test_root_propfind_gives_current_user_principal(server):
    r = propfind(server.session("alice"), server.base_url, CUP_BODY)
    responses = multistatus(r)
    assert "/" in responses, f"no response for / in {list(responses)}"
    prop = found_prop(responses["/"], f"{{{DAV}}}current-user-principal")
    assert prop is not None, r.text
    href = prop.findtext(f"{{{DAV}}}href")
    assert href and url_path(urljoin(server.base_url, href.strip())) == "/alice/", r.text


def test_principal_is_calendar_home(server):
    r = propfind(server.session("alice"), server.url("alice"), HOME_BODY)
    responses = multistatus(r)
    assert "/alice/" in responses, list(responses)
    home = found_prop(responses["/alice/"], f"{{{CALDAV}}}calendar-home-set")
    assert home is not None, r.text
    href = home.findtext(f"{{{DAV}}}href")
    assert href and url_path(urljoin(server.base_url, href.strip())) == "/alice/", r.text
    rtype = found_prop(responses["/alice/"], f"{{{DAV}}}resourcetype")
    assert rtype is not None and rtype.find(f"{{{DAV}}}collection") is not None, r.text


def test_missing_credentials_get_401_with_basic_challenge(server):
    r = propfind(server.session(None), server.url("alice"), HOME_BODY)
    assert r.status_code == 401, f"PROPFIND /alice/ without credentials: {r.status_code}"
    assert "basic" in r.headers.get("WWW-Authenticate", "").lower(), r.headers


def test_wrong_password_gets_401(server):
    r = propfind(server.session("alice", "not-the-password"), server.url("alice"), HOME_BODY)
    assert r.status_code == 401, f"PROPFIND /alice/ with a wrong password: {r.status_code}"
    assert "basic" in r.headers.get("WWW-Authenticate", "").lower(), r.headers


def test_unknown_user_gets_401(server):
    s = requests.Session()
    s.auth = ("mallory", "alice-secret")
    r = propfind(s, server.url("mallory"), HOME_BODY)
    assert r.status_code == 401, f"PROPFIND as an unknown user: {r.status_code}"


def _default_calendar_url(server, user: str) -> str:
    """The first writable calendar in the user's home (created on first
    login), as a client picks one: read-only ones (the derived birthday
    calendar) say so in their privileges."""
    body = ('<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:">'
            "<d:prop><d:resourcetype/><d:current-user-privilege-set/></d:prop></d:propfind>")
    responses = multistatus(propfind(server.session(user), server.url(user), body, depth="1"))
    for path, resp in sorted(responses.items()):
        rtype = found_prop(resp, f"{{{DAV}}}resourcetype")
        privileges = found_prop(resp, f"{{{DAV}}}current-user-privilege-set")
        writable = privileges is None or any(
            p.tag in (f"{{{DAV}}}write", f"{{{DAV}}}all", f"{{{DAV}}}write-content")
            for p in privileges.iter())
        if rtype is not None and rtype.find(f"{{{CALDAV}}}calendar") is not None and writable:
            return urljoin(server.base_url, path)
    pytest.fail(f"no calendar in /{user}/: {list(responses)}")


@pytest.fixture
def calendar_url(server, kind):
    if kind == "radicale":  # Radicale makes no default calendar
        url = server.url("alice", "tests")
        r = server.session("alice").request("MKCALENDAR", url, timeout=REQUEST_TIMEOUT)
        assert r.status_code == 201, r.status_code
        return url
    return _default_calendar_url(server, "alice")


def test_put_get_roundtrip_and_strong_etag(server, calendar_url):
    s = server.session("alice")
    uid = new_uid()
    body = event_ics(uid, "Roundtrip").encode()
    url = calendar_url + "roundtrip.ics"
    r = s.put(url, data=body, headers={"Content-Type": "text/calendar; charset=utf-8",
                                        "If-None-Match": "*"}, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 201, f"PUT new object: expected 201, got {r.status_code} {r.text[:300]}"
    g = s.get(url, timeout=REQUEST_TIMEOUT)
    assert g.status_code == 200, g.status_code
    assert g.headers.get("Content-Type", "").startswith("text/calendar"), g.headers
    assert uid in g.text
    etag = g.headers.get("ETag")
    assert etag and not etag.startswith("W/") and etag.startswith('"'), f"ETag {etag!r}"
    if "ETag" in r.headers:  # an ETag on PUT must be the one GET then reports
        assert r.headers["ETag"] == etag


@davdir_only("stores the PUT bytes verbatim as DATA/U/C/NAME.ics")
def test_put_bytes_stored_verbatim_on_disk(server, calendar_url):
    s = server.session("alice")
    uid = new_uid()
    # Folded line and non-ASCII text: any re-serialisation would show.
    body = event_ics(uid, "Verbatim ümlaut test with a long summary that is folded")
    body = body.replace("SUMMARY:Verbatim ümlaut test with a long", "SUMMARY:Verbatim ümlaut test\r\n  with a long")
    data = body.encode("utf-8")
    r = s.put(calendar_url + "verbatim.ics", data=data,
              headers={"Content-Type": "text/calendar; charset=utf-8"}, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 201, r.status_code
    cal = url_path(calendar_url).strip("/").split("/")[1]
    on_disk = server.calendar_dir("alice", cal) / "verbatim.ics"
    assert on_disk.is_file(), f"{on_disk} missing after PUT"
    assert on_disk.read_bytes() == data
    g = s.get(calendar_url + "verbatim.ics", timeout=REQUEST_TIMEOUT)
    assert g.content == data


@davdir_only("a hand edit of the .ics file is served at once with a new ETag")
def test_hand_edit_is_served_with_new_etag(server, calendar_url):
    s = server.session("alice")
    uid = new_uid()
    url = calendar_url + "handedit.ics"
    assert s.put(url, data=event_ics(uid, "Before").encode(),
                 headers={"Content-Type": "text/calendar"}, timeout=REQUEST_TIMEOUT).status_code == 201
    etag1 = s.get(url, timeout=REQUEST_TIMEOUT).headers.get("ETag")
    cal = url_path(calendar_url).strip("/").split("/")[1]
    path = server.calendar_dir("alice", cal) / "handedit.ics"
    edited = event_ics(uid, "After hand edit").encode()
    path.write_bytes(edited)
    g = s.get(url, timeout=REQUEST_TIMEOUT)
    assert g.status_code == 200
    assert g.content == edited
    assert g.headers.get("ETag") and g.headers.get("ETag") != etag1


def test_conditional_put_preconditions(server, calendar_url):
    s = server.session("alice")
    uid = new_uid()
    url = calendar_url + "conditional.ics"
    hdr = {"Content-Type": "text/calendar; charset=utf-8"}
    assert s.put(url, data=event_ics(uid, "v1").encode(), headers=hdr,
                 timeout=REQUEST_TIMEOUT).status_code == 201
    etag = s.get(url, timeout=REQUEST_TIMEOUT).headers["ETag"]

    r = s.put(url, data=event_ics(uid, "v2").encode(), headers={**hdr, "If-None-Match": "*"},
              timeout=REQUEST_TIMEOUT)
    assert r.status_code == 412, f"PUT If-None-Match: * over an existing object: {r.status_code}"
    r = s.put(url, data=event_ics(uid, "v2").encode(), headers={**hdr, "If-Match": '"stale-etag"'},
              timeout=REQUEST_TIMEOUT)
    assert r.status_code == 412, f"PUT with a non-matching If-Match: {r.status_code}"
    assert "SUMMARY:v1" in s.get(url, timeout=REQUEST_TIMEOUT).text

    r = s.put(url, data=event_ics(uid, "v3").encode(), headers={**hdr, "If-Match": etag},
              timeout=REQUEST_TIMEOUT)
    assert r.status_code in (200, 204), f"PUT with the current ETag in If-Match: {r.status_code}"
    assert "SUMMARY:v3" in s.get(url, timeout=REQUEST_TIMEOUT).text


def test_get_missing_object_is_404(server, calendar_url):
    r = server.session("alice").get(calendar_url + "does-not-exist.ics", timeout=REQUEST_TIMEOUT)
    assert r.status_code == 404, r.status_code
