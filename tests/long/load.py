#!/usr/bin/env python3
"""Load: many clients with a mixed CalDAV workload on loopback.

Copies data-sample, adds a calendar `demo/load` of generated events, starts
davdir and runs client threads (one keep-alive connection each) doing GET,
PUT, PROPFIND Depth 1, calendar-query REPORT and sync-collection REPORT for
a fixed time. Afterwards every acknowledged PUT is read back and compared
byte for byte. Prints every status per request kind, throughput and p50/p99
latency; exits non-zero on any 5xx, connection error or lost write.

    python3 tests/long/load.py --seconds 60 --clients 64
"""

import argparse
import base64
import hashlib
import http.client
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER, PASSWORD = "demo", "demo"
CAL = f"/{USER}/load/"
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
KINDS = {"GET": 30, "PUT": 20, "PROPFIND": 15, "QUERY": 15, "SYNC": 20}

PROPFIND = b"""<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop>
<d:getetag/><d:getcontenttype/><d:resourcetype/></d:prop></d:propfind>"""
QUERY = """<?xml version="1.0"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:prop><d:getetag/><c:calendar-data/></d:prop>
<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">
<c:time-range start="{start}" end="{end}"/></c:comp-filter></c:comp-filter></c:filter>
</c:calendar-query>"""
SYNC = """<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:">
<d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>
<d:prop><d:getetag/></d:prop></d:sync-collection>"""


def event(rng, uid, day=None):
    day = day if day is not None else rng.randrange(365)
    start = time.gmtime(1767225600 + day * 86400 + rng.randrange(8, 18) * 3600)
    dt = time.strftime("%Y%m%dT%H%M%SZ", start)
    rrule = "RRULE:FREQ=WEEKLY;COUNT=10\r\n" if rng.random() < 0.1 else ""
    desc = "x" * rng.randrange(0, 2000)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//load//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{dt}\r\nDURATION:PT1H\r\n"
        f"{rrule}SUMMARY:load {uid[:8]}\r\nDESCRIPTION:{desc}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def setup(tmp, events, rng):
    data = os.path.join(tmp, "data")
    shutil.copytree(os.path.join(REPO, "data-sample"), data)
    cal = os.path.join(data, USER, "load")
    os.makedirs(cal)
    with open(os.path.join(cal, "displayname"), "w") as f:
        f.write("Load\n")
    names = []
    for i in range(events):
        name = f"gen-{i}.ics"
        with open(os.path.join(cal, name), "wb") as f:
            f.write(event(rng, uuid.uuid4().hex))
        names.append(name)
    return data, names


def start_server(binary, data, tmp):
    log_path = os.path.join(tmp, "server.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [binary, "serve", "--data", data, "--htpasswd", os.path.join(data, "htpasswd"),
             "--listen", "127.0.0.1:0"],
            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        with open(log_path, "rb") as f:
            for line in f.read().decode(errors="replace").splitlines():
                if "listening on http://" in line:
                    addr = line.split("listening on http://", 1)[1].split("/", 1)[0]
                    return proc, int(addr.rsplit(":", 1)[1])
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"server did not start, see {log_path}")


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = {k: [] for k in KINDS}
        self.statuses = {}
        self.errors = []
        self.acked = {}  # href -> sha256 of the last acknowledged PUT

    def record(self, kind, status, seconds):
        with self.lock:
            self.latency[kind].append(seconds)
            key = (kind, status)
            self.statuses[key] = self.statuses.get(key, 0) + 1


class Client:
    """One keep-alive connection; reconnects after an error."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = {"Authorization": AUTH}
        h.update(headers or {})
        try:
            self.conn.request(method, path, body=body, headers=h)
            resp = self.conn.getresponse()
            return resp.status, resp.read()
        except Exception:
            self.conn.close()
            self.conn = None
            raise


def token_of(body):
    text = body.decode(errors="replace")
    i = text.find("sync-token>")
    if i < 0:
        return ""
    j = text.find("<", i)
    return text[i + len("sync-token>"):j].strip()


def client(idx, port, names, deadline, results, rng):
    c = Client(port)
    mine = {}  # name -> last acknowledged sha256 (this client's own objects)
    token = ""
    kinds, weights = list(KINDS), list(KINDS.values())
    while time.time() < deadline:
        kind = rng.choices(kinds, weights)[0]
        t0 = time.perf_counter()
        try:
            if kind == "GET":
                pool = list(mine) if mine and rng.random() < 0.3 else names
                st, _ = c.request("GET", CAL + rng.choice(pool))
            elif kind == "PUT":
                name = f"c{idx}-{rng.randrange(20)}.ics"
                body = event(rng, uuid.uuid4().hex)
                st, _ = c.request("PUT", CAL + name, body, {"Content-Type": "text/calendar"})
                if 200 <= st < 300:
                    mine[name] = hashlib.sha256(body).hexdigest()
            elif kind == "PROPFIND":
                st, _ = c.request("PROPFIND", CAL, PROPFIND,
                                  {"Depth": "1", "Content-Type": "application/xml"})
            elif kind == "QUERY":
                day = rng.randrange(358)
                start = time.strftime("%Y%m%dT000000Z", time.gmtime(1767225600 + day * 86400))
                end = time.strftime("%Y%m%dT000000Z", time.gmtime(1767225600 + (day + 7) * 86400))
                st, _ = c.request("REPORT", CAL, QUERY.format(start=start, end=end).encode(),
                                  {"Depth": "1", "Content-Type": "application/xml"})
            else:
                st, body = c.request("REPORT", CAL, SYNC.format(token=token).encode(),
                                     {"Content-Type": "application/xml"})
                if st == 207:
                    token = token_of(body) or token
                elif st in (403, 409):
                    token = ""  # token no longer valid: full resync next time
        except Exception as e:
            with results.lock:
                results.errors.append(f"{kind}: {type(e).__name__}: {e}")
            continue
        results.record(kind, st, time.perf_counter() - t0)
    with results.lock:
        for name, d in mine.items():
            results.acked[CAL + name] = d


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))] * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--binary", default="target/release/davdir")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="davdir-load-")
    data, names = setup(tmp, args.events, rng)
    proc, port = start_server(os.path.abspath(args.binary), data, tmp)
    results = Results()
    try:
        deadline = time.time() + args.seconds
        threads = [threading.Thread(target=client, args=(i, port, names, deadline, results,
                                                         random.Random(rng.random())))
                   for i in range(args.clients)]
        started = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - started
        lost = []
        check = Client(port)
        for href, d in sorted(results.acked.items()):
            st, body = check.request("GET", href)
            if st != 200 or hashlib.sha256(body).hexdigest() != d:
                lost.append(f"{href}: {st}")
    finally:
        proc.terminate()
        proc.wait(10)
    total = sum(len(v) for v in results.latency.values())
    fivexx = sum(n for (k, s), n in results.statuses.items() if s >= 500)
    print(f"seed {seed}; {args.clients} clients, {args.seconds:.0f} s, {args.events} generated events")
    print(f"throughput: {total / elapsed:.0f} requests/s ({total} requests in {elapsed:.1f} s)")
    print(f"{'kind':9} {'count':>7} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for kind, lat in results.latency.items():
        st = ", ".join(f"{s}: {n}" for (k, s), n in sorted(results.statuses.items()) if k == kind)
        print(f"{kind:9} {len(lat):7} {pct(lat, 50):8.1f} {pct(lat, 99):8.1f}  {st}")
    print(f"5xx: {fivexx}; connection errors: {len(results.errors)}; "
          f"acknowledged PUTs re-read: {len(results.acked)}; lost: {len(lost)}")
    for e in (results.errors[:10] + lost[:10]):
        print("  " + e)
    failed = fivexx or results.errors or lost
    if failed:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
