#!/usr/bin/env python3
"""WebDAV-Push latency: from a change (an HTTP PUT; a file written on disk
with temp file + rename) to the decrypted message at a push receiver on
loopback, median and worst over 50 changes each in a calendar of 10k
objects; then the messages sent for a 1,000-file `git checkout` into the
data directory. Not a test: prints figures for the notes.

    cargo build --release
    python3 benches/push_latency.py [--bin target/release/davdir] [--interval-ms 1000]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "python"))
from support import event_ics  # noqa: E402
from test_push import Receiver, Subscription, pushed  # noqa: E402

CHANGES = 50
OBJECTS = 10_000
CHECKOUT = 1_000


def start(binary: Path, data: Path, conf: Path, log: Path):
    out = open(log, "wb")
    proc = subprocess.Popen([str(binary), "serve", "--data", str(data), "--listen",
                             "127.0.0.1:0", "--no-auth", "--config", str(conf)],
                            stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    for _ in range(600):
        text = log.read_text()
        m = re.match(r"listening on (http://127\.0\.0\.1:\d+/)", text)
        if m:
            return proc, m.group(1)
        time.sleep(0.05)
    raise SystemExit("server did not start")


def drain(sub: Subscription):
    while not sub.quiet(1.5):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/davdir")
    ap.add_argument("--interval-ms", type=int, default=1000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="push-bench-"))
    data = work / "data"
    cal = data / "bench" / "cal"
    cal.mkdir(parents=True)
    for i in range(OBJECTS):
        (cal / f"e{i}.ics").write_text(event_ics(f"e{i}", f"Event {i}"))
    conf = work / "conf.toml"
    conf.write_text(f"push_allow_private_targets = true\npush_interval_ms = {args.interval_ms}\n")
    proc, base = start(Path(args.bin), data, conf, work / "stdout")
    receiver = Receiver()
    s = requests.Session()
    s.auth = ("bench", "x")  # --no-auth takes the Basic user name as given
    try:
        r = s.request("PROPFIND", base + "bench/cal/", headers={"Depth": "0"},
                      data='<d:propfind xmlns:d="DAV:" xmlns:p="https://bitfire.at/webdav-push">'
                           '<d:prop><p:transports/></d:prop></d:propfind>')
        vapid = re.search(r'p256ecdsa">([^<]+)<', r.text).group(1)
        phone = Subscription(receiver, "bench")
        r = s.post(base + "bench/cal/", data=phone.register_body(),
                   headers={"Content-Type": "application/xml"})
        assert r.status_code == 201, r.text
        drain(phone)  # the startup scan's own message

        def measure(change) -> list[float]:
            took = []
            for i in range(CHANGES):
                t0 = time.monotonic()
                change(i)
                pushed(phone.open(phone.next(), vapid))
                took.append(time.monotonic() - t0)
            return took

        def put(i):
            r = s.put(base + f"bench/cal/put{i}.ics", data=event_ics(f"put{i}", "PUT"),
                      headers={"Content-Type": "text/calendar"})
            assert r.status_code == 201

        def on_disk(i):
            tmp = cal / f".disk{i}.tmp"
            tmp.write_text(event_ics(f"disk{i}", "on disk"))
            os.rename(tmp, cal / f"disk{i}.ics")

        for name, change in (("HTTP PUT", put), ("file on disk", on_disk)):
            took = measure(change)
            print(f"{name}: median {statistics.median(took) * 1000:.0f} ms, "
                  f"worst {max(took) * 1000:.0f} ms over {CHANGES} changes "
                  f"({OBJECTS} objects, push_interval_ms={args.interval_ms})")

        git = shutil.which("git")
        if git:
            def run_git(*a):
                subprocess.run([git, "-c", "user.name=b", "-c", "user.email=b@b", *a], cwd=data,
                               check=True, capture_output=True, stdin=subprocess.DEVNULL)
            (data / ".gitignore").write_text(".davdir-cache/\n")
            run_git("init", "-q", "-b", "main")
            run_git("add", "-A")
            run_git("commit", "-q", "-m", "base")
            run_git("checkout", "-q", "-b", "more")
            for i in range(CHECKOUT):
                (cal / f"git{i}.ics").write_text(event_ics(f"git{i}", "git"))
            run_git("add", "-A")
            run_git("commit", "-q", "-m", "more")
            run_git("checkout", "-q", "main")  # removes the 1,000 files
            drain(phone)
            t0 = time.monotonic()
            run_git("checkout", "-q", "more")  # and brings them back
            count = 0
            while not phone.quiet(3.0):
                count += 1
            print(f"git checkout of {CHECKOUT} files: {count} message(s) "
                  f"(the last {time.monotonic() - t0 - 3.0:.1f} s after the checkout began)")
    finally:
        receiver.close()
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
