"""Fixtures that run a real CalDAV server for the client test suite.

By default the server under test is davdir (``target/debug/davdir`` in the repository,
or the path in ``DAVDIR_BIN``).  For developing the suite itself it can be pointed at
Radicale instead with ``DAVDIR_TEST_SERVER=radicale`` (binary from ``RADICALE_BIN``,
default ``/work/scratch/radvenv/bin/radicale``); assertions that depend on davdir's
own on-disk format or contract are skipped there.

Every wait is bounded: the server must print its URL within ``DAVDIR_START_TIMEOUT``
seconds (default 20), each HTTP request has a timeout, and shutdown after SIGTERM is
bounded too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import pytest

from support import REPO_ROOT, REQUEST_TIMEOUT, SAMPLE_DATA, SERVER_KIND

START_TIMEOUT = float(os.environ.get("DAVDIR_START_TIMEOUT", "20"))
STOP_TIMEOUT = 10.0


DAVDIR_LISTEN_RE = re.compile(r"^listening on (http://127\.0\.0\.1:(\d+)/)$")
RADICALE_LISTEN_RE = re.compile(r"Listening on '?127\.0\.0\.1:(\d+)'?")

# Users of the default fixture (empty data directory).
DEFAULT_USERS = {"alice": "alice-secret", "bob": "bob-secret"}
# Users of the sample fixture: demo/demo is documented for data-sample.
SAMPLE_USERS = {"demo": "demo", "alice": "alice-secret", "bob": "bob-secret"}


def davdir_bin() -> Path:
    return Path(os.environ.get("DAVDIR_BIN", REPO_ROOT / "target" / "debug" / "davdir"))


def radicale_bin() -> Path:
    return Path(os.environ.get("RADICALE_BIN", "/work/scratch/radvenv/bin/radicale"))


# --------------------------------------------------------------------------- htpasswd


def bcrypt_hash(password: str, prefix: str = "2b") -> str:
    """A bcrypt hash of ``password``; ``prefix`` "2y" gives the Apache htpasswd spelling."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5, prefix=b"2b")).decode()
    assert hashed.startswith("$2b$")
    return f"${prefix}$" + hashed[4:]


def argon2_hash(password: str) -> str:
    import argon2  # argon2-cffi, pinned in requirements.txt

    hasher = argon2.PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)
    return hasher.hash(password)


def write_htpasswd(path: Path, users: dict[str, str], schemes: dict[str, str] | None = None):
    """Write ``user:hash`` lines.  ``schemes`` maps a user to "2b" (default), "2y" or "argon2"."""
    schemes = schemes or {}
    lines = []
    for user, password in users.items():
        scheme = schemes.get(user, "2b")
        if scheme == "argon2":
            hashed = argon2_hash(password)
        elif scheme in ("2b", "2y"):
            hashed = bcrypt_hash(password, scheme)
        else:
            raise ValueError(scheme)
        lines.append(f"{user}:{hashed}\n")
    path.write_text("".join(lines))


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    kind: str
    data_dir: Path  # the directory passed to the server
    base_url: str  # always ends with "/"
    users: dict[str, str]
    proc: subprocess.Popen
    stdout_path: Path
    stderr_path: Path
    cmd: list[str] = field(default_factory=list)

    # -- locations
    @property
    def root_dir(self) -> Path:
        """Directory holding the user homes (``DATA/<user>/...``)."""
        if self.kind == "radicale":
            return self.data_dir / "collection-root"
        return self.data_dir

    def calendar_dir(self, user: str, calendar: str) -> Path:
        return self.root_dir / user / calendar

    def url(self, *segments: str, collection: bool = True) -> str:
        path = "/".join(s.strip("/") for s in segments)
        if not path:
            return self.base_url
        return self.base_url + path + ("/" if collection else "")

    # -- clients
    def client(self, user: str, password: str | None = None, url: str | None = None):
        import caldav

        return caldav.DAVClient(
            url=url or self.base_url,
            username=user,
            password=self.users[user] if password is None else password,
            timeout=REQUEST_TIMEOUT,
        )

    def session(self, user: str | None, password: str | None = None):
        import requests

        s = requests.Session()
        if user is not None:
            s.auth = (user, self.users[user] if password is None else password)
        return s

    # -- lifecycle
    def logs(self) -> str:
        out = []
        for label, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            try:
                text = path.read_text(errors="replace")
            except OSError as e:
                text = f"<unreadable: {e}>"
            out.append(f"----- {self.kind} {label} -----\n{text[-20000:]}")
        return "\n".join(out)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT.  Returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        return self.proc.returncode


def copy_sample_data(dest_root: Path, kind: str) -> None:
    """Copy data-sample's calendars (not its htpasswd) into the server's data directory."""
    if not SAMPLE_DATA.is_dir():
        pytest.fail(f"sample data directory {SAMPLE_DATA} is missing")
    if kind == "davdir":
        for entry in SAMPLE_DATA.iterdir():
            # derived state (.davdir-cache) a server left in the sample is not sample data
            if entry.is_dir() and not entry.name.startswith("."):
                shutil.copytree(entry, dest_root / entry.name)
        return
    # Radicale keeps collection properties in .Radicale.props and would try to parse
    # any other non-hidden file as an item, so translate the vdir metadata.
    root = dest_root / "collection-root"
    for user_dir in sorted(p for p in SAMPLE_DATA.iterdir() if p.is_dir()):
        for cal_dir in sorted(p for p in user_dir.iterdir() if p.is_dir()):
            target = root / user_dir.name / cal_dir.name
            target.mkdir(parents=True)
            props = {"tag": "VCALENDAR"}
            for fname, prop in (
                ("displayname", "D:displayname"),
                ("description", "C:calendar-description"),
                ("color", "ICAL:calendar-color"),
            ):
                f = cal_dir / fname
                if f.is_file():
                    props[prop] = f.read_text().rstrip()
            (target / ".Radicale.props").write_text(json.dumps(props))
            for ics in cal_dir.glob("*.ics"):
                shutil.copy2(ics, target / ics.name)


def start_server(
    workdir: Path,
    users: dict[str, str],
    schemes: dict[str, str] | None = None,
    sample: bool = False,
    auth: bool = True,
    extra_args: list[str] | None = None,
) -> Server:
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / "data"
    data_dir.mkdir()
    if sample:
        copy_sample_data(data_dir, SERVER_KIND)
    htpasswd = workdir / "htpasswd"
    write_htpasswd(htpasswd, users, schemes)
    stdout_path = workdir / "server.stdout"
    stderr_path = workdir / "server.stderr"

    if SERVER_KIND == "davdir":
        binary = davdir_bin()
        if not binary.is_file():
            pytest.fail(f"davdir binary {binary} not found: run `cargo build` (or set DAVDIR_BIN)")
        cmd = [str(binary), "serve", "--data", str(data_dir), "--listen", "127.0.0.1:0"]
        cmd += ["--htpasswd", str(htpasswd)] if auth else ["--no-auth"]
        cmd += extra_args or []
    else:
        binary = radicale_bin()
        if not binary.is_file():
            pytest.fail(f"radicale binary {binary} not found (set RADICALE_BIN)")
        cmd = [
            str(binary), "--config", "",
            "--server-hosts", f"127.0.0.1:{free_port()}",  # Radicale refuses port 0
            "--storage-filesystem-folder", str(data_dir),
            "--auth-delay", "0",
            "--logging-level", "info",
        ]
        if auth:
            cmd += [
                "--auth-type", "htpasswd",
                "--auth-htpasswd-filename", str(htpasswd),
                "--auth-htpasswd-encryption", "autodetect",
            ]
        else:
            cmd += ["--auth-type", "none"]

    env = dict(os.environ)
    env.setdefault("RUST_BACKTRACE", "1")
    env.setdefault("NO_COLOR", "1")
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)

    server = Server(SERVER_KIND, data_dir, "", users, proc, stdout_path, stderr_path, cmd)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if SERVER_KIND == "davdir":
            lines = stdout_path.read_text(errors="replace").splitlines()
            if lines:
                m = DAVDIR_LISTEN_RE.match(lines[0])
                if not m:
                    server.stop()
                    pytest.fail(
                        "first stdout line of davdir is not `listening on http://127.0.0.1:PORT/`: "
                        f"{lines[0]!r}\n{server.logs()}"
                    )
                server.base_url = m.group(1)
                break
        else:
            m = RADICALE_LISTEN_RE.search(stderr_path.read_text(errors="replace"))
            if m:
                server.base_url = f"http://127.0.0.1:{m.group(1)}/"
                break
        if proc.poll() is not None:
            pytest.fail(f"server exited with status {proc.returncode} before listening\n"
                        f"command: {cmd}\n{server.logs()}")
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"server did not report its URL within {START_TIMEOUT}s\n"
                        f"command: {cmd}\n{server.logs()}")
        time.sleep(0.05)
    return server


# --------------------------------------------------------------------------- fixtures


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in getattr(item, "_caldav_servers", []):
            report.sections.append((f"{server.kind} server output", server.logs()))


@pytest.fixture
def server_factory(request, tmp_path):
    """Start servers on demand: ``server_factory(users=..., sample=..., schemes=...)``."""
    started: list[Server] = []
    request.node._caldav_servers = started

    def make(users=None, schemes=None, sample=False, auth=True, name=None,
             extra_args=None) -> Server:
        workdir = tmp_path / (name or f"server{len(started)}")
        srv = start_server(workdir, dict(users or DEFAULT_USERS), schemes, sample, auth,
                           extra_args)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def server(server_factory) -> Server:
    """A server on an empty data directory with users alice and bob (bcrypt $2b$)."""
    return server_factory()


@pytest.fixture
def sample_server(server_factory) -> Server:
    """A server on a copy of data-sample; user demo (password demo, bcrypt $2y$)."""
    return server_factory(users=SAMPLE_USERS, schemes={"demo": "2y"}, sample=True)


@pytest.fixture
def kind() -> str:
    return SERVER_KIND

