"""Live sync (RFC 6578) of changes made on disk, outside the server: editors,
git, cp/rm, restarts and a deleted cache. Each test polls sync-collection until
the change shows, failing after 30 s (generous for a debug build on a busy
machine), and prints the latency it saw. A check that something did NOT change
waits for a control file written by hand after it, never a fixed sleep."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from conftest import DAVDIR_LISTEN_RE, START_TIMEOUT, davdir_bin, write_htpasswd
from support import NS, REPO_ROOT, REQUEST_TIMEOUT, SERVER_KIND, event_ics, new_uid

pytestmark = pytest.mark.skipif(SERVER_KIND != "davdir", reason="davdir's on-disk contract")

USER, PASSWORD = "sam", "sam-secret"
POLL_LIMIT = 30.0


class Davdir:
    """One davdir process over a data directory, restartable."""

    def __init__(self, workdir: Path, extra: list[str] | None = None):
        self.workdir = workdir
        self.data = workdir / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.htpasswd = workdir / "htpasswd"
        write_htpasswd(self.htpasswd, {USER: PASSWORD})
        self.extra = extra or []
        self.proc = None
        self.base = ""
        self.runs = 0

    def start(self):
        self.runs += 1
        out = self.workdir / f"stdout.{self.runs}"
        err = self.workdir / f"stderr.{self.runs}"
        cmd = [str(davdir_bin()), "serve", "--data", str(self.data), "--listen", "127.0.0.1:0",
               "--htpasswd", str(self.htpasswd), *self.extra]
        with open(out, "wb") as o, open(err, "wb") as e:
            self.proc = subprocess.Popen(cmd, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            lines = out.read_text().splitlines()
            if lines:
                m = DAVDIR_LISTEN_RE.match(lines[0])
                assert m, lines[0]
                self.base = m.group(1)
                return self
            assert self.proc.poll() is None, err.read_text()
            time.sleep(0.05)
        pytest.fail("davdir did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def session(self) -> requests.Session:
        s = requests.Session()
        s.auth = (USER, PASSWORD)
        return s

    def cal_url(self, cal: str) -> str:
        return f"{self.base}{USER}/{cal}/"

    def cal_dir(self, cal: str) -> Path:
        return self.data / USER / cal


@pytest.fixture
def davdir(tmp_path):
    servers: list[Davdir] = []

    def make(extra=None, workdir=None) -> Davdir:
        c = Davdir(workdir or tmp_path / f"srv{len(servers)}", extra)
        servers.append(c)
        return c

    yield make
    for c in servers:
        c.stop()


def sync(s: requests.Session, url: str, token: str = ""):
    """(token, changed hrefs' basenames, removed basenames) or the response on error."""
    body = ('<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:">'
            f"<d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>"
            "<d:prop><d:getetag/></d:prop></d:sync-collection>")
    r = s.request("REPORT", url, data=body, headers={"Content-Type": "application/xml"},
                  timeout=REQUEST_TIMEOUT)
    if r.status_code != 207:
        return r
    root = ET.fromstring(r.content)
    changed, removed = set(), set()
    for resp in root.findall("d:response", NS):
        name = resp.findtext("d:href", namespaces=NS).rstrip("/").rsplit("/", 1)[-1]
        status = resp.findtext("d:status", default="", namespaces=NS)
        (removed if " 404 " in status else changed).add(name)
    return root.findtext("d:sync-token", namespaces=NS), changed, removed


def wait_for(s, url, token, changed=frozenset(), removed=frozenset()):
    """Polls until exactly these changes are reported; returns (new token, latency)."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < POLL_LIMIT:
        last = sync(s, url, token)
        assert not isinstance(last, requests.Response), f"{last.status_code}: {last.text[:300]}"
        new_token, got_changed, got_removed = last
        if got_changed == set(changed) and got_removed == set(removed):
            return new_token, time.monotonic() - t0
        time.sleep(0.01)
    pytest.fail(f"after {POLL_LIMIT}s sync shows {last[1:]} instead of {set(changed)}, {set(removed)}")


def control(d: Path) -> str:
    """Writes an event by hand into `d`; returns its name. The watcher handles
    changes in order, so once sync shows it, a change made before would show
    too: wait_for(..., changed={control}) then proves nothing else changed."""
    (d / "control.ics").write_text(event_ics(new_uid(), "control"))
    return "control.ics"


def write_like_an_editor(path: Path, text: str):
    """Write to a temp file beside the target, then rename over it."""
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text)
    os.replace(tmp, path)


def make_calendar(c: Davdir, cal: str = "cal", events: int = 0) -> Path:
    d = c.cal_dir(cal)
    d.mkdir(parents=True, exist_ok=True)
    for i in range(events):
        (d / f"e{i}.ics").write_text(event_ics(f"uid-{cal}-{i}", f"event {i}"))
    return d


def test_editor_saves_adds_renames_and_deletes(davdir):
    c = davdir()
    d = make_calendar(c, events=3)
    c.start()
    s, url = c.session(), c.cal_url("cal")
    token, names, _ = sync(s, url)
    assert names == {"e0.ics", "e1.ics", "e2.ics"}
    latencies = []

    write_like_an_editor(d / "e0.ics", event_ics("uid-cal-0", "edited in vim"))
    token, lat = wait_for(s, url, token, changed={"e0.ics"})
    latencies.append(lat)
    assert "edited in vim" in s.get(url + "e0.ics", timeout=REQUEST_TIMEOUT).text

    (d / "new.ics").write_text(event_ics(new_uid(), "added"))
    token, lat = wait_for(s, url, token, changed={"new.ics"})
    latencies.append(lat)

    os.rename(d / "e1.ics", d / "renamed.ics")
    token, lat = wait_for(s, url, token, changed={"renamed.ics"}, removed={"e1.ics"})
    latencies.append(lat)

    (d / "e2.ics").unlink()
    token, lat = wait_for(s, url, token, removed={"e2.ics"})
    latencies.append(lat)
    print(f"disk-to-sync latencies: {[round(x * 1000) for x in latencies]} ms")


def test_touch_without_new_bytes_is_not_a_change(davdir):
    c = davdir()
    d = make_calendar(c, events=1)
    c.start()
    s, url = c.session(), c.cal_url("cal")
    token, _, _ = sync(s, url)
    os.utime(d / "e0.ics", (time.time() + 5, time.time() + 5))
    (d / "e0.ics").write_bytes((d / "e0.ics").read_bytes())
    wait_for(s, url, token, changed={control(d)})


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env, timeout=60).stdout


def test_git_pull_into_served_directory(davdir, tmp_path):
    c = davdir()
    d = make_calendar(c, events=4)
    git(c.data, "init", "-q", "-b", "main")
    git(c.data, "add", "-A")
    git(c.data, "commit", "-qm", "initial")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(c.data), str(clone))
    c.start()
    s, url = c.session(), c.cal_url("cal")
    token, _, _ = sync(s, url)

    cd = clone / USER / "cal"
    (cd / "e0.ics").write_text(event_ics("uid-cal-0", "changed on the laptop"))
    (cd / "pulled.ics").write_text(event_ics(new_uid(), "new on the laptop"))
    (cd / "e3.ics").unlink()
    git(clone, "add", "-A")
    git(clone, "commit", "-qm", "laptop edits")
    git(c.data, "pull", "-q", str(clone), "main")

    token, lat = wait_for(s, url, token, changed={"e0.ics", "pulled.ics"}, removed={"e3.ics"})
    print(f"git pull to sync: {lat * 1000:.0f} ms")
    assert "changed on the laptop" in (d / "e0.ics").read_text()


def test_git_checkout_of_a_thousand_files(davdir):
    c = davdir()
    d = make_calendar(c)
    git(c.data, "init", "-q", "-b", "main")
    (d / "keep.ics").write_text(event_ics("keep", "keep"))
    git(c.data, "add", "-A")
    git(c.data, "commit", "-qm", "one")
    git(c.data, "checkout", "-qb", "many")
    for i in range(1000):
        (d / f"m{i:04}.ics").write_text(event_ics(f"many-{i}", f"many {i}"))
    git(c.data, "add", "-A")
    git(c.data, "commit", "-qm", "thousand")
    git(c.data, "checkout", "-q", "main")
    assert not (d / "m0000.ics").exists()
    c.start()
    s, url = c.session(), c.cal_url("cal")
    token, names, _ = sync(s, url)
    assert names == {"keep.ics"}
    git(c.data, "checkout", "-q", "many")
    want = {f"m{i:04}.ics" for i in range(1000)}
    token, lat = wait_for(s, url, token, changed=want)
    print(f"checkout of 1000 files to sync: {lat * 1000:.0f} ms")
    git(c.data, "checkout", "-q", "main")
    wait_for(s, url, token, removed=want)


def test_token_from_before_a_restart_sees_offline_edits(davdir):
    c = davdir()
    d = make_calendar(c, events=3)
    c.start()
    s, url = c.session(), c.cal_url("cal")
    token, _, _ = sync(s, url)
    c.stop()
    (d / "e0.ics").write_text(event_ics("uid-cal-0", "edited while down"))
    (d / "e1.ics").unlink()
    (d / "offline.ics").write_text(event_ics(new_uid(), "added while down"))
    c.start()
    got = sync(c.session(), url.replace(url.split("/")[2], c.base.split("/")[2]), token)
    assert not isinstance(got, requests.Response), got.text[:300]
    _, changed, removed = got
    assert changed == {"e0.ics", "offline.ics"}
    assert removed == {"e1.ics"}


def test_deleted_cache_costs_only_tokens(davdir):
    c = davdir()
    make_calendar(c, events=2)
    c.start()
    s = c.session()
    token, _, _ = sync(s, c.cal_url("cal"))
    c.stop()
    cache = c.data / ".davdir-cache"
    assert cache.is_dir()
    shutil.rmtree(cache)
    c.start()
    url = c.cal_url("cal")
    r = sync(s, url, token)
    assert isinstance(r, requests.Response) and r.status_code == 403
    assert "valid-sync-token" in r.text
    _, names, _ = sync(s, url)
    assert names == {"e0.ics", "e1.ics"}


def test_calendar_directories_copied_in_and_removed(davdir, tmp_path):
    c = davdir()
    make_calendar(c, events=1)
    c.start()
    s = c.session()
    src = tmp_path / "restore"
    src.mkdir()
    (src / "x.ics").write_text(event_ics(new_uid(), "restored"))
    (src / "displayname").write_text("Restored\n")
    shutil.copytree(src, c.cal_dir("restored"))
    _, names, _ = sync(s, c.cal_url("restored"))
    assert names == {"x.ics"}
    r = s.request("PROPFIND", f"{c.base}{USER}/", headers={"Depth": "1"}, timeout=REQUEST_TIMEOUT)
    assert f"/{USER}/restored/" in r.text and "Restored" in r.text
    shutil.rmtree(c.cal_dir("restored"))
    r = s.request("PROPFIND", c.cal_url("restored"), headers={"Depth": "0"}, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 404


def test_malformed_hand_edit_is_skipped_and_checked(davdir):
    c = davdir()
    d = make_calendar(c, events=2)
    c.start()
    s, url = c.session(), c.cal_url("cal")
    token, _, _ = sync(s, url)
    (d / "broken.ics").write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VCALENDAR\r\n")
    wait_for(s, url, token, changed={control(d)})
    _, names, _ = sync(s, url)
    assert names == {"e0.ics", "e1.ics", "control.ics"}
    assert s.get(url + "broken.ics", timeout=REQUEST_TIMEOUT).status_code == 404
    err = (c.workdir / f"stderr.{c.runs}").read_text()
    assert "broken.ics" in err
    out = subprocess.run([str(davdir_bin()), "check", "--data", str(c.data)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1
    assert re.search(r"broken\.ics:\d+: ", out.stdout), out.stdout
    (d / "broken.ics").unlink()
    clean = subprocess.run([str(davdir_bin()), "check", "--data", str(c.data)], capture_output=True,
                           text=True, timeout=60)
    assert clean.returncode == 0, clean.stdout


def test_hook_commits_to_git_without_looping_back(davdir, tmp_path):
    workdir = tmp_path / "hooked"
    workdir.mkdir()
    config = workdir / "davdir.toml"
    # The hook and .gitignore of docs/operations.md, as a self-hoster copies them.
    doc = (REPO_ROOT / "docs" / "operations.md").read_text()
    hook_line = re.search(r"^hook = .*git commit.*$", doc, re.M).group(0)
    gitignore = re.search(r"```gitignore\n(.*?)```", doc, re.S).group(1)
    config.write_text(hook_line + "\n")
    c = davdir(extra=["--config", str(config)], workdir=workdir)
    make_calendar(c, events=1)
    (c.data / ".gitignore").write_text(gitignore)
    git(c.data, "init", "-q", "-b", "main")
    git(c.data, "config", "user.email", "davdir@example.org")
    git(c.data, "config", "user.name", "davdir")
    git(c.data, "add", "-A")
    git(c.data, "commit", "-qm", "initial")
    c.start()
    s, url = c.session(), c.cal_url("cal")
    uid = new_uid()
    r = s.put(url + "from-phone.ics", data=event_ics(uid, "from the phone"),
              headers={"Content-Type": "text/calendar"}, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 201
    deadline = time.monotonic() + POLL_LIMIT
    while time.monotonic() < deadline:
        log = git(c.data, "log", "--format=%s")
        if "davdir: PUT" in log:
            break
        time.sleep(0.05)
    assert f"davdir: PUT {USER}/cal" in git(c.data, "log", "--format=%s")
    assert git(c.data, "status", "--porcelain") == ""
    token, _, _ = sync(s, url)
    # The hook's commit must not come back as a change.
    wait_for(s, url, token, changed={control(c.cal_dir("cal"))})
    (c.cal_dir("cal") / "control.ics").unlink()  # never tracked: nothing for the hook to commit
    # The same bytes again: the hook runs, finds nothing to commit, and is content.
    commits = git(c.data, "rev-list", "--count", "HEAD")
    r = s.put(url + "from-phone.ics", data=event_ics(uid, "from the phone"),
              headers={"Content-Type": "text/calendar"}, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 204
    r = s.put(url + "second.ics", data=event_ics(new_uid(), "a second one"),
              headers={"Content-Type": "text/calendar"}, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 201
    deadline = time.monotonic() + POLL_LIMIT
    while git(c.data, "rev-list", "--count", "HEAD") == commits and time.monotonic() < deadline:
        time.sleep(0.05)
    assert int(git(c.data, "rev-list", "--count", "HEAD")) == int(commits) + 1, git(c.data, "log", "--stat")
    log = (c.workdir / f"stderr.{c.runs}").read_text()
    assert "hook exited" not in log, log
