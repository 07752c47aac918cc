"""davdir behind a reverse proxy that serves it under a URL prefix.

The proxy here does what a typical nginx ``location /caldav/ { proxy_pass
http://127.0.0.1:5232/; }`` does: it strips ``/caldav`` from the request path
and forwards everything else (methods, headers, bodies) unchanged. davdir runs
with ``--base-path /caldav`` and must hand out hrefs that work through the
proxy, so the python caldav client, given only the proxied URL, can discover
the principal and use every calendar.
"""
from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from support import davdir_only, event_ics, new_uid, todo_ics

PREFIX = "/caldav"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
METHODS = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PROPFIND", "PROPPATCH", "REPORT",
           "MKCALENDAR", "MKCOL", "MOVE", "COPY", "POST"]


def start_prefix_proxy(upstream: str):
    """A threaded HTTP proxy on a free loopback port that strips PREFIX."""
    up = urlsplit(upstream)
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def forward(self):
            path = self.path
            if path == PREFIX or path.startswith(PREFIX + "/"):
                path = path[len(PREFIX):] or "/"
            elif not path.startswith("/.well-known/"):
                # Like a proxy with only `location /caldav/`: nothing else reaches davdir.
                seen.append(f"{self.command} {self.path} -> 404")
                self.send_error(404)
                return
            seen.append(f"{self.command} {self.path} -> {path}")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=15)
            try:
                conn.request(self.command, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in HOP_BY_HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
            finally:
                conn.close()

        def log_message(self, *args):
            pass

    for method in METHODS:
        setattr(Handler, f"do_{method}", Handler.forward)
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    return proxy, f"http://127.0.0.1:{proxy.server_address[1]}{PREFIX}/", seen


@pytest.fixture
def proxied(server_factory):
    srv = server_factory(sample=True, users={"demo": "demo"}, schemes={"demo": "2y"},
                         extra_args=["--base-path", PREFIX])
    proxy, url, seen = start_prefix_proxy(srv.base_url)
    yield srv, url, seen
    proxy.shutdown()
    proxy.server_close()


@davdir_only("--base-path for a reverse proxy under a URL prefix")
def test_caldav_client_works_through_a_prefix_stripping_proxy(proxied):
    srv, url, seen = proxied
    client = srv.client("demo", url=url)
    principal = client.principal()
    assert str(principal.url).endswith("/caldav/demo/"), principal.url
    calendars = {c.get_display_name(): c for c in principal.calendars()}
    assert {"Personal", "Work"} <= set(calendars), calendars
    assert all(str(c.url).startswith(url) for c in calendars.values())

    work = calendars["Work"]
    assert len(work.events()) > 0
    uid = new_uid("proxied")
    ev = work.save_event(event_ics(uid, "Through the proxy"))
    assert any(uid in p.read_text() for p in srv.calendar_dir("demo", "work").glob("*.ics"))
    found = work.search(event=True, start=ev.icalendar_component["DTSTART"].dt,
                        end=ev.icalendar_component["DTEND"].dt)
    assert any(uid in f.data for f in found)
    multi = work.calendar_multiget([ev.url])
    assert uid in multi[0].data

    made = principal.make_calendar(name="Via proxy", cal_id="via-proxy")
    assert str(made.url) == url + "demo/via-proxy/"
    todo = made.save_todo(todo_ics(new_uid("todo"), "Proxied to-do"))
    assert len(made.todos()) == 1
    todo.delete()
    ev.delete()
    assert not any(uid in o.data for o in work.events())
    # The proxy really saw prefixed paths and stripped them, and nothing missed the prefix.
    assert any("/caldav/demo/" in line and "-> /demo/" in line for line in seen), seen[:5]
    assert not [line for line in seen if line.endswith("-> 404")], seen


@davdir_only("--base-path for a reverse proxy under a URL prefix")
def test_sync_token_through_the_proxy_sees_a_hand_edit(proxied):
    srv, url, _ = proxied
    work = srv.client("demo", url=url).principal().calendar(cal_id="work")
    objects = work.objects_by_sync_token(load_objects=False)
    token = objects.sync_token
    uid = new_uid("hand")
    (srv.calendar_dir("demo", "work") / f"{uid}.ics").write_text(
        event_ics(uid, "Written by hand"), newline="")
    deadline = time.monotonic() + 30
    while True:
        changed = work.objects_by_sync_token(sync_token=token, load_objects=False)
        hrefs = [str(o.url) for o in changed]
        if any(h.endswith(f"/caldav/demo/work/{uid}.ics") for h in hrefs):
            break
        assert time.monotonic() < deadline, hrefs
        time.sleep(0.05)


@davdir_only("--base-path for a reverse proxy under a URL prefix")
def test_well_known_through_the_proxy_leads_to_the_prefix(proxied):
    srv, url, _ = proxied
    root = url[: -len(PREFIX) - 1]
    conn = http.client.HTTPConnection(urlsplit(root).hostname, urlsplit(root).port, timeout=15)
    conn.request("GET", "/.well-known/caldav")
    resp = conn.getresponse()
    assert resp.status == 301
    assert resp.getheader("Location") == PREFIX + "/"
    conn.close()
    principal = srv.client("demo", url=root + "/.well-known/caldav").principal()
    assert str(principal.url).endswith("/caldav/demo/")
