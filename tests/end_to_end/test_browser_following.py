"""Flight following on the air defense console, in a real headless Chromium, on a desktop screen and a
390 px phone: the permitted drones that went silent (where they were last seen, how long ago), the
sensors off the air with their coverage on the map, and the swarms — and the lists follow what
happens without the page being reloaded. The clock's pass runs in this process (`follow_flights`)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from airspace import roles
from airspace.surveillance.following import follow_flights
from airspace.surveillance.models import Sensor
from permits.models import FlightPermit, State
from tests.conftest import PASSWORD, square
from tests.fixtures_browser import screenshot
from tests.surveillance.reports import poster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def report(track, *, lon, lat, seconds_ago=0, remote_id=None):
    body = {
        "sensor_track_id": track,
        "observed_at": (timezone.now() - timedelta(seconds=seconds_ago)).isoformat(),
        "lat": lat,
        "lon": lon,
        "altitude_m": 70,
    }
    if remote_id:
        body["remote_id"] = remote_id
    return body


@pytest.fixture
def picture(make_user, make_permit, make_zone):
    """A lost drone near a zone, an offline radar whose coverage spans a prohibited zone, a swarm."""
    make_user(roles.AIR_DEFENSE, username="airdefense")
    make_zone(name="Green Zone", kind="prohibited", area=square(44.39, 33.31, 0.01))
    radar = make_user(roles.SENSOR, username="radar-north")
    post = poster(radar)
    permit = make_permit(state=State.ACTIVE)
    now = timezone.now()
    FlightPermit.objects.filter(pk=permit.pk).update(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1), updated_at=now
    )
    post(report("drone-7", lon=44.30, lat=33.25, seconds_ago=75, remote_id=permit.aircraft.remote_id))
    post(*[report(f"s-{n}", lon=44.37 + n * 0.002, lat=33.29) for n in range(3)])
    west = make_user(roles.SENSOR, username="radar-west").sensor
    Sensor.objects.filter(pk=west.pk).update(
        coverage_area={"type": "Point", "coordinates": [44.36, 33.30]},
        coverage_radius_m=4000,
        coverage_boundary=_circle(44.36, 33.30, 4000),
        health="online",
        last_heard_at=now - timedelta(minutes=5),
    )
    follow_flights(now=now)
    return permit


def _circle(lon, lat, radius_m):
    from airspace.geometry import parse_area

    return parse_area({"type": "Point", "coordinates": [lon, lat]}, radius_m).boundary_geojson


def open_console(signed_in, live_server, viewport=None):
    console = signed_in("airdefense", PASSWORD, viewport=viewport)
    console.goto(f"{live_server.url}/console/")
    return console


def test_the_console_shows_lost_contacts_offline_sensors_and_swarms(live_server, signed_in, picture):
    console = open_console(signed_in, live_server)

    lost = console.locator("#lost-tracks li")
    expect(lost).to_have_count(1)
    expect(lost).to_contain_text(picture.aircraft.serial_number)
    expect(lost).to_contain_text(picture.reference)
    expect(lost).to_contain_text("last seen 1 min")
    expect(lost).to_contain_text("33.25000, 44.30000")
    expect(console.locator("path.lost-track")).to_have_count(1)

    sensors = console.locator("#quiet-sensors li")
    expect(sensors).to_have_count(1)
    expect(sensors).to_contain_text("radar-west")
    expect(sensors).to_contain_text("off the air")
    expect(sensors).to_have_class("critical")
    expect(console.locator("path.sensor-coverage.offline")).to_have_count(1)

    swarms = console.locator("#swarms li")
    expect(swarms).to_have_count(1)
    expect(swarms).to_contain_text("Swarm of 3")
    expect(swarms).to_contain_text("s-0, s-1, s-2")
    expect(console.locator("path.swarm-area")).to_have_count(1)

    alerts = console.locator("#notifications li")
    expect(alerts.filter(has_text="CONTACT LOST")).to_have_count(1)
    expect(alerts.filter(has_text="SENSOR OFFLINE")).to_contain_text("covered prohibited zone Green Zone")
    expect(alerts.filter(has_text="SWARM")).to_have_class("critical hostile")
    screenshot(console, "console-following.png")


def test_the_lists_follow_what_happens_without_a_reload(live_server, signed_in, picture, make_user, settings):
    settings.CONSOLE_TRACK_REFRESH_S = 1
    console = open_console(signed_in, live_server)
    expect(console.locator("#lost-tracks li")).to_have_count(1)
    console.evaluate("window.__sameConsolePage = true")

    # The drone is seen again and the radar comes back: both leave their lists.
    radar = make_user(roles.SENSOR, username="radar-south")
    poster(radar)(report("drone-7", lon=44.30, lat=33.25, remote_id=picture.aircraft.remote_id))
    Sensor.objects.filter(name="radar-west").update(health="online", last_heard_at=timezone.now())
    expect(console.locator("#lost-tracks li.none")).to_have_text("No permitted drone has gone silent.")
    expect(console.locator("path.lost-track")).to_have_count(0)
    expect(console.locator("#quiet-sensors li.none")).to_be_visible()
    expect(console.locator("#sensor-count")).to_have_text("0")
    assert console.evaluate("window.__sameConsolePage") is True


def test_the_console_on_a_390_px_phone(live_server, signed_in, picture):
    console = open_console(signed_in, live_server, viewport=PHONE)
    expect(console.locator("#lost-tracks li")).to_have_count(1)
    expect(console.locator("#swarms li")).to_have_count(1)
    # One column: nothing wider than the screen, the map first, the lists below it.
    assert console.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    map_box = console.locator("#console-map").bounding_box()
    lost_box = console.locator("#lost-tracks").bounding_box()
    assert map_box["width"] <= PHONE["width"] and lost_box["y"] > map_box["y"] + map_box["height"]
    screenshot(console, "console-following-phone.png")
