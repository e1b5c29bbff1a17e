"""The console page's configuration
through Django's test client (the browser tests in tests/end_to_end/ do the same in Chromium)."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_console_page_carries_its_configuration(air_defense_user, browser_for, make_zone):
    make_zone(name="Green Zone")
    page = browser_for(air_defense_user).get("/console/").content.decode()
    assert 'id="console-config"' in page and "Green Zone" in page and "track.hostile" in page
    assert "/static/leaflet/leaflet.js" in page


def test_the_console_is_told_which_alerts_are_hostile_and_which_wait_for_an_acknowledgement(
    air_defense_user, browser_for
):
    page = browser_for(air_defense_user).get("/console/")
    config = page.context["console_config"]
    assert config["hostile_kinds"] == ["track.hostile", "swarm"]
    assert config["severities_to_acknowledge"] == ["warning", "critical"]
    assert config["permits_ahead_ms"] == 3_600_000


def test_only_air_defense_opens_the_console(make_user, browser_for):
    from airspace import roles

    assert browser_for(make_user(roles.COMMAND_STAFF)).get("/console/").status_code == 403
