"""WebDAV-Push end to end: a push service on loopback inside the test receives
what davdir sends, decrypts every message with the subscription's private key
and auth secret (RFC 8291, http_ece), and checks its VAPID JWT (RFC 8292)
against the key the server advertises. Changes come from another HTTP client,
a hand edit (temp file + rename, as editors save), khal, and a `git pull` of
100 files into the data directory; each must give one message per collection
with the sync token that lists exactly those changes."""

import base64
import os
import queue
import re
import shutil
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import DAVDIR_LISTEN_RE, START_TIMEOUT
from support import REQUEST_TIMEOUT, davdir_only, event_ics, new_uid
from vdir_support import Tools, put_ics, sync_collection, tool

pytestmark = davdir_only("WebDAV-Push")

PUSH = "https://bitfire.at/webdav-push"
NSMAP = {"d": "DAV:", "p": PUSH}
# Time to wait for a message that must come, and for one that must not.
ARRIVES_WITHIN = 10.0
QUIET_FOR = 2.5


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Receiver:
    """A push service: every POST is queued per subscription path; the status
    it answers can be set per path."""

    def __init__(self):
        self.inbox: dict[str, queue.Queue] = {}
        self.status: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.box(self.path).put((dict(self.headers), body))
                self.send_response(receiver.status.get(self.path, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def box(self, path: str) -> queue.Queue:
        return self.inbox.setdefault(path, queue.Queue())

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Subscription:
    """What a phone registers: a push URL, a P-256 key pair and an auth secret."""

    def __init__(self, receiver: Receiver, name: str):
        self.receiver = receiver
        self.path = f"/push/{name}"
        self.url = receiver.base + self.path
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.location = None

    def register_body(self, expires: str | None = None) -> str:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        # DAVx5's form: no trigger, no content-encoding.
        exp = f"<expires>{expires}</expires>" if expires else ""
        return (f'<?xml version="1.0" encoding="UTF-8"?><push-register xmlns="{PUSH}">'
                "<subscription><web-push-subscription>"
                f"<push-resource>{self.url}</push-resource>"
                f'<subscription-public-key type="p256dh">{b64url(public)}</subscription-public-key>'
                f"<auth-secret>{b64url(self.auth)}</auth-secret>"
                f"</web-push-subscription></subscription>{exp}</push-register>")

    def next(self, timeout: float = ARRIVES_WITHIN):
        try:
            return self.receiver.box(self.path).get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no push to {self.path} within {timeout}s")

    def quiet(self, timeout: float = QUIET_FOR) -> bool:
        try:
            self.receiver.box(self.path).get(timeout=timeout)
            return False
        except queue.Empty:
            return True

    def open(self, message, vapid_key: str) -> ET.Element:
        """Checks the headers and VAPID JWT, decrypts, parses the push-message."""
        headers, body = message
        headers = {k.lower(): v for k, v in headers.items()}
        assert headers["content-encoding"] == "aes128gcm"
        assert int(headers["ttl"]) > 0
        assert headers["urgency"] in ("very-low", "low", "normal", "high")
        scheme, _, params = headers["authorization"].partition(" ")
        assert scheme == "vapid"
        fields = dict(p.strip().split("=", 1) for p in params.split(","))
        assert fields["k"] == vapid_key, "signed with the key the server advertises"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(vapid_key))
        claims = jwt.decode(fields["t"], public, algorithms=["ES256"],
                            options={"verify_aud": False, "require": ["exp", "aud", "sub"]})
        assert claims["aud"].startswith("http://127.0.0.1"), claims
        assert claims["exp"] - time.time() <= 24 * 3600
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                 version="aes128gcm")
        root = ET.fromstring(plain)
        assert root.tag == f"{{{PUSH}}}push-message", plain
        return root


def pushed(root: ET.Element) -> tuple[str, str]:
    """(topic, sync token) of a push-message."""
    return (root.findtext("p:topic", namespaces=NSMAP).strip(),
            root.findtext("p:content-update/d:sync-token", namespaces=NSMAP).strip())


def write_config(path: Path, text: str) -> list[str]:
    path.write_text(text)
    return ["--config", str(path)]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def push_server(server_factory, tmp_path):
    conf = write_config(tmp_path / "push.toml", "push_allow_private_targets = true\n")
    return server_factory(users={"demo": "demo", "alice": "alice"}, sample=True,
                          extra_args=conf)


def session(server, user="demo"):
    s = requests.Session()
    s.auth = (user, server.users[user])
    return s


def discover(server, cal: str) -> tuple[str, str]:
    """(vapid public key, topic) of a collection, as DAVx5 reads them."""
    body = (f'<d:propfind xmlns:d="DAV:" xmlns:p="{PUSH}"><d:prop>'
            "<p:transports/><p:topic/><p:supported-triggers/></d:prop></d:propfind>")
    r = session(server).request("PROPFIND", server.url("demo", cal), data=body,
                                headers={"Depth": "0"}, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 207, r.text
    root = ET.fromstring(r.content)
    key = root.find(".//p:transports/p:web-push/p:vapid-public-key", NSMAP)
    assert key is not None and key.get("type") == "p256ecdsa", r.text
    topic = root.findtext(".//p:topic", namespaces=NSMAP)
    assert topic, r.text
    assert root.find(".//p:supported-triggers/p:content-update", NSMAP) is not None
    return key.text.strip(), topic.strip()


def register(server, cal: str, sub: Subscription, expires: str | None = None,
             expect: int | tuple = (201, 204)) -> requests.Response:
    r = session(server).post(server.url("demo", cal), data=sub.register_body(expires),
                             headers={"Content-Type": "application/xml"},
                             timeout=REQUEST_TIMEOUT)
    expected = expect if isinstance(expect, tuple) else (expect,)
    assert r.status_code in expected, f"{r.status_code} {r.text}"
    if r.status_code in (201, 204):
        sub.location = r.headers["Location"]
        assert sub.location.startswith("http"), sub.location
        assert r.headers["Expires"]
    return r


def settle(*subs: Subscription):
    """Drops what the startup scan of a fresh data directory pushed: waits
    until each subscription has been quiet for a while."""
    for sub in subs:
        while not sub.quiet(1.5):
            pass


def current_token(server, cal: str) -> str:
    return sync_collection(session(server), server.url("demo", cal)).token


def expect_push(server, sub, cal, vapid, topic, before_token, names: set[str]):
    """One message for `cal` whose token is the one after exactly `names` changed."""
    token_topic, token = pushed(sub.open(sub.next(), vapid))
    assert token_topic == topic
    since = sync_collection(session(server), server.url("demo", cal), before_token)
    assert since.token == token, "the pushed token is the collection's state after the change"
    assert set(since.changed) | since.removed == names
    assert sync_collection(session(server), server.url("demo", cal), token).changed == {}
    return token


def test_put_by_another_client_pushes_one_message(push_server, receiver):
    vapid, topic = discover(push_server, "work")
    phone = Subscription(receiver, "phone")
    register(push_server, "work", phone, expect=201)
    register(push_server, "work", phone, expect=204)  # renewing keeps one registration
    settle(phone)
    before = current_token(push_server, "work")
    uid = new_uid("pushed")
    r = put_ics(session(push_server), push_server.url("demo", "work", f"{uid}.ics",
                                                         collection=False),
                event_ics(uid, "From the laptop"))
    assert r.status_code == 201
    expect_push(push_server, phone, "work", vapid, topic, before, {f"{uid}.ics"})
    assert phone.quiet(), "one change, one message"


def test_hand_edit_khal_and_git_pull_push_per_collection(push_server, receiver, tmp_path):
    vapid, work_topic = discover(push_server, "work")
    _, personal_topic = discover(push_server, "personal")
    work, personal = Subscription(receiver, "work"), Subscription(receiver, "personal")
    register(push_server, "work", work)
    register(push_server, "personal", personal)
    settle(work, personal)
    work_dir = push_server.calendar_dir("demo", "work")
    personal_dir = push_server.calendar_dir("demo", "personal")

    # An editor's save: a temp file, then a rename over the name.
    before = current_token(push_server, "work")
    uid = new_uid("hand")
    tmp = work_dir / f".{uid}.swp"
    tmp.write_text(event_ics(uid, "Edited by hand"))
    os.rename(tmp, work_dir / f"{uid}.ics")
    expect_push(push_server, work, "work", vapid, work_topic, before, {f"{uid}.ics"})
    assert personal.quiet(0.5)

    # khal writing into the served directory.
    tools = Tools(tmp_path / "tools")
    tools.write_khal_config({"work": work_dir})
    before = current_token(push_server, "work")
    names_before = {p.name for p in work_dir.glob("*.ics")}
    tools.khal("new", "-a", "work", "2026-12-16", "14:00", "15:00", "Written by khal")
    added = {p.name for p in work_dir.glob("*.ics")} - names_before
    assert len(added) == 1
    expect_push(push_server, work, "work", vapid, work_topic, before, added)

    # git pull of 100 files into the data directory: one message per collection.
    data = push_server.data_dir
    git = shutil.which("git") or pytest.skip("git not installed")

    def run_git(cwd, *args):
        subprocess.run([git, "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                       check=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)

    (data / ".gitignore").write_text(".davdir-cache/\n")
    run_git(data, "init", "-q", "-b", "main")
    run_git(data, "add", "-A")
    run_git(data, "commit", "-q", "-m", "before")
    # Everything committed so far has been pushed already; let the interval pass.
    work.quiet(1.5), personal.quiet(0.1)
    clone = tmp_path / "laptop"
    run_git(tmp_path, "clone", "-q", str(data), str(clone))
    new = {"work": set(), "personal": set()}
    for i in range(100):
        cal = "work" if i < 60 else "personal"
        uid = new_uid(f"git{i}")
        (clone / "demo" / cal / f"{uid}.ics").write_text(event_ics(uid, f"From git {i}"))
        new[cal].add(f"{uid}.ics")
    run_git(clone, "add", "-A")
    run_git(clone, "commit", "-q", "-m", "a hundred events")
    work_before = current_token(push_server, "work")
    personal_before = current_token(push_server, "personal")
    run_git(data, "pull", "-q", "--ff-only", str(clone), "main")
    expect_push(push_server, work, "work", vapid, work_topic, work_before, new["work"])
    expect_push(push_server, personal, "personal", vapid, personal_topic, personal_before,
                new["personal"])
    assert work.quiet() and personal.quiet(0.1), "one message per collection"


def test_push_dont_notify_expiry_and_gone(push_server, receiver):
    vapid, topic = discover(push_server, "work")
    mine, other = Subscription(receiver, "mine"), Subscription(receiver, "other")
    register(push_server, "work", mine)
    register(push_server, "work", other)
    short = Subscription(receiver, "short")
    soon = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 2))
    register(push_server, "work", short, expires=soon)
    settle(mine, other)
    time.sleep(max(0.0, 3 - QUIET_FOR))  # `short` has expired
    while not short.quiet(0.1):
        pass

    uid = new_uid("quiet")
    r = session(push_server).put(
        push_server.url("demo", "work", f"{uid}.ics", collection=False),
        data=event_ics(uid, "Mine"),
        headers={"Content-Type": "text/calendar", "Push-Dont-Notify": f'"{mine.location}"'},
        timeout=REQUEST_TIMEOUT)
    assert r.status_code == 201
    _, token = pushed(other.open(other.next(), vapid))
    assert token == current_token(push_server, "work")
    assert mine.quiet(), "Push-Dont-Notify names this registration"
    assert short.quiet(0.1), "an expired registration is not notified"

    # A push service saying 410 Gone ends the registration.
    receiver.status[other.path] = 410
    uid = new_uid("gone")
    put_ics(session(push_server), push_server.url("demo", "work", f"{uid}.ics",
                                                     collection=False), event_ics(uid, "x"))
    other.next()
    mine.next()
    deadline = time.monotonic() + 30
    while session(push_server).delete(other.location).status_code != 404:
        assert time.monotonic() < deadline, "registration still there after 410"
        time.sleep(0.1)
    uid = new_uid("after")
    put_ics(session(push_server), push_server.url("demo", "work", f"{uid}.ics",
                                                     collection=False), event_ics(uid, "y"))
    mine.next()
    assert other.quiet(0.5)


def restart(server):
    """Stops the server and starts the same command over the same directories."""
    server.stop()
    server.stdout_path.write_bytes(b"")
    with open(server.stdout_path, "wb") as out, open(server.stderr_path, "ab") as err:
        server.proc = subprocess.Popen(server.cmd, stdout=out, stderr=err,
                                       stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        lines = server.stdout_path.read_text(errors="replace").splitlines()
        if lines:
            server.base_url = DAVDIR_LISTEN_RE.match(lines[0]).group(1)
            return
        assert server.proc.poll() is None and time.monotonic() < deadline, server.logs()
        time.sleep(0.05)


def test_registrations_survive_restart(push_server, receiver):
    vapid, topic = discover(push_server, "personal")
    phone = Subscription(receiver, "restart")
    register(push_server, "personal", phone)
    restart(push_server)
    assert discover(push_server, "personal") == (vapid, topic), "same key and topic"
    settle(phone)
    before = current_token(push_server, "personal")
    uid = new_uid("restart")
    put_ics(session(push_server), push_server.url("demo", "personal", f"{uid}.ics",
                                                     collection=False), event_ics(uid, "z"))
    expect_push(push_server, phone, "personal", vapid, topic, before, {f"{uid}.ics"})


def test_private_target_refused_by_default(sample_server, receiver):
    phone = Subscription(receiver, "private")
    r = register(sample_server, "work", phone, expect=403)
    assert "invalid-subscription" in r.text
