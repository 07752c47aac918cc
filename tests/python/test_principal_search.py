"""Principal search with the real python caldav client: ``search_principals``
sends a DAV:principal-property-search REPORT on DAV:displayname, as
Thunderbird and Evolution do to look up attendees."""

from __future__ import annotations

from support import davdir_only, url_path


def test_user_finds_own_principal_by_name(server):
    client = server.client("alice")
    found = client.search_principals(name="LIC")
    assert [url_path(p.url) for p in found] == ["/alice/"]
    # The principal found is usable: its calendar home lists alice's calendars.
    assert url_path(found[0].calendar_home_set.url) == "/alice/"
    calendars = found[0].get_calendars()
    assert calendars and all(url_path(c.url).startswith("/alice/") for c in calendars)
    assert client.search_principals(name="nobody-by-this-name") == []


@davdir_only("principal_search defaults to the searcher's own principal")
def test_other_users_are_not_found_by_default(server):
    server.client("bob").principal().get_calendars()  # bob has a home now
    found = server.client("alice").search_principals(name="bob")
    assert found == []
    everyone = server.client("alice").search_principals()
    assert [url_path(p.url) for p in everyone] == ["/alice/"]


@davdir_only("the principal_search config key")
def test_all_users_are_found_when_configured(server_factory, tmp_path):
    config = tmp_path / "davdir.toml"
    config.write_text('principal_search = "all"\n')
    srv = server_factory(extra_args=["--config", str(config)])
    srv.client("bob").principal().get_calendars()
    found = srv.client("alice").search_principals(name="Bo")
    assert [url_path(p.url) for p in found] == ["/bob/"]
    assert url_path(found[0].calendar_home_set.url) == "/bob/"
    everyone = srv.client("alice").search_principals()
    assert sorted(url_path(p.url) for p in everyone) == ["/alice/", "/bob/"]
