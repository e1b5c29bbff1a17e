"""Text that people and sensors send is shown as text on the maps' tooltips, never run as HTML: a
sensor's track id on the air defense console, a zone's name on an operator's application form."""

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import expect

from airspace import roles
from airspace.accounts.services import get_api_token
from tests.conftest import PASSWORD, square

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INJECTED = '<img src=x onerror="window.__injected = true">'


def hover_each(page, selector):
    for index in range(page.locator(selector).count()):
        page.locator(selector).nth(index).hover(force=True)
        page.wait_for_timeout(200)


def test_a_track_id_is_text_on_the_console(live_server, signed_in, make_user):
    make_user(roles.AIR_DEFENSE, username="airdefense")
    radar = make_user(roles.SENSOR, username="radar1")
    report = {"sensor_track_id": INJECTED, "observed_at": timezone.now().isoformat(), "lat": 33.25, "lon": 44.30}
    posted = requests.post(
        f"{live_server.url}/api/v1/tracks/reports/",
        json={"reports": [{**report, "altitude_m": 100}]},
        headers={"Authorization": f"Token {get_api_token(user=radar).key}"},
        timeout=30,
    )
    assert posted.status_code == 200, posted.text

    console = signed_in("airdefense", PASSWORD)
    console.goto(f"{live_server.url}/console/")
    expect(console.locator("path.track")).to_have_count(1)
    hover_each(console, "path.track")

    expect(console.locator(".leaflet-tooltip")).to_contain_text(INJECTED)
    assert console.evaluate("window.__injected") is None


def test_a_zone_name_is_text_on_the_application_form(live_server, signed_in, make_user, make_zone):
    make_user(roles.OPERATOR, username="pilot", organization="Tigris Aerial Media")
    make_zone(name=f"Zone {INJECTED}", area=square(44.30, 33.25, 0.05))

    form = signed_in("pilot", PASSWORD)
    form.goto(f"{live_server.url}/permits/new/")
    hover_each(form, "#permit-map path.leaflet-interactive")

    expect(form.locator(".leaflet-tooltip")).to_contain_text(INJECTED)
    assert form.evaluate("window.__injected") is None
