"""The console page's configuration
through Django's test client (the browser tests in tests/end_to_end/ do the same in Chromium)."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_console_page_carries_its_configuration(air_defense_user, browser_for, make_zone):
    make_zone(name="Green Zone")
    page = browser_for(air_defense_user).get("/console/").content.decode()
    assert 'id="console-config"' in page and "Green Zone" in page and "track.hostile" in page
    assert "/static/leaflet/leaflet.js" in page
