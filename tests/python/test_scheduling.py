"""RFC 6638 scheduling (issue 27) as the python `caldav` library drives it:
alice invites bob and carol with `save_with_invites`, bob finds the
invitation in `principal.schedule_inbox()` and accepts it with
`accept_invite`, and alice's copy then shows his answer, with the REPLY in
her own inbox."""

from __future__ import annotations

import pytest

from support import SERVER_KIND, event_ics, new_uid

pytestmark = pytest.mark.skipif(SERVER_KIND != "davdir", reason="davdir contract: email_domain")

USERS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}


@pytest.fixture
def scheduling_server(server_factory, tmp_path):
    config = tmp_path / "davdir.toml"
    config.write_text('email_domain = "example.org"\n')
    return server_factory(users=USERS, extra_args=["--config", str(config)])


def partstat_of(event, address: str) -> str | None:
    for att in event.icalendar_component.get("attendee", []):
        if str(att).lower() == address:
            return str(att.params.get("PARTSTAT"))
    return None


def test_invite_is_found_in_the_inbox_and_accepted(scheduling_server):
    srv = scheduling_server
    alice = srv.client("alice").principal()
    assert "mailto:alice@example.org" in [str(a) for a in alice.calendar_user_address_set()]
    work = alice.make_calendar(name="Work", cal_id="work")
    bob = srv.client("bob").principal()
    uid = new_uid("meeting")
    work.save_with_invites(
        event_ics(uid, "Planning"),
        attendees=["mailto:bob@example.org", "mailto:carol@example.org"],
    )

    items = list(bob.schedule_inbox().get_items())
    assert len(items) == 1, [i.url for i in items]
    invite = items[0]
    assert invite.is_invite_request()
    # The server put the event in bob's calendar already, waiting for his answer.
    copy = next(c.event_by_uid(uid) for c in bob.calendars() if c.events())
    assert partstat_of(copy, "mailto:bob@example.org") == "NEEDS-ACTION"

    invite.accept_invite()

    mine = work.event_by_uid(uid)
    assert partstat_of(mine, "mailto:bob@example.org") == "ACCEPTED"
    assert partstat_of(mine, "mailto:carol@example.org") == "NEEDS-ACTION"
    replies = list(alice.schedule_inbox().get_items())
    assert len(replies) == 1 and replies[0].is_invite_reply()
    # Carol's invitation waits in her inbox; bob's is his to delete.
    carol = srv.client("carol").principal()
    assert len(list(carol.schedule_inbox().get_items())) == 1
    invite.delete()
    assert list(bob.schedule_inbox().get_items()) == []
