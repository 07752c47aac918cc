"""The documented service layout (systemd/davdir.service): the server runs as
its own system user, the admin runs the CLI as root. Every file the CLI writes
must stay usable by the server: new users log in, app passwords work, imported
objects are served, the web page's password change works, and the server
starts again afterwards."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

from conftest import davdir_bin
from support import REQUEST_TIMEOUT, davdir_only, event_ics

pytestmark = davdir_only("the service layout of systemd/davdir.service")

TIMEOUT = 20


def need(condition: bool, why: str) -> None:
    if not condition:
        pytest.skip(why)


@pytest.fixture
def service_user():
    need(os.geteuid() == 0, "needs root: it creates a system user and runs the CLI as root")
    need(shutil.which("useradd") and shutil.which("setpriv"), "needs useradd and setpriv")
    name = f"dd{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                    "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], check=False)
        subprocess.run(["groupdel", name], check=False, stderr=subprocess.DEVNULL)


@pytest.fixture
def layout_root():
    """A directory every user can traverse (pytest's tmp_path is root's alone)."""
    root = Path(tempfile.mkdtemp(prefix="davdir-service-"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def owner(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


class Service:
    """The unit's layout under one root: etc (root:davdir 0770) with the config
    and htpasswd, data and state owned by the service user."""

    def __init__(self, root: Path, user):
        self.user = user
        self.etc = root / "etc"
        self.data = root / "lib" / "davdir"
        self.state = root / "lib" / "davdir.state"
        os.chmod(root, 0o755)
        (root / "lib").mkdir()
        self.etc.mkdir(mode=0o770)
        os.chown(self.etc, 0, user.pw_gid)
        os.chmod(self.etc, 0o770)
        for d in (self.data, self.state):
            d.mkdir(mode=0o700)
            os.chown(d, user.pw_uid, user.pw_gid)
        self.config = self.etc / "config.toml"
        self.config.write_text(
            f'data = "{self.data}"\nlisten = "127.0.0.1:0"\n'
            f'htpasswd = "{self.etc / "htpasswd"}"\nstate = "{self.state}"\n'
            "push = false\n")
        self.proc = None
        self.base = None

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """A davdir command run as root, as an admin does."""
        return subprocess.run([str(davdir_bin()), *args, "--config", str(self.config)],
                              input=stdin, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self.log = open(self.etc.parent / "server.log", "ab")
        self.proc = subprocess.Popen(
            ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}",
             "--clear-groups", str(davdir_bin()), "serve", "--config", str(self.config)],
            stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL, text=True,
            env={**os.environ, "DAVDIR_LOG": "davdir=info"}, cwd="/")
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening on "):
                self.base = line.split(" ", 2)[2].strip().rstrip("/")
                return
            if not line and self.proc.poll() is not None:
                break
        raise AssertionError(f"the server did not start; log:\n{self.logs()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=TIMEOUT)

    def logs(self) -> str:
        return (self.etc.parent / "server.log").read_text(errors="replace")

    def status(self, user: str, password: str, path: str = "") -> int:
        r = requests.request("PROPFIND", f"{self.base}/{user}/{path}", auth=(user, password),
                             headers={"Depth": "0"}, timeout=REQUEST_TIMEOUT)
        return r.status_code


def eventually(check, what: str, timeout: float = TIMEOUT):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_cli_as_root_beside_a_server_running_as_its_own_user(service_user, layout_root):
    svc = Service(layout_root, service_user)
    uid, gid = service_user.pw_uid, service_user.pw_gid
    # The first user, before the first start, as the unit's comments say.
    r = svc.cli("user", "add", "alice", stdin="alice-password-1\n")
    assert r.returncode == 0, r.stderr
    htpasswd = svc.etc / "htpasswd"
    assert owner(htpasswd) == (0, gid, 0o640), "a new htpasswd is readable by the server's group"
    svc.start()
    try:
        assert svc.status("alice", "alice-password-1") == 207

        # user add as root keeps the file's owner, group and mode, and the
        # running server (re-reading it) lets the new user in.
        before = owner(htpasswd)
        r = svc.cli("user", "add", "bob", stdin="bob-password-1\n")
        assert r.returncode == 0, r.stderr
        assert owner(htpasswd) == before
        eventually(lambda: svc.status("bob", "bob-password-1") == 207, "bob logs in")

        # app-password add as root: the state file stays the server's.
        r = svc.cli("app-password", "add", "bob", "--label", "phone")
        assert r.returncode == 0, r.stderr
        secret = r.stdout.strip().splitlines()[-1]
        for f in svc.state.iterdir():
            assert f.stat().st_uid == uid, f"{f.name} is the server's"
        eventually(lambda: svc.status("bob", secret) == 207, "the app password works")

        # import as root writes files the server serves and can replace.
        ics = layout_root / "import.ics"
        ics.write_text(event_ics("svc-import-1", "Imported as root"))
        os.chmod(ics, 0o600)  # only root can read the input
        r = svc.cli("import", str(ics), "--user", "bob", "--collection", "calendar")
        assert r.returncode == 0, r.stderr
        for path in (svc.data / "bob").rglob("*"):
            assert path.stat().st_uid == uid, f"{path} is the server's"
        url = f"{svc.base}/bob/calendar/svc-import-1.ics"
        assert requests.get(url, auth=("bob", "bob-password-1"), timeout=REQUEST_TIMEOUT).status_code == 200
        put = requests.put(url, data=event_ics("svc-import-1", "Changed by a client"),
                           auth=("bob", "bob-password-1"), timeout=REQUEST_TIMEOUT,
                           headers={"Content-Type": "text/calendar"})
        assert put.status_code == 204, put.text

        # The web page's password change works in this layout.
        web = requests.Session()
        login = web.post(f"{svc.base}/.web/login", data={"username": "bob", "password": "bob-password-1"},
                         headers={"Accept": "text/html"}, allow_redirects=True, timeout=REQUEST_TIMEOUT)
        assert login.status_code == 200, login.text
        page = web.get(f"{svc.base}/.web/account", timeout=REQUEST_TIMEOUT)
        changed = web.post(f"{svc.base}/.web/account/password",
                           data={"csrf": csrf_of(page.text), "current": "bob-password-1",
                                 "new": "bob-password-2", "repeat": "bob-password-2"},
                           headers={"Accept": "text/html"}, timeout=REQUEST_TIMEOUT)
        assert changed.status_code == 200, (changed.status_code, svc.logs())
        eventually(lambda: svc.status("bob", "bob-password-2") == 207, "the new password works")

        # ... and root's next edit still leaves a file the server reads.
        r = svc.cli("user", "passwd", "alice", stdin="alice-password-2\n")
        assert r.returncode == 0, r.stderr
        eventually(lambda: svc.status("alice", "alice-password-2") == 207, "alice's new password")
    finally:
        svc.stop()

    # The next start works with everything root wrote.
    svc.start()
    try:
        assert svc.status("alice", "alice-password-2") == 207
        assert svc.status("bob", secret) == 207
    finally:
        svc.stop()


def test_a_500_logs_its_cause(service_user, layout_root):
    """An etc directory the server cannot write (the old layout): the web
    password change fails, and the log says why, not only '-> 500'."""
    svc = Service(layout_root, service_user)
    os.chmod(svc.etc, 0o755)
    os.chown(svc.etc, 0, 0)
    r = svc.cli("user", "add", "carol", stdin="carol-password-1\n")
    assert r.returncode == 0, r.stderr
    os.chown(svc.etc / "htpasswd", 0, service_user.pw_gid)  # the old layout's chgrp
    svc.start()
    try:
        web = requests.Session()
        web.post(f"{svc.base}/.web/login", data={"username": "carol", "password": "carol-password-1"},
                 headers={"Accept": "text/html"}, timeout=REQUEST_TIMEOUT)
        page = web.get(f"{svc.base}/.web/account", timeout=REQUEST_TIMEOUT)
        r = web.post(f"{svc.base}/.web/account/password",
                     data={"csrf": csrf_of(page.text), "current": "carol-password-1",
                           "new": "carol-password-2", "repeat": "carol-password-2"},
                     headers={"Accept": "text/html"}, timeout=REQUEST_TIMEOUT)
        assert r.status_code == 500
        log = eventually(lambda: "Permission denied" in svc.logs() and svc.logs(), "the cause is logged")
        assert "chmod 0770" in log, log
    finally:
        svc.stop()
