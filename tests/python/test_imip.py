"""iMIP end to end: invitations to addresses outside the server go by mail to
a real SMTP server (aiosmtpd) on 127.0.0.1 that the test starts, stops and
starts again; replies come back through `davdir imip-receive`, fed real
RFC 5322 messages on stdin, and reach the organizer's file and his client.

Users alice and bob are local (email_domain example.org); carol@elsewhere.net
and dave@elsewhere.net are outside."""

import os
import re
import shutil
import subprocess
import tempfile
import time
from email.message import EmailMessage
from email.parser import BytesParser
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from conftest import davdir_bin, free_port
from support import REQUEST_TIMEOUT, davdir_only, new_uid

pytestmark = davdir_only("iMIP")

DOMAIN = "example.org"
CAROL = "mailto:carol@elsewhere.net"
DAVE = "mailto:dave@elsewhere.net"
# Bound on waiting for a mail that must come (the machine is shared).
ARRIVES_WITHIN = 60.0


class Sink:
    """An SMTP server keeping every message it is given."""

    def __init__(self, port: int):
        self.port = port
        self.mails = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.mails.append((envelope.mail_from, list(envelope.rcpt_tos),
                                   BytesParser(policy=policy.default).parsebytes(envelope.content)))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def wait(self, count: int, within: float = ARRIVES_WITHIN):
        deadline = time.monotonic() + within
        while len(self.mails) < count:
            assert time.monotonic() < deadline, f"{len(self.mails)} of {count} mails arrived"
            time.sleep(0.05)
        return self.mails


@pytest.fixture
def sink_port():
    return free_port()


@pytest.fixture
def sink(sink_port):
    s = Sink(sink_port).start()
    yield s
    s.stop()


def config(tmp_path: Path, smtp_port, name="imip.toml", **extra) -> Path:
    lines = [f'email_domain = "{DOMAIN}"']
    if smtp_port is not None:
        lines.append(f'smtp_url = "smtp://127.0.0.1:{smtp_port}"')
        extra.setdefault("smtp_retry_seconds", 1)
    lines += [f"{k} = {v}" for k, v in extra.items()]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def start(server_factory, cfg: Path, state: Path | None = None, **kw):
    extra = ["--config", str(cfg)] + (["--state", str(state)] if state else [])
    return server_factory(users={"alice": "alice-secret", "bob": "bob-secret"},
                          extra_args=extra, **kw)


def invitation(uid: str, summary: str, organizer: str, attendees: list[str],
               sequence: int = 0) -> str:
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//davdir tests//imip//EN",
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261101T120000Z",
        "DTSTART:20270115T090000Z", "DTEND:20270115T100000Z",
        f"SEQUENCE:{sequence}", f"SUMMARY:{summary}",
        f"ORGANIZER;CN=Organizer:{organizer}",
    ]
    lines += [f"ATTENDEE;CN=A;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:{a}"
              for a in attendees]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(lines) + "\r\n"


def put(server, user, uid, body):
    url = server.url(user, "calendar", f"{uid}.ics", collection=False)
    r = server.session(user).put(url, data=body.encode(), timeout=REQUEST_TIMEOUT,
                                 headers={"Content-Type": "text/calendar; charset=utf-8"})
    assert r.status_code in (201, 204), r.text
    return url


def get(server, user, uid) -> str:
    url = server.url(user, "calendar", f"{uid}.ics", collection=False)
    r = server.session(user).get(url, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 200, r.text
    return unfold(r.text)


def unfold(text: str) -> str:
    return re.sub(r"\r?\n[ \t]", "", text)


def attendee_line(text: str, address: str) -> str:
    for line in unfold(text).splitlines():
        if line.upper().startswith("ATTENDEE") and line.lower().endswith(address.lower()):
            return line
    raise AssertionError(f"no ATTENDEE {address} in\n{text}")


def calendar_part(mail):
    for part in mail.walk():
        if part.get_content_type() == "text/calendar":
            return part
    raise AssertionError(f"no text/calendar part in\n{mail}")


def wait_for(what, cond, within=ARRIVES_WITHIN):
    deadline = time.monotonic() + within
    while not cond():
        assert time.monotonic() < deadline, f"waited for {what}"
        time.sleep(0.05)


# --------------------------------------------------------------------------- mail out


def test_an_outside_attendee_is_invited_updated_and_cancelled_by_mail(server_factory, sink,
                                                                       tmp_path):
    server = start(server_factory, config(tmp_path, sink.port))
    uid = new_uid("imip")
    url = put(server, "alice", uid, invitation(uid, "Board meeting", f"mailto:alice@{DOMAIN}",
                                               [CAROL, f"mailto:bob@{DOMAIN}"]))
    (mail_from, rcpts, mail), = sink.wait(1)
    assert rcpts == ["carol@elsewhere.net"]
    assert mail_from == f"alice@{DOMAIN}"
    assert mail["From"].addresses[0].addr_spec == f"alice@{DOMAIN}"
    assert "Board meeting" in mail["Subject"]
    part = calendar_part(mail)
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    body = unfold(part.get_content())
    assert "METHOD:REQUEST" in body and f"UID:{uid}" in body
    assert any(p.get_content_type() == "text/plain" for p in mail.walk())
    # The organizer's copy says it was sent; the local attendee got no mail.
    assert "SCHEDULE-STATUS=1.1" in attendee_line(get(server, "alice", uid), CAROL)

    put(server, "alice", uid, invitation(uid, "Board meeting, moved", f"mailto:alice@{DOMAIN}",
                                         [CAROL, f"mailto:bob@{DOMAIN}"], sequence=1))
    _, rcpts, update = sink.wait(2)[1]
    assert rcpts == ["carol@elsewhere.net"]
    assert calendar_part(update).get_param("method") == "REQUEST"
    assert "SUMMARY:Board meeting, moved" in unfold(calendar_part(update).get_content())

    r = server.session("alice").delete(url, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 204, r.text
    _, rcpts, cancel = sink.wait(3)[2]
    assert rcpts == ["carol@elsewhere.net"]
    assert calendar_part(cancel).get_param("method") == "CANCEL"
    assert "METHOD:CANCEL" in unfold(calendar_part(cancel).get_content())
    assert len(sink.mails) == 3


def test_smtp_from_sends_as_the_server_with_the_organizer_in_reply_to(server_factory, sink,
                                                                      tmp_path):
    cfg = config(tmp_path, sink.port, smtp_from='"Calendar <calendar@example.org>"')
    server = start(server_factory, cfg)
    uid = new_uid("imip")
    put(server, "alice", uid, invitation(uid, "Lunch", f"mailto:alice@{DOMAIN}", [CAROL]))
    (mail_from, _, mail), = sink.wait(1)
    assert mail_from == "calendar@example.org"
    assert mail["From"].addresses[0].addr_spec == "calendar@example.org"
    assert mail["Reply-To"].addresses[0].addr_spec == f"alice@{DOMAIN}"


def test_a_relay_down_at_first_gets_the_invitation_when_it_comes_up(server_factory, sink_port,
                                                                    tmp_path):
    server = start(server_factory, config(tmp_path, sink_port))
    uid = new_uid("imip")
    put(server, "alice", uid, invitation(uid, "Retry", f"mailto:alice@{DOMAIN}", [CAROL]))
    # Queued at once, whatever the relay does: the PUT did not wait for it.
    assert "SCHEDULE-STATUS=1.1" in attendee_line(get(server, "alice", uid), CAROL)
    wait_for("a failed try in the log", lambda: "trying again" in server.logs())
    sink = Sink(sink_port).start()
    try:
        (_, rcpts, mail), = sink.wait(1)
        assert rcpts == ["carol@elsewhere.net"]
        assert f"UID:{uid}" in unfold(calendar_part(mail).get_content())
        wait_for("the sent log line", lambda: "mailed REQUEST" in server.logs())
    finally:
        sink.stop()


def test_queued_mail_survives_a_restart(server_factory, sink_port, tmp_path):
    cfg = config(tmp_path, sink_port, smtp_retry_seconds=3600)
    first = start(server_factory, cfg, name="first")
    uid = new_uid("imip")
    put(first, "alice", uid, invitation(uid, "Restart", f"mailto:alice@{DOMAIN}", [CAROL]))
    wait_for("a failed try in the log", lambda: "trying again" in first.logs())
    state = first.data_dir.parent / "data.state"
    assert len(list((state / "imip-queue").glob("*.msg"))) == 1
    first.stop()
    sink = Sink(sink_port).start()
    try:
        # A server over the same state directory, where the queue lives (the
        # fixture gives each server a data directory of its own).
        start(server_factory, cfg, name="second", state=state)
        (_, rcpts, mail), = sink.wait(1)
        assert rcpts == ["carol@elsewhere.net"]
        assert f"UID:{uid}" in unfold(calendar_part(mail).get_content())
        wait_for("the queue emptied", lambda: not list((state / "imip-queue").glob("*.msg")))
    finally:
        sink.stop()


def test_an_answer_to_an_outside_organizer_is_mailed_as_a_reply(server_factory, sink, tmp_path):
    server = start(server_factory, config(tmp_path, sink.port))
    uid = new_uid("imip")
    bob = f"mailto:bob@{DOMAIN}"
    invited = invitation(uid, "Their party", DAVE, [bob, CAROL])
    # A first copy is no answer (clients upload existing events too).
    url = put(server, "bob", uid, invited)
    put(server, "bob", uid, invited.replace(f"PARTSTAT=NEEDS-ACTION;RSVP=TRUE:{bob}",
                                            f"PARTSTAT=ACCEPTED;RSVP=TRUE:{bob}"))
    (mail_from, rcpts, mail), = sink.wait(1)
    assert rcpts == ["dave@elsewhere.net"]
    assert mail_from == f"bob@{DOMAIN}"
    part = calendar_part(mail)
    assert part.get_param("method") == "REPLY"
    body = unfold(part.get_content())
    assert "METHOD:REPLY" in body
    assert "PARTSTAT=ACCEPTED" in attendee_line(body, bob)
    assert "carol@elsewhere.net" not in body
    # Deleting his copy declines.
    r = server.session("bob").delete(url, timeout=REQUEST_TIMEOUT)
    assert r.status_code == 204, r.text
    _, rcpts, declined = sink.wait(2)[1]
    assert rcpts == ["dave@elsewhere.net"]
    assert "PARTSTAT=DECLINED" in attendee_line(unfold(calendar_part(declined).get_content()), bob)
    assert len(sink.mails) == 2


def test_schedule_status_says_why_no_mail_goes(server_factory, sink_port, tmp_path):
    alice = f"mailto:alice@{DOMAIN}"
    # Mail off: the status scheduling gives an address it cannot reach.
    off = start(server_factory, config(tmp_path, None, name="off.toml"), name="off")
    uid = new_uid("imip")
    put(off, "alice", uid, invitation(uid, "Off", alice, [CAROL]))
    assert "SCHEDULE-STATUS=5.1" in attendee_line(get(off, "alice", uid), CAROL)
    # Mail on, relay down, room for one mail.
    cfg = config(tmp_path, sink_port, name="on.toml", smtp_retry_seconds=3600, smtp_queue_limit=1)
    on = start(server_factory, cfg, name="on")
    uid = new_uid("imip")
    put(on, "alice", uid, invitation(uid, "Bad address", alice, ["mailto:nobody"]))
    assert "SCHEDULE-STATUS=5.3" in attendee_line(get(on, "alice", uid), "mailto:nobody")
    first = new_uid("imip")
    put(on, "alice", first, invitation(first, "Fills the queue", alice, [CAROL]))
    assert "SCHEDULE-STATUS=1.1" in attendee_line(get(on, "alice", first), CAROL)
    uid = new_uid("imip")
    put(on, "alice", uid, invitation(uid, "Queue full", alice, [DAVE]))
    assert "SCHEDULE-STATUS=5.1" in attendee_line(get(on, "alice", uid), DAVE)
    assert "mail queue is full" in on.logs()


# --------------------------------------------------------------------------- replies in


def reply_mail(sender: str, organizer: str, attendee: str, uid: str,
               partstat: str = "ACCEPTED", method: str = "REPLY") -> bytes:
    """A mail as a calendar program sends an answer: text and the iTIP part."""
    ical = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//other//mailer//EN", f"METHOD:{method}",
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261102T080000Z",
        "DTSTART:20270115T090000Z", "DTEND:20270115T100000Z", "SEQUENCE:0",
        f"ORGANIZER:{organizer}", f"ATTENDEE;PARTSTAT={partstat}:{attendee}",
        "END:VEVENT", "END:VCALENDAR", "",
    ])
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = organizer.removeprefix("mailto:")
    msg["Subject"] = f"{partstat.title()}: Board meeting"
    msg.set_content("I will be there.")
    msg.add_attachment(ical.encode(), maintype="text", subtype="calendar",
                       params={"method": method, "charset": "utf-8"})
    return msg.as_bytes()


def receive(server, cfg: Path, raw: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(davdir_bin()), "imip-receive", "--config", str(cfg),
         "--data", str(server.data_dir), "--htpasswd", str(server.data_dir.parent / "htpasswd")],
        input=raw, capture_output=True, timeout=60)


def file_of(server, user, uid) -> Path:
    return server.data_dir / user / "calendar" / f"{uid}.ics"


@pytest.fixture
def invited(server_factory, tmp_path):
    """alice's event with carol outside and bob inside, mail off."""
    cfg = config(tmp_path, None)
    server = start(server_factory, cfg)
    uid = new_uid("imip")
    put(server, "alice", uid, invitation(uid, "Board meeting", f"mailto:alice@{DOMAIN}",
                                         [CAROL, f"mailto:bob@{DOMAIN}"]))
    return server, cfg, uid


def test_a_mailed_reply_updates_the_organizers_copy(invited):
    server, cfg, uid = invited
    before_other = attendee_line(file_of(server, "alice", uid).read_text(), f"bob@{DOMAIN}")
    done = receive(server, cfg, reply_mail("Carol <carol@elsewhere.net>",
                                           f"mailto:alice@{DOMAIN}", CAROL, uid))
    assert done.returncode == 0, done.stderr.decode()
    on_disk = file_of(server, "alice", uid).read_text()
    assert "PARTSTAT=ACCEPTED" in attendee_line(on_disk, CAROL)
    # Only the replier's answer changes.
    assert attendee_line(on_disk, f"bob@{DOMAIN}") == before_other
    # Bob, attending inside, sees carol's answer in his copy; his own stays.
    bob_copy = file_of(server, "bob", uid).read_text()
    assert "PARTSTAT=ACCEPTED" in attendee_line(bob_copy, CAROL), bob_copy
    assert "PARTSTAT=NEEDS-ACTION" in attendee_line(bob_copy, f"bob@{DOMAIN}"), bob_copy
    # The organizer's scheduling inbox has the REPLY, as for a local answer.
    inbox = [p.read_text() for p in (server.data_dir / "alice" / ".inbox").glob("*.ics")]
    assert any("METHOD:REPLY" in t and "carol@elsewhere.net" in t for t in inbox), inbox
    # The running server serves it (its watcher saw the new file).
    wait_for("the reply served", lambda: "PARTSTAT=ACCEPTED" in attendee_line(
        get(server, "alice", uid), CAROL))
    # Declining later is applied the same way.
    done = receive(server, cfg, reply_mail("carol@elsewhere.net", f"mailto:alice@{DOMAIN}",
                                           CAROL, uid, partstat="DECLINED"))
    assert done.returncode == 0, done.stderr.decode()
    assert "PARTSTAT=DECLINED" in attendee_line(file_of(server, "alice", uid).read_text(), CAROL)


@pytest.mark.parametrize("case", [
    "not-an-attendee", "forged-from", "unknown-uid", "outside-organizer", "not-a-reply",
    "oversized", "garbage", "no-calendar",
])
def test_everything_else_is_refused_with_a_reason(invited, case):
    server, cfg, uid = invited
    alice = f"mailto:alice@{DOMAIN}"
    raw, reason = {
        "not-an-attendee": (reply_mail("dave@elsewhere.net", alice, DAVE, uid), "attendee"),
        "forged-from": (reply_mail("dave@elsewhere.net", alice, CAROL, uid), "from"),
        "unknown-uid": (reply_mail("carol@elsewhere.net", alice, CAROL, "no-such-uid"), "uid"),
        "outside-organizer": (reply_mail("carol@elsewhere.net", DAVE, CAROL, uid), "organizer"),
        "not-a-reply": (reply_mail("carol@elsewhere.net", alice, CAROL, uid, method="REQUEST"),
                        "REPLY"),
        "oversized": (b"From: carol@elsewhere.net\r\n\r\n" + b"x" * (5 << 20), "larger"),
        "garbage": (b"\x00\x01\x02\xff not a mail at all", "not an RFC 5322"),
        "no-calendar": (b"From: carol@elsewhere.net\r\nSubject: hi\r\n\r\nhello\r\n",
                        "text/calendar"),
    }[case]
    before = file_of(server, "alice", uid).read_bytes()
    done = receive(server, cfg, raw)
    assert done.returncode == 1, (done.returncode, done.stderr.decode())
    err = done.stderr.decode()
    assert "refused" in err and reason.lower() in err.lower(), err
    assert file_of(server, "alice", uid).read_bytes() == before


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, as an MTA's pipe may run it")
def test_run_as_root_it_writes_as_the_data_directorys_owner(tmp_path):
    # Outside pytest's private (0700) tree, so the owner can reach it.
    top = Path(tempfile.mkdtemp(prefix="davdir-imip-"))
    try:
        top.chmod(0o711)
        data = top / "data"
        (data / "alice" / "calendar").mkdir(parents=True)
        uid = new_uid("imip")
        event = data / "alice" / "calendar" / f"{uid}.ics"
        event.write_text(invitation(uid, "Owned", f"mailto:alice@{DOMAIN}", [CAROL]))
        (top / "htpasswd").write_text("alice:x\n")
        cfg = config(top, None)
        nobody = 65534
        for root, dirs, files in os.walk(data):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                os.chown(name, nobody, nobody)
            done = subprocess.run(
            [str(davdir_bin()), "imip-receive", "--config", str(cfg), "--data", str(data),
             "--htpasswd", str(top / "htpasswd"), "--state", str(top / "state")],
            input=reply_mail("carol@elsewhere.net", f"mailto:alice@{DOMAIN}", CAROL, uid),
            capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        assert f"acting as uid {nobody}" in done.stderr.decode()
        assert "PARTSTAT=ACCEPTED" in attendee_line(event.read_text(), CAROL)
        assert event.stat().st_uid == nobody
        inbox = list((data / "alice" / ".inbox").glob("*.ics"))
        assert inbox and all(p.stat().st_uid == nobody for p in inbox)
    finally:
        shutil.rmtree(top)
