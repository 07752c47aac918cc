"""Scheduling (RFC 6638, issue 27) as the python `caldav` library drives it:
discovery of the boxes and addresses, and a free-busy request through the
outbox, invitations and their acceptance, and caldav-server-tester's
scheduling checks, with three users of one server (`email_domain =
"example.org"`)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from support import SERVER_KIND, event_ics, new_uid, url_path

pytestmark = pytest.mark.skipif(
    SERVER_KIND != "davdir", reason="davdir contract: email_domain addresses"
)

USERS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}


@pytest.fixture
def sched(server_factory, tmp_path):
    config = tmp_path / "davdir.toml"
    config.write_text('email_domain = "example.org"\n')
    return server_factory(users=USERS, extra_args=["--config", str(config)])


def periods(vfreebusy) -> list[tuple[datetime, datetime]]:
    """(start, end) of each FREEBUSY period of a VFREEBUSY."""
    lines = vfreebusy.get("FREEBUSY", [])
    if not isinstance(lines, list):
        lines = [lines]
    return [(p.start, p.end) for p in lines]


def test_principal_finds_boxes_and_addresses(sched):
    alice = sched.client("alice").principal()
    assert alice.calendar_user_address_set() == ["mailto:alice@example.org", "/alice/"]
    assert url_path(alice.schedule_inbox().url) == "/alice/.inbox/"
    assert url_path(alice.schedule_outbox().url) == "/alice/.outbox/"
    assert list(alice.schedule_inbox().get_items()) == []
    assert str(alice.get_vcal_address()) == "mailto:alice@example.org"


def test_freebusy_request_answers_per_attendee(sched):
    bob = sched.client("bob").principal()
    work = bob.make_calendar(name="Work", cal_id="work")
    work.save_event(event_ics(new_uid("busy"), "Busy", "20300110T100000Z", "20300110T110000Z"))
    # Outside the asked range: not reported.
    work.save_event(event_ics(new_uid("later"), "Later", "20300201T100000Z", "20300201T110000Z"))

    alice = sched.client("alice").principal()
    start = datetime(2030, 1, 10, tzinfo=timezone.utc)
    end = datetime(2030, 1, 11, tzinfo=timezone.utc)
    answer = alice.freebusy_request(
        start, end, ["mailto:bob@example.org", "mailto:carol@example.org", "mailto:nobody@example.org"]
    )
    bob_fb = answer["mailto:bob@example.org"].icalendar_component
    assert periods(bob_fb) == [
        (datetime(2030, 1, 10, 10, tzinfo=timezone.utc), datetime(2030, 1, 10, 11, tzinfo=timezone.utc))
    ]
    carol_fb = answer["mailto:carol@example.org"].icalendar_component
    assert periods(carol_fb) == []
    assert answer["errors"]["mailto:nobody@example.org"].startswith("3.7")


def invitation_ics(uid: str, summary: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//davdir tests//python//EN\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\n"
        "DTSTAMP:20261101T120000Z\r\n"
        "DTSTART:20300115T090000Z\r\n"
        "DTEND:20300115T100000Z\r\n"
        f"SUMMARY:{summary}\r\n"
        "ORGANIZER;CN=Alice:mailto:alice@example.org\r\n"
        "ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED:mailto:alice@example.org\r\n"
        "ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.org\r\n"
        "END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def partstat_of(event, address: str) -> str | None:
    for a in event.icalendar_component.get("ATTENDEE", []):
        if str(a).lower() == address:
            return str(a.params.get("PARTSTAT"))
    return None


def test_invitation_reaches_the_inbox_and_acceptance_reaches_the_organizer(sched):
    bob = sched.client("bob").principal()
    bob.make_calendar(name="Bob", cal_id="bob-cal")
    alice = sched.client("alice").principal()
    cal = alice.make_calendar(name="Alice", cal_id="alice-cal")
    uid = new_uid("meeting")
    cal.save_event(invitation_ics(uid, "Planning"))

    items = list(bob.schedule_inbox().get_items())
    invites = [i for i in items if i.is_invite_request()]
    assert [str(i.icalendar_component["UID"]) for i in invites] == [uid]
    invites[0].accept_invite()

    mine = cal.event_by_uid(uid)
    assert partstat_of(mine, "mailto:bob@example.org") == "ACCEPTED"
    copy = bob.calendar(cal_id="bob-cal").event_by_uid(uid)
    assert partstat_of(copy, "mailto:bob@example.org") == "ACCEPTED"


# The scheduling features caldav-server-tester probes (caldav's compatibility
# hints); each must be found fully supported.
TESTER_FEATURES = [
    "scheduling",
    "scheduling.mailbox",
    "scheduling.calendar-user-address-set",
    "scheduling.calendar-user-address-set.populated",
    "scheduling.freebusy-query",
    "scheduling.mailbox.inbox-delivery",
    "scheduling.auto-schedule",
    "scheduling.schedule-tag",
    "scheduling.schedule-tag.stable-partstat",
]
TESTER_CHECKS = [
    "CheckSchedulingDetails",
    "CheckFreeBusyQueryRFC6638",
    "CheckScheduleTag",
    "CheckSchedulingInboxDelivery",
    "CheckScheduleTagStablePartstat",
]


def test_caldav_server_tester_finds_scheduling_supported(sched, tmp_path):
    # The tester's multi-user checks take their second account from a caldav
    # config file section (--config-section).
    config = tmp_path / "caldav.json"
    config.write_text(json.dumps({
        "bob": {"caldav_url": sched.base_url, "caldav_user": "bob",
                "caldav_pass": sched.users["bob"]},
    }))
    cmd = [
        sys.executable, "-c",
        "from caldav_server_tester import check_server_compatibility as c; c()",
        "--caldav-url", sched.base_url,
        "--caldav-username", "alice", "--caldav-password", sched.users["alice"],
        "--config-section", "bob", "--format", "hints",
    ]
    for check in TESTER_CHECKS:
        cmd += ["--run-checks", check]
    env = dict(os.environ, CALDAV_CONFIG_FILE=str(config))
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-5000:]
    # The hints format is a Python dict literal of every feature observed.
    start = run.stdout.index("{")
    found = ast.literal_eval(run.stdout[start:run.stdout.rindex("}") + 1])
    support = {f: found.get(f, {}).get("support") for f in TESTER_FEATURES}
    assert support == {f: "full" for f in TESTER_FEATURES}, run.stdout
