#!/usr/bin/env python3
"""Crash safety at scale: concurrent writers, SIGKILL at random moments.

Starts davdir on a temp data directory, runs writer threads doing PUT (new and
overwrite, 200 B to ~1 MB), DELETE and MOVE, and reader threads doing GET,
kills the server with SIGKILL at random moments and restarts it. After every
restart it checks that

  * every acknowledged (2xx) write, delete and move is on disk and served
    byte-exact (a request in flight at the kill may have either outcome);
  * no GET ever returned a torn body (every body is one ever sent for that
    name, or 404);
  * no temp file or other crash leftover stays in the data tree after the
    startup scan;
  * `davdir check` reports no problem.

Each writer owns its own object names, so its acknowledged operations are
totally ordered and the expected state of every name is exact.

    python3 tests/long/crash_kill.py --kills 20 --writers 16
"""

import argparse
import hashlib
import http.client
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

USER = "u"
CALENDARS = ("a", "b")
NAMES_PER_WRITER = 6
AUTH = "Basic dTp4"  # u:x; with --no-auth the user name is taken as given
LISTEN_TIMEOUT = 60
SCAN_GRACE = 5.0  # seconds the startup scan gets to remove leftovers
REQUEST_TIMEOUT = 60


def digest(body):
    return hashlib.sha256(body).hexdigest() if body is not None else None


def make_body(rng):
    """A valid VEVENT; one in five is large (up to ~1 MB of DESCRIPTION)."""
    size = rng.randint(100_000, 1_000_000) if rng.random() < 0.2 else rng.randint(0, 4000)
    uid = uuid.uuid4().hex
    text = "".join(rng.choice("abcdefghij klmnopqrstuvwxyz") for _ in range(min(size, 2000)))
    text = (text * (size // max(len(text), 1) + 1))[:size]
    # Fold at 70 octets (ASCII only, so characters are octets).
    desc = "DESCRIPTION:" + text
    folded = "\r\n ".join(desc[i:i + 70] for i in range(0, len(desc), 70))
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//crash_kill//EN\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:2026{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}T100000Z\r\n"
        f"DURATION:PT1H\r\nSUMMARY:crash test {uid[:8]}\r\n{folded}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


class Server:
    """One davdir process; restarted after each kill on a fresh port."""

    def __init__(self, binary, data, logdir):
        self.binary, self.data, self.logdir = binary, data, logdir
        self.proc = None
        self.port = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log_path = os.path.join(self.logdir, f"server-{self.starts}.log")
        log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--data", self.data, "--no-auth", "--listen", "127.0.0.1:0"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.time() + LISTEN_TIMEOUT
        while time.time() < deadline:
            with open(log_path, "rb") as f:
                for line in f.read().decode(errors="replace").splitlines():
                    if "listening on http://" in line:
                        addr = line.split("listening on http://", 1)[1].split("/", 1)[0]
                        self.port = int(addr.rsplit(":", 1)[1])
                        return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"server did not start, see {log_path}")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class Gate:
    """Lets clients run only while the server is up, and tells the main
    thread when no request is in flight any more."""

    def __init__(self):
        self.cond = threading.Condition()
        self.up = False
        self.generation = 0
        self.inflight = 0
        self.stopping = False

    def enter(self, not_before_generation=0):
        with self.cond:
            while not self.stopping and (not self.up or self.generation < not_before_generation):
                self.cond.wait()
            if self.stopping:
                return None
            self.inflight += 1
            return self.generation

    def leave(self):
        with self.cond:
            self.inflight -= 1
            self.cond.notify_all()

    def open(self):
        with self.cond:
            self.generation += 1
            self.up = True
            self.cond.notify_all()

    def close(self):
        with self.cond:
            self.up = False

    def drain(self):
        with self.cond:
            while self.inflight:
                self.cond.wait(1)

    def stop(self):
        with self.cond:
            self.stopping = True
            self.up = False
            self.cond.notify_all()


class Ledger:
    """Expected state per (calendar, name): the digest last acknowledged
    (None: absent), the outcomes an unanswered request allows, and every
    digest ever sent there (for the torn-read check)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.current = {}
        self.maybe = {}
        self.ever = {}
        self.acked = 0

    def allow(self, key, d):
        with self.lock:
            self.ever.setdefault(key, set()).add(d)

    def ack(self, changes):
        with self.lock:
            for key, d in changes.items():
                self.current[key] = d
            self.acked += 1

    def uncertain(self, changes):
        with self.lock:
            for key, d in changes.items():
                self.maybe.setdefault(key, set()).add(d)

    def seen(self, key, d):
        with self.lock:
            return d is None or d in self.ever.get(key, set())


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.failures = []
        self.statuses = {}
        self.reads = 0
        self.leftovers = set()  # reported once, however many restarts keep them

    def fail(self, msg):
        with self.lock:
            self.failures.append(msg)
        print("FAIL:", msg, flush=True)

    def status(self, method, code):
        with self.lock:
            k = f"{method} {code}"
            self.statuses[k] = self.statuses.get(k, 0) + 1


def path_of(key):
    cal, name = key
    return f"/{USER}/{cal}/{name}"


def request(server, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT)
    try:
        h = {"Authorization": AUTH}
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def writer(idx, server, gate, ledger, stats, rng):
    keys = [(cal, f"w{idx}-{k}.ics") for cal in CALENDARS for k in range(NAMES_PER_WRITER)]
    known = {k: None for k in keys}  # this writer's view; exact after each verification
    wait_for = 0
    while True:
        gen = gate.enter(wait_for)
        if gen is None:
            return
        with ledger.lock:
            for k in keys:
                known[k] = ledger.current.get(k)
        present = [k for k in keys if known[k] is not None]
        roll = rng.random()
        try:
            if roll < 0.15 and present:
                key = rng.choice(present)
                changes, method = {key: None}, "DELETE"
                st, _ = request(server, "DELETE", path_of(key))
            elif roll < 0.40 and present:
                src = rng.choice(present)
                dst = rng.choice([k for k in keys if k != src])
                changes, method = {src: None, dst: known[src]}, "MOVE"
                ledger.allow(dst, known[src])
                dest = f"http://127.0.0.1:{server.port}{path_of(dst)}"
                st, _ = request(server, "MOVE", path_of(src),
                                headers={"Destination": dest, "Overwrite": "T"})
            else:
                key = rng.choice(keys)
                body = make_body(rng)
                changes, method = {key: digest(body)}, "PUT"
                ledger.allow(key, digest(body))
                st, _ = request(server, "PUT", path_of(key), body=body,
                                headers={"Content-Type": "text/calendar"})
        except (OSError, http.client.HTTPException):
            # No answer: the server died under it (or hung); either outcome.
            ledger.uncertain(changes)
            wait_for = gen + 1
            gate.leave()
            continue
        stats.status(method, st)
        if 200 <= st < 300:
            ledger.ack(changes)
        elif st >= 500:
            stats.fail(f"{method} {sorted(changes)} answered {st}")
            ledger.uncertain(changes)
            wait_for = gen + 1
        else:
            stats.fail(f"{method} {sorted(changes)} answered {st}")
        gate.leave()


def reader(server, gate, ledger, stats, rng, writers):
    while True:
        if gate.enter() is None:
            return
        key = (rng.choice(CALENDARS), f"w{rng.randrange(writers)}-{rng.randrange(NAMES_PER_WRITER)}.ics")
        try:
            st, body = request(server, "GET", path_of(key))
        except (OSError, http.client.HTTPException):
            gate.leave()
            continue
        stats.status("GET", st)
        with stats.lock:
            stats.reads += 1
        if st == 200 and not ledger.seen(key, digest(body)):
            stats.fail(f"GET {path_of(key)} served a body never sent there ({len(body)} bytes)")
        elif st not in (200, 404):
            stats.fail(f"GET {path_of(key)} answered {st}")
        gate.leave()


def leftovers(data):
    """Hidden files and directories in the data tree other than the ones the
    layout defines: temp files, copy scratch, replaced calendars."""
    found = []
    for root, dirs, files in os.walk(data):
        rel = os.path.relpath(root, data)
        if rel == ".":
            dirs[:] = [d for d in dirs if d not in (".davdir-cache", ".git")]
        for n in dirs + files:
            if n.startswith(".") and n != ".calendar.toml":
                found.append(os.path.join(rel, n))
    return found


def verify(server, data, binary, ledger, stats):
    """Compares disk and GET with the ledger; then adopts what is there."""
    checked = 0
    with ledger.lock:
        keys = set(ledger.current) | set(ledger.maybe)
        for key in sorted(keys):
            allowed = {ledger.current.get(key)} | ledger.maybe.get(key, set())
            p = os.path.join(data, USER, *key)
            try:
                with open(p, "rb") as f:
                    on_disk = digest(f.read())
            except FileNotFoundError:
                on_disk = None
            st, body = request(server, "GET", path_of(key))
            served = digest(body) if st == 200 else None
            if st not in (200, 404):
                stats.fail(f"after restart GET {path_of(key)} answered {st}")
            if on_disk not in allowed:
                stats.fail(f"{p}: on disk {str(on_disk)[:12]}, expected one of "
                           f"{[str(a)[:12] for a in allowed]}")
            if served != on_disk:
                stats.fail(f"{path_of(key)}: served {str(served)[:12]} but disk has {str(on_disk)[:12]}")
            ledger.current[key] = on_disk
            checked += 1
        ledger.maybe.clear()
    deadline = time.time() + SCAN_GRACE
    left = leftovers(data)
    while left and time.time() < deadline:
        time.sleep(0.2)
        left = leftovers(data)
    for n in left:
        if n not in stats.leftovers:
            stats.leftovers.add(n)
            stats.fail(f"leftover after restart: {n}")
    chk = subprocess.run([binary, "check", "--data", data], capture_output=True, text=True)
    if chk.returncode != 0:
        stats.fail(f"davdir check exited {chk.returncode}: {(chk.stdout + chk.stderr).strip()[:500]}")
    return checked


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--writers", type=int, default=16)
    ap.add_argument("--readers", type=int, default=2)
    ap.add_argument("--binary", default="target/release/davdir")
    ap.add_argument("--min-up", type=float, default=0.5, help="shortest time between kills (s)")
    ap.add_argument("--max-up", type=float, default=4.0, help="longest time between kills (s)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="davdir-crash-")
    data = os.path.join(tmp, "data")
    for cal in CALENDARS:
        os.makedirs(os.path.join(data, USER, cal))
    print(f"seed {seed}, data {data}", flush=True)

    server = Server(binary, data, tmp)
    gate, ledger, stats = Gate(), Ledger(), Stats()
    threads = [threading.Thread(target=writer, args=(i, server, gate, ledger, stats,
                                                     random.Random(rng.random())))
               for i in range(args.writers)]
    threads += [threading.Thread(target=reader, args=(server, gate, ledger, stats,
                                                      random.Random(rng.random()), args.writers))
                for _ in range(args.readers)]
    checked = 0
    started = time.time()
    try:
        server.start()
        gate.open()
        for t in threads:
            t.start()
        for k in range(args.kills):
            time.sleep(rng.uniform(args.min_up, args.max_up))
            gate.close()
            server.kill()
            gate.drain()
            server.start()
            n = verify(server, data, binary, ledger, stats)
            checked += n
            print(f"kill {k + 1}/{args.kills}: {ledger.acked} acknowledged so far, "
                  f"{n} names verified, {len(stats.failures)} failures", flush=True)
            gate.open()
        gate.close()
        gate.drain()
    finally:
        gate.stop()
        for t in threads:
            if t.is_alive():
                t.join()
        server.stop()
    print("--- summary ---")
    print(f"seed {seed}; {args.writers} writers, {args.readers} readers, {time.time() - started:.0f} s")
    print(f"kills: {args.kills}")
    print(f"acknowledged writes/deletes/moves: {ledger.acked}")
    print(f"name states verified after restarts: {checked}")
    print(f"GETs checked for torn bodies: {stats.reads}")
    print("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items())))
    print(f"failures: {len(stats.failures)}")
    for f in stats.failures[:30]:
        print("  " + f)
    if args.keep or stats.failures:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp)
    return 1 if stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
