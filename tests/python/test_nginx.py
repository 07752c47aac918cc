"""davdir behind a real nginx, configured as docs/operations.md's "Behind a reverse proxy" says.

The nginx and davdir configurations are taken from that document itself (only the
listen address, TLS lines and davdir's port are adapted), so the documented
setup is the tested one. Through nginx: the well-known redirects, discovery,
a PUT and GET, and the client address nginx forwards, which davdir must log
and count its login backoff by: one person's failed logins must not make
another person, from another address, wait.
"""
from __future__ import annotations

import base64
import http.client
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from conftest import free_port
from support import davdir_only, event_ics, new_uid

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)
UPSTREAM = "127.0.0.1:5232"

pytestmark = [
    davdir_only("the documented reverse-proxy setup"),
    pytest.mark.skipif(NGINX is None,
                       reason="nginx is not installed (apt-get install nginx; tests/run.sh does)"),
]


def proxy_blocks() -> dict[str, list[str]]:
    """The fenced blocks of the proxy section of docs/operations.md, by language, in order."""
    text = OPERATIONS.read_text()
    section = text[text.index("\n## Behind a reverse proxy\n"):]
    section = section[: section.index("\n## ", 1)]
    blocks: dict[str, list[str]] = {}
    for lang, body in re.findall(r"^```(\w+)\n(.*?)^```$", section, re.S | re.M):
        blocks.setdefault(lang, []).append(body)
    return blocks


def nginx_server(example: str, port: int, upstream: str) -> str:
    """The documented nginx example as a server block on 127.0.0.1:port without TLS."""
    example = example.replace(UPSTREAM, upstream)
    if example.lstrip().startswith("server {"):
        lines = []
        listened = False
        for line in example.splitlines():
            stripped = line.strip()
            if stripped.startswith("listen "):
                if not listened:
                    lines.append(f"    listen 127.0.0.1:{port};")
                    listened = True
            elif not stripped.startswith("ssl_"):
                lines.append(line)
        assert listened, example
        return "\n".join(lines)
    return f"server {{\n    listen 127.0.0.1:{port};\n    server_name localhost;\n{example}}}\n"


class Nginx:
    def __init__(self, server_block: str, tmp: Path):
        tmp.mkdir()
        self.tmp = tmp
        temp_paths = "\n".join(
            f"    {kind}_temp_path {tmp / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = tmp / "nginx.conf"
        conf.write_text(f"""daemon off;
master_process off;
pid {tmp / 'nginx.pid'};
error_log {tmp / 'error.log'} info;
events {{ worker_connections 64; }}
http {{
    access_log {tmp / 'access.log'};
{temp_paths}
{server_block}
}}
""")
        self.conf_text = conf.read_text()
        self.proc = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", f"{tmp}/", "-e", str(tmp / "error.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_listening(self, port: int):
        deadline = time.monotonic() + 20
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
                return
            except OSError:
                if self.proc.poll() is not None:
                    pytest.fail(f"nginx exited: {self.proc.stderr.read().decode()}\n"
                                f"{self.log()}\n{self.conf_text}")
                assert time.monotonic() < deadline, f"nginx did not listen\n{self.log()}"
                time.sleep(0.05)

    def log(self) -> str:
        path = self.tmp / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(params=["root", "path"])
def behind_nginx(request, server_factory, tmp_path):
    """(davdir, nginx's URL, the path davdir is under) for each documented example."""
    variant = request.param
    blocks = proxy_blocks()
    index = 0 if variant == "root" else 1
    davdir_conf = tmp_path / "davdir.toml"
    davdir_conf.write_text(blocks["toml"][index])
    prefix = "/caldav" if variant == "path" else ""
    assert (f'base_path = "{prefix}"' in blocks["toml"][index]) == bool(prefix)
    srv = server_factory(sample=True, users={"demo": "demo", "alice": "alice-pw", "bob": "bob-pw"},
                         extra_args=["--config", str(davdir_conf)])
    port = free_port()
    upstream = urlsplit(srv.base_url).netloc
    nginx = Nginx(nginx_server(blocks["nginx"][index], port, upstream), tmp_path / "nginx")
    try:
        nginx.wait_listening(port)
        yield srv, f"http://127.0.0.1:{port}", prefix
    finally:
        nginx.stop()


def request_from(source: str, url: str, method: str, path: str, user: str, password: str,
                 headers: dict | None = None, body: bytes | None = None):
    """A request whose connection comes from `source` (a loopback address),
    so nginx sees a different client for each source."""
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30,
                                      source_address=(source, 0))
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    try:
        conn.request(method, path, body=body,
                     headers={"Authorization": f"Basic {auth}", **(headers or {})})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_readme_nginx_example_works_in_front_of_davdir(behind_nginx):
    srv, url, prefix = behind_nginx

    # Well-known URLs lead to the context path, for both services.
    for service in ("caldav", "carddav"):
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(url).port, timeout=30)
        conn.request("GET", f"/.well-known/{service}")
        resp = conn.getresponse()
        resp.read()
        conn.close()
        assert resp.status == 301, (service, resp.status)
        assert urlsplit(resp.getheader("Location")).path == f"{prefix}/", resp.getheader("Location")

    # A client given only the host name finds the principal and calendars.
    principal = srv.client("demo", url=f"{url}/.well-known/caldav").principal()
    assert str(principal.url).endswith(f"{prefix}/demo/"), principal.url
    names = {c.get_display_name() for c in principal.calendars()}
    assert {"Personal", "Work"} <= names, names

    # CardDAV discovery through its well-known URL.
    s = requests.Session()
    s.auth = ("demo", "demo")
    found = s.request("PROPFIND", f"{url}/.well-known/carddav", headers={"Depth": "0"},
                      data='<propfind xmlns="DAV:"><prop><current-user-principal/></prop></propfind>',
                      timeout=30)
    assert found.status_code == 207, found.text
    assert f"<D:href>{prefix}/demo/</D:href>" in found.text or f">{prefix}/demo/<" in found.text, \
        found.text

    # PUT and GET, and a MOVE whose Destination names nginx's host and port.
    uid = new_uid("nginx")
    href = f"{prefix}/demo/work/{uid}.ics"
    put = s.put(url + href, data=event_ics(uid, "Through nginx"),
                headers={"Content-Type": "text/calendar"}, timeout=30)
    assert put.status_code == 201, put.text
    got = s.get(url + href, timeout=30)
    assert got.status_code == 200 and "SUMMARY:Through nginx" in got.text, got.text
    moved = s.request("MOVE", url + href, timeout=30,
                      headers={"Destination": f"{url}{prefix}/demo/work/{uid}-moved.ics"})
    assert moved.status_code == 201, moved.text
    assert (srv.calendar_dir("demo", "work") / f"{uid}-moved.ics").is_file()

    # One person guesses alice's password from one address until refused...
    statuses = []
    for _ in range(10):
        statuses.append(request_from("127.0.0.2", url, "PROPFIND", f"{prefix}/alice/",
                                     "alice", "wrong", {"Depth": "0"}))
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429, statuses
    # ...and another person, from another address, still logs in (bob, whose
    # first login this is: recently verified credentials skip the backoff).
    assert request_from("127.0.0.3", url, "PROPFIND", f"{prefix}/bob/", "bob", "bob-pw",
                        {"Depth": "0"}) == 207
    # davdir logged the address nginx forwarded, not nginx's own.
    logs = srv.logs()
    assert 'failed login for user "alice" from 127.0.0.2' in logs, logs
