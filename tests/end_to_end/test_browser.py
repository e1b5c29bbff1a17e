"""The pages in a real headless Chromium, end to end with a real Celery worker: an operator draws an
area and submits; an officer approves from the queue in one step; the air defense console, open all along,
shows the approval and then a sensor's hostile track without being reloaded, and acknowledges it."""

import pytest
import requests
from playwright.sync_api import expect

from airspace import roles
from airspace.accounts.services import get_api_token
from airspace.air_defense.models import AirDefenseNotification
from airspace.air_defense.tasks import deliver_notification
from airspace.registry.models import Aircraft
from permits.models import FlightPermit, State
from tests.conftest import PASSWORD, square
from tests.fixtures_browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Far enough from the map's centre that the area drawn there does not touch it.
ZONE_LON, ZONE_LAT = 44.46, 33.36
VOLUME_COLOUR = "#1f5fa8"  # map.js COLOURS.volume: the permit's own volume on its map


def draw_polygon(page, map_selector, corners):
    """Click the polygon tool, then each corner (fractions of the map's width and height), then Finish."""
    page.click(".leaflet-draw-draw-polygon")
    box = page.locator(map_selector).bounding_box()
    for x, y in corners:
        # As a person does: move there, then click. Leaflet.draw ignores a click that follows the
        # previous one too closely (its double-click guard), hence the short pause.
        page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y, steps=5)
        page.mouse.down()
        page.mouse.up()
        page.wait_for_timeout(300)
    page.get_by_text("Finish", exact=True).click()


def test_apply_approve_and_see_it_and_a_hostile_track_on_the_console(
    celery_worker, live_server, signed_in, make_user, make_aircraft, make_zone, make_permit, settings
):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 1  # the live server notices closed streams soon
    pilot = make_user(roles.OPERATOR, username="pilot", organization="Tigris Aerial Media")
    aircraft = make_aircraft(pilot.operator_membership.operator, serial_number="DJI-M3-0001", remote_id="RID-M3-0001")
    make_user(roles.SENIOR_OFFICER, username="senior")
    watcher = make_user(roles.AIR_DEFENSE, username="airdefense")
    radar = make_user(roles.SENSOR, username="radar1")
    zone = make_zone(name="Green Zone", area=square(ZONE_LON, ZONE_LAT, 0.01), max_altitude_m=3000)

    # Air defense watches from the start; the page must never reload.
    console = signed_in("airdefense", PASSWORD)
    console.goto(f"{live_server.url}/console/")
    expect(console.locator("#stream-status")).to_have_text("Live")
    console.evaluate("window.__sameConsolePage = true")

    # The operator draws an area and submits.
    pilot_page = signed_in("pilot", PASSWORD)
    pilot_page.goto(f"{live_server.url}/permits/new/")
    pilot_page.select_option("#aircraft", str(aircraft.pk))
    pilot_page.select_option("#purpose", "photography")
    pilot_page.fill("#description", "Wedding film on the Tigris bank")
    pilot_page.fill("#max_altitude_m", "90")
    draw_polygon(pilot_page, "#permit-map", [(0.25, 0.65), (0.35, 0.65), (0.35, 0.75), (0.25, 0.75)])
    expect(pilot_page.locator("#area-summary")).to_have_text("Polygon of 4 corners.")
    screenshot(pilot_page, "operator-application.png")
    pilot_page.click("#save-permit")
    expect(pilot_page.locator("#permit-state")).to_have_text("Draft")
    permit = FlightPermit.objects.get()
    assert permit.boundary["type"] == "Polygon" and len(permit.boundary["coordinates"][0]) == 5
    assert permit.max_altitude_m == 90
    # What the officer must weigh around it: a restricted zone over its north edge, another flight just east.
    west, south, east, north = _bounds(permit.boundary)
    make_zone(name="Embassy Row", kind="restricted", area=square((west + east) / 2, north + 0.004, 0.005))
    neighbour = make_permit(state=State.APPROVED, area=square(east + 0.012, (south + north) / 2, 0.005))
    pilot_page.click("form[data-transition=submit] button")
    expect(pilot_page.locator("#permit-state")).to_have_text("Submitted")
    expect(pilot_page.locator("form[data-transition=submit]")).to_have_count(0)

    # The officer approves from the queue.
    officer_page = signed_in("senior", PASSWORD)
    officer_page.goto(f"{live_server.url}/review/")
    officer_page.click(f"#queue a:text('{permit.reference}')")
    # One form decides: no separate "Start review" step.
    expect(officer_page.locator("#decision-form input[name=decision]")).to_have_count(3)  # approve, reject, changes
    expect(officer_page.locator("#neighbours")).to_contain_text(neighbour.reference)
    # The volume, the zone it touches and the other flight are all in view on the map.
    _expect_in_view(officer_page, "#permit-map", 3)
    screenshot(officer_page, "review-permit.png")
    officer_page.check("#decision-form input[value=approve]")
    officer_page.click("#decide-button")
    expect(officer_page.locator(".messages")).to_contain_text(f"{permit.reference} is now approved")
    permit.refresh_from_db()
    assert permit.state == State.APPROVED

    # The console shows the approval, pushed by the worker through the stream.
    approval = console.locator("#notifications li[data-kind='permit.approved']", has_text=permit.reference)
    expect(approval).to_have_count(1)

    # A radar sees something with no identifier inside the Green Zone.
    response = requests.post(
        f"{live_server.url}/api/v1/tracks/reports/",
        json={
            "reports": [
                {
                    "sensor_track_id": "r1-0042",
                    "observed_at": _now(),
                    "lat": ZONE_LAT,
                    "lon": ZONE_LON,
                    "altitude_m": 150,
                }
            ]
        },  # fmt: skip
        headers={"Authorization": f"Token {get_api_token(user=radar).key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["classification"] == "unregistered"

    hostile = console.locator("#notifications li.hostile")
    expect(hostile).to_have_count(1)
    expect(hostile).to_contain_text("HOSTILE")
    expect(hostile).to_contain_text(f"inside prohibited zone {zone.name}")
    expect(hostile).to_have_class("critical hostile")
    # Newest first: the alert is above the approval.
    kinds = console.locator("#notifications li").evaluate_all("items => items.map(item => item.dataset.kind)")
    assert kinds.index("track.hostile") < kinds.index("permit.approved")
    expect(console.locator("path.track.unregistered")).to_have_count(1)
    assert console.evaluate("window.__sameConsolePage") is True
    screenshot(console, "air-defense-console.png")

    hostile.locator("button.acknowledge").click()
    expect(hostile.locator(".acknowledged-by")).to_have_text("Acknowledged by airdefense")
    alert = AirDefenseNotification.objects.get(kind="track.hostile")
    assert alert.acknowledged_by == watcher and alert.acknowledged_at is not None
    assert Aircraft.objects.get(pk=aircraft.pk).status == Aircraft.Status.REGISTERED


def test_the_permit_map_frames_a_small_volume_with_its_neighbour_even_when_tiles_are_unreachable(
    live_server, signed_in, make_user, make_zone, make_permit, settings
):
    make_user(roles.COMMAND_STAFF, username="duty")
    permit = make_permit(state=State.SUBMITTED, area={"type": "Point", "coordinates": [44.30, 33.25]}, radius_m=400)
    make_permit(state=State.APPROVED, area=square(44.32, 33.25, 0.002))  # ~2 km east, same window
    make_zone(name="Far Base", area=square(44.36, 33.30, 0.01))  # ~8 km away: drawn, but not framed
    page = signed_in("duty", PASSWORD)
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # a closed network: nothing answers there
    page.goto(f"{live_server.url}/permits/{permit.pk}/")
    expect(page.locator("#permit-map .leaflet-tile-pane img").first).to_be_attached()  # tiles were asked for
    _expect_in_view(page, "#permit-map", 2)  # the volume and the other flight, drawn all the same
    # The 400 m circle is a shape an officer can read, not a dot.
    volume = page.locator(f"#permit-map path[stroke='{VOLUME_COLOUR}']").bounding_box()
    assert volume["width"] > 80, volume


def _bounds(boundary):
    longitudes, latitudes = zip(*boundary["coordinates"][0], strict=True)
    return min(longitudes), min(latitudes), max(longitudes), max(latitudes)


def _expect_in_view(page, map_selector, count):
    """Wait until at least `count` vector shapes are drawn wholly inside the map's visible box."""
    page.wait_for_function(
        """([selector, count]) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            const shapes = document.querySelectorAll(`${selector} .leaflet-overlay-pane path`);
            const inside = Array.from(shapes).filter((path) => {
                const r = path.getBoundingClientRect();
                return r.width > 0 && r.left >= box.left && r.right <= box.right
                    && r.top >= box.top && r.bottom <= box.bottom;
            });
            return inside.length >= count;
        }""",
        arg=[map_selector, count],
    )


def _now():
    from django.utils import timezone

    return timezone.now().isoformat()


def test_application_errors_are_shown_next_to_the_field_and_a_circle_can_be_drawn(
    live_server, signed_in, make_user, make_aircraft
):
    pilot = make_user(roles.OPERATOR, username="surveyor", organization="Mesopotamia Survey Co")
    aircraft = make_aircraft(pilot.operator_membership.operator)
    page = signed_in("surveyor", PASSWORD)
    page.goto(f"{live_server.url}/permits/new/")
    page.select_option("#aircraft", str(aircraft.pk))
    page.select_option("#purpose", "survey")
    page.fill("#min_altitude_m", "200")
    page.fill("#max_altitude_m", "100")
    page.click("#save-permit")  # no area drawn, band upside down

    area_field = page.locator(".field.has-error", has=page.locator("#permit-map"))
    expect(area_field.locator(".errorlist")).to_be_visible()
    band_field = page.locator(".field.has-error", has=page.locator("#max_altitude_m"))
    expect(band_field.locator(".errorlist")).to_contain_text("altitude")
    assert not FlightPermit.objects.exists()

    # The values typed are kept; draw a circle (press at the centre, drag to the radius) and fix the band.
    expect(page.locator("#max_altitude_m")).to_have_value("100")
    page.fill("#min_altitude_m", "0")
    page.click(".leaflet-draw-draw-circle")
    box = page.locator("#permit-map").bounding_box()
    centre_x, centre_y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7
    page.mouse.move(centre_x, centre_y)
    page.mouse.down()
    page.mouse.move(centre_x + 30, centre_y, steps=5)
    page.mouse.up()
    expect(page.locator("#area-summary")).to_contain_text("Circle of")
    page.click("#save-permit")
    expect(page.locator("#permit-state")).to_have_text("Draft")
    permit = FlightPermit.objects.get()
    assert permit.area["type"] == "Point" and permit.radius_m > 100

    # Cancelling asks first: declined, nothing is sent and the draft stays a draft.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.evaluate("window.__sameDraftPage = true")
    page.click("form[data-transition=cancel] button")
    assert asked and f"Cancel application {permit.reference}?" in asked[0], asked
    page.wait_for_load_state()
    assert page.evaluate("window.__sameDraftPage") is True
    expect(page.locator("#permit-state")).to_have_text("Draft")
    permit.refresh_from_db()
    assert permit.state == State.DRAFT

    # Accepted, the owner's draft is cancelled and no button is left.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[data-transition=cancel] button")
    expect(page.locator("#permit-state")).to_have_text("Cancelled")
    expect(page.locator("#transitions form")).to_have_count(0)


def test_console_stream_comes_back_after_redis_was_down(live_server, signed_in, make_user, redis_server, settings):
    """An answer other than 200 closes an EventSource for good: the console must open a new one,
    not stay "Reconnecting…" (and deaf to hostile tracks) until someone reloads the page."""
    settings.REDIS_URL = redis_server.url  # the stream's pub/sub, on a Redis this test may stop
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 1
    make_user(roles.AIR_DEFENSE, username="airdefense")
    console = signed_in("airdefense", PASSWORD)
    console.goto(f"{live_server.url}/console/")
    status = console.locator("#stream-status")
    expect(status).to_have_text("Live")

    redis_server.stop()
    expect(status).to_have_text("Reconnecting…")
    console.wait_for_timeout(6000)  # the browser's own retry (after 3 s) was refused: a 500
    redis_server.start()
    expect(status).to_have_text("Live", timeout=30_000)

    alert = AirDefenseNotification.objects.create(
        kind=AirDefenseNotification.Kind.TRACK_HOSTILE,
        severity=AirDefenseNotification.Severity.CRITICAL,
        payload={
            "track": {
                "identity": "sensor:1:r1-9",
                "classification": "unregistered",
                "sensor": "radar1",
                "sensor_track_id": "r1-9",
                "position": {"lat": 33.31, "lon": 44.39, "altitude_m": 120.0, "observed_at": "2026-11-24T23:41:07Z"},
            },
            "aircraft": None,
            "permit": None,
            "zone": None,
        },
    )
    deliver_notification(str(alert.pk))
    expect(console.locator(f"#notifications li[data-id='{alert.pk}']")).to_have_count(1)
