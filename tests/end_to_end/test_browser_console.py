"""The air defense console as a picture to act from, in a real headless Chromium with a real Celery
worker: a permit approved appears as a friendly volume, a hostile report as a red track labelled
hostile with its trail, the count of hostile alerts waiting goes up in the page and its title,
clicking (or Enter on) an alert centres the map on its track, acknowledging lowers the count;
information needs no acknowledgement; the filter hides a kind; the sound toggle is remembered and
silences the beep; and on a 390 px phone nothing is wider than the screen."""

import re
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import expect

from airspace import roles
from airspace.accounts.services import get_api_token
from airspace.air_defense.models import AirDefenseNotification
from airspace.air_defense.tasks import deliver_notification
from airspace.surveillance.models import Track
from airspace.web.places import where
from permits import services
from permits.models import State
from tests.conftest import PASSWORD, square
from tests.fixtures_browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# Counts the tones the page makes: every beep starts oscillators on the page's AudioContext.
COUNT_BEEPS = """
window.__tones = 0;
const RealAudioContext = window.AudioContext;
window.AudioContext = class extends RealAudioContext {
  createOscillator() { window.__tones += 1; return super.createOscillator(); }
};
"""


@pytest.fixture
def console_users(make_user):
    make_user(roles.AIR_DEFENSE, username="airdefense")
    return {"radar": make_user(roles.SENSOR, username="radar1"), "officer": make_user(roles.SENIOR_OFFICER)}


def post_reports(live_server, sensor, *reports):
    response = requests.post(
        f"{live_server.url}/api/v1/tracks/reports/",
        json={"reports": list(reports)},
        headers={"Authorization": f"Token {get_api_token(user=sensor).key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


def report(track, lat, lon, seconds_ago=0):
    observed_at = (timezone.now() - timedelta(seconds=seconds_ago)).isoformat()
    return {"sensor_track_id": track, "observed_at": observed_at, "lat": lat, "lon": lon, "altitude_m": 150}


def open_console(signed_in, live_server, viewport=None):
    console = signed_in("airdefense", PASSWORD, viewport=viewport)
    console.context.add_init_script(COUNT_BEEPS)
    console.goto(f"{live_server.url}/console/")
    expect(console.locator("#stream-status")).to_have_text("Live")
    return console


def track_id(sensor_track_id):
    return Track.objects.get(sensor_track_id=sensor_track_id).pk


def expect_centred_on(page, selector):
    """Wait until the element's centre is at the centre of the map (the fly-to has landed)."""
    page.wait_for_function(
        """(selector) => {
            const map = document.querySelector("#console-map").getBoundingClientRect();
            const target = document.querySelector(selector);
            if (!target) return false;
            const box = target.getBoundingClientRect();
            const dx = box.left + box.width / 2 - (map.left + map.width / 2);
            const dy = box.top + box.height / 2 - (map.top + map.height / 2);
            return Math.hypot(dx, dy) < 4;
        }""",
        arg=selector,
    )


def test_a_permit_approved_appears_as_friendly_and_a_hostile_track_is_found_from_its_alert(
    celery_worker, live_server, signed_in, console_users, make_zone, make_permit, settings
):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 1
    settings.CONSOLE_TRACK_REFRESH_S = 1
    make_zone(name="Green Zone", kind="prohibited", area=square(44.39, 33.31, 0.01))
    make_zone(name="Embassy Row", kind="restricted", area=square(44.34, 33.33, 0.006))
    radar = console_users["radar"]
    # A hostile drone already flying when the console opens: its trail comes from the evidence.
    for step in range(4):
        post_reports(live_server, radar, report("r1-0007", 33.360 + step * 0.004, 44.260, seconds_ago=8 - 2 * step))
    pending = make_permit(
        state=State.UNDER_REVIEW, area=square(44.20, 33.27, 0.004), starts_in=timedelta(minutes=30), max_altitude_m=90
    )
    # Two permitted flights: one inside its volume (friendly), one just outside it (suspect; far out
    # it would be escalated to hostile at once).
    inside = make_permit(state=State.ACTIVE, area=square(44.30, 33.18, 0.004))
    outside = make_permit(state=State.ACTIVE, area=square(44.47, 33.24, 0.004))
    classified = post_reports(
        live_server,
        radar,
        {**report("r1-0101", 33.18, 44.30), "remote_id": inside.aircraft.remote_id, "altitude_m": 60},
        {**report("r1-0102", 33.24, 44.4748), "remote_id": outside.aircraft.remote_id, "altitude_m": 60},
    )
    assert [result["classification"] for result in classified] == ["authorized", "nonconforming"], classified

    console = open_console(signed_in, live_server)
    console.evaluate("window.__sameConsolePage = true")
    expect(console.locator(".zone-label", has_text="Green Zone")).to_be_visible()
    expect(console.locator(".zone-label", has_text="Embassy Row")).to_be_visible()
    legend = console.locator(".console-legend")
    for words in ("Hostile", "Suspect", "Friendly", "Permit in effect", "Restricted zone", "Prohibited zone"):
        expect(legend).to_contain_text(words)
    first = console.locator(".track-marker.hostile", has_text="r1-0007")
    expect(first).to_contain_text("HOSTILE · r1-0007")
    expect(console.locator("path.trail.hostile")).to_have_count(1)
    expect(console.locator(".track-marker.friendly")).to_contain_text("FRIENDLY · r1-0101")
    expect(console.locator(".track-marker.suspect")).to_contain_text("SUSPECT · r1-0102")
    expect(console.locator("path.permit-volume.active")).to_have_count(2)
    expect(console.locator("#hostile-count")).to_have_text("1")
    expect(console).to_have_title(re.compile(r"^\(1\) Air defense console"))

    # Approved while the console is open: its volume is drawn as friendly, labelled, without a reload.
    services.approve_permit(permit_id=pending.pk, officer=console_users["officer"])
    expect(console.locator("path.permit-volume.soon")).to_have_count(1)
    label = console.locator(".permit-label.soon")
    expect(label).to_contain_text(f"{pending.reference} · {pending.operator.name}")
    expect(label).to_contain_text("0–90 m · from ")
    expect(label).to_contain_text("Baghdad")
    assert console.locator("path.permit-volume.soon").get_attribute("stroke") == "#1e7b34"
    approval = console.locator("#notifications li[data-kind='permit.approved']", has_text=pending.reference)
    expect(approval).to_contain_text("Permit approved")
    expect(approval).to_contain_text("For information")
    expect(approval.locator("button")).to_have_count(0)

    # A second hostile drone appears: red, labelled, counted in the page and the title, and it beeps.
    post_reports(live_server, radar, report("r1-0042", 33.36, 44.46))
    alert = console.locator("#notifications li.hostile", has_text="r1-0042")
    expect(alert).to_contain_text("Unregistered drone — hostile")
    place = where(33.36, 44.46)  # the alert's payload says where, in words and MGRS
    expect(alert.locator(".where")).to_have_text(f"{place['place']} · MGRS {place['mgrs']}")
    expect(alert.locator("time")).to_contain_text("UTC")
    expect(console.locator("#hostile-count")).to_have_text("2")
    expect(console).to_have_title(re.compile(r"^\(2\) Air defense console"))
    expect(console.locator(".track-marker.hostile svg.track.unregistered")).to_have_count(2)
    assert console.evaluate("window.__tones") > 0
    screenshot(console, "console.png")

    # Clicking the alert flies the map to the track and rings it.
    alert.locator(".what").click()
    expect_centred_on(console, f".track-marker[data-track='{track_id('r1-0042')}'] svg")
    expect(console.locator(".highlight-ring")).to_have_count(1)

    # The keyboard does the same for the other one: focus the alert, Enter.
    console.locator("#notifications li.hostile", has_text="r1-0007").focus()
    console.keyboard.press("Enter")
    expect_centred_on(console, f".track-marker[data-track='{track_id('r1-0007')}'] svg")

    # Acknowledging lowers the count and the title.
    alert.get_by_role("button", name="Acknowledge").click()
    expect(alert.locator(".acknowledged-by")).to_have_text("Acknowledged by airdefense")
    expect(console.locator("#hostile-count")).to_have_text("1")
    expect(console).to_have_title(re.compile(r"^\(1\) Air defense console"))
    assert console.evaluate("window.__sameConsolePage") is True


def test_the_filter_and_the_sound_toggle_are_remembered_and_sound_off_is_silent(
    celery_worker, live_server, signed_in, console_users, make_permit, settings
):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 1
    permit = make_permit(state=State.APPROVED, starts_in=timedelta(minutes=20))
    console = open_console(signed_in, live_server)
    approval = console.locator("#notifications li[data-kind='permit.approved']")
    expect(approval).to_be_visible()

    # Hide the permits: the approval goes, the filter says so, and a reload keeps it hidden.
    console.locator("#alert-filter summary").click()
    console.get_by_label("Permits", exact=True).uncheck()
    expect(approval).to_be_hidden()
    expect(console.locator("#filtered-out")).to_have_text("1 alert hidden by the filter.")
    toggle = console.locator("#sound-toggle")
    expect(toggle).to_have_text("Sound on")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")

    console.reload()
    expect(console.locator("#stream-status")).to_have_text("Live")
    expect(console.locator("#notifications li[data-kind='permit.approved']")).to_have_count(1)
    expect(console.locator("#notifications li[data-kind='permit.approved']")).to_be_hidden()
    expect(console.locator("#sound-toggle")).to_have_text("Sound off")
    expect(console.locator("path.permit-volume.soon")).to_have_count(1)  # still drawn on the map
    expect(console.locator(".permit-label.soon")).to_contain_text(permit.reference)

    # Sound off: a new hostile alert is shown and counted, and no tone is made.
    post_reports(live_server, console_users["radar"], report("r1-0099", 33.32, 44.40))
    expect(console.locator("#notifications li.hostile")).to_be_visible()
    expect(console.locator("#hostile-count")).to_have_text("1")
    symbol = console.locator(".track-marker.hostile svg path")
    assert symbol.evaluate("path => getComputedStyle(path).fill") == "rgb(179, 38, 30)"  # red
    assert console.evaluate("window.__tones") == 0

    # Revoked: it leaves the friendly picture at once (its alert is a warning, hidden with the permits).
    services.make_transition(
        permit_id=permit.pk, user=console_users["officer"], transition_name="revoke", reason="Airspace closed"
    )
    expect(console.locator("#notifications li[data-kind='permit.revoked']")).to_have_count(1)
    expect(console.locator("path.permit-volume")).to_have_count(0)
    expect(console.locator(".permit-label")).to_have_count(0)

    # An alert whose payload does not say where in words (written before places existed): lat, lon.
    older = AirDefenseNotification.objects.create(
        kind=AirDefenseNotification.Kind.TRACK_HOSTILE,
        severity=AirDefenseNotification.Severity.CRITICAL,
        payload={
            "track": {
                "classification": "unregistered",
                "sensor": "radar1",
                "sensor_track_id": "r1-0500",
                "position": {
                    "lat": 33.31,
                    "lon": 44.39,
                    "altitude_m": 120.0,
                    "observed_at": timezone.now().isoformat(),
                },
            },
            "aircraft": None,
            "zone": None,
        },
    )
    deliver_notification(str(older.pk))
    expect(console.locator(f"#notifications li[data-id='{older.pk}'] .where")).to_have_text("33.31000, 44.39000")


def test_the_console_on_a_390_px_phone(celery_worker, live_server, signed_in, console_users, make_permit, settings):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 1
    make_permit(state=State.ACTIVE)
    post_reports(live_server, console_users["radar"], report("r1-0042", 33.26, 44.31))
    console = open_console(signed_in, live_server, viewport=PHONE)
    expect(console.locator("#notifications li.hostile")).to_be_visible()
    expect(console.locator("path.permit-volume")).to_have_count(1)
    expect(console.locator(".track-marker.hostile")).to_have_count(1)
    assert console.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The map first, the alerts below it; an alert's Acknowledge is reachable on the screen's width.
    map_box = console.locator("#console-map").bounding_box()
    alerts_box = console.locator("#notifications").bounding_box()
    assert alerts_box["y"] > map_box["y"] + map_box["height"]
    button = console.locator("#notifications li.hostile button.acknowledge").bounding_box()
    assert button["x"] + button["width"] <= PHONE["width"]
    screenshot(console, "console-phone.png")


def test_the_pilot_reported_by_remote_id_is_on_the_map_and_in_the_alert(
    celery_worker, live_server, signed_in, console_users
):
    console = open_console(signed_in, live_server)
    hostile = report("rid-drone-1", 33.30, 44.40)
    hostile["operator"] = {"lat": 33.26, "lon": 44.31}
    post_reports(live_server, console_users["radar"], hostile)

    alert = console.locator("#notifications li.hostile").first
    expect(alert.locator(".pilot")).to_contain_text("Pilot at 33.26000, 44.31000")
    expect(console.locator("#console-map path.pilot.hostile")).to_have_count(1)
    console.locator("#console-map path.pilot").hover()
    expect(console.locator(".leaflet-tooltip")).to_contain_text("PILOT of rid-drone-1")
