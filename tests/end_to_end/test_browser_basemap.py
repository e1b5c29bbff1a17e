"""The offline base map, place names and typed areas in a real headless Chromium with every request
that leaves the machine blocked: the base map draws its borders, governorates, rivers and town names
from our own static files; an alert carries its place; an area typed in MGRS makes the same permit
as the same area drawn; a circle typed in decimal degrees makes a zone; nothing is wider than a phone."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from pyproj import Geod

from airspace import places, roles
from airspace.accounts.services import get_api_token
from airspace.zones.models import RestrictedZone
from permits.models import FlightPermit
from tests.conftest import PASSWORD
from tests.end_to_end.test_browser import draw_polygon
from tests.fixtures_browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GEOD = Geod(ellps="WGS84")
PHONE = {"width": 390, "height": 844}
RIVER, PROVINCE_BORDER, IRAQ = "#8fbbdc", "#aaa396", "#fbfaf6"  # map.js BASEMAP_STYLE


def offline(page):
    """Abort every request that is not to this machine; returns the list of what was blocked."""
    blocked = []

    def route(request_route):
        host = urlsplit(request_route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    page.context.route("**/*", route)
    return blocked


def basemap_drawn(page, selector):
    expect(page.locator(f"{selector}[data-basemap=drawn]")).to_have_count(1)


def assert_land_is_painted(page, selector):
    """Iraq's land covers the middle of the map on the screen: drawn at its size, not merely in the DOM."""
    covers = page.eval_on_selector(
        selector,
        """(map, fill) => {
          const box = map.getBoundingClientRect();
          const [x, y] = [box.left + box.width / 2, box.top + box.height / 2];
          const land = map.querySelector(`.leaflet-basemap-pane path[fill='${fill}']`).getBoundingClientRect();
          const svg = map.querySelector(".leaflet-basemap-pane svg").getBoundingClientRect();
          const inside = (r) => r.left <= x && x <= r.right && r.top <= y && y <= r.bottom;
          return inside(land) && inside(svg);
        }""",
        IRAQ,
    )
    assert covers


def label_texts(page, selector):
    return page.locator(f"{selector} .leaflet-basemapLabels-pane .basemap-label").all_text_contents()


def zoom_out(page, selector, steps):
    for _ in range(steps):
        page.locator(f"{selector} .leaflet-control-zoom-out").click()
        page.wait_for_timeout(350)  # the zoom animation, then the names are placed again


def assert_no_sideways_scrolling(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def pilot(make_user, make_aircraft):
    user = make_user(roles.OPERATOR, username="pilot", organization="Tigris Aerial Media")
    return make_aircraft(user.operator_membership.operator, serial_number="DJI-M3-0001")


def fill_application(page, aircraft):
    page.select_option("#aircraft", str(aircraft.pk))
    page.select_option("#purpose", "survey")
    page.fill("#max_altitude_m", "90")


def test_the_base_map_draws_borders_provinces_rivers_and_towns_with_no_network(live_server, signed_in, pilot):
    page = signed_in("pilot", PASSWORD)
    blocked = offline(page)
    page.goto(f"{live_server.url}/permits/new/")
    basemap_drawn(page, "#permit-map")

    shapes = page.locator("#permit-map .leaflet-basemap-pane path")
    assert shapes.count() > 20
    for colour in (RIVER, PROVINCE_BORDER):
        assert page.locator(f"#permit-map .leaflet-basemap-pane path[stroke='{colour}']").count() >= 1, colour
    assert page.locator(f"#permit-map .leaflet-basemap-pane path[fill='{IRAQ}']").count() == 1
    assert_land_is_painted(page, "#permit-map")
    # At the starting zoom over Baghdad: the city's name, not the governorates'.
    names = label_texts(page, "#permit-map")
    assert "Baghdad" in names and "Al Anbar" not in names

    # Further out, the governorates and the neighbours are named and more towns are.
    zoom_out(page, "#permit-map", 4)
    names = label_texts(page, "#permit-map")
    assert {"Al Anbar", "Karbala", "Iran"} <= set(names), names
    # The operational layers stay above the base map (Leaflet's overlay pane is 400).
    z_index = page.eval_on_selector("#permit-map .leaflet-basemap-pane", "pane => +pane.style.zIndex")
    assert z_index < 400
    assert not blocked, blocked


@pytest.mark.worker
def test_an_alert_and_the_console_data_say_where_a_hostile_track_is(celery_worker, live_server, signed_in, make_user):
    import requests

    make_user(roles.AIR_DEFENSE, username="airdefense")
    radar = make_user(roles.SENSOR, username="radar1")
    console = signed_in("airdefense", PASSWORD)
    blocked = offline(console)
    console.goto(f"{live_server.url}/console/")
    basemap_drawn(console, "#console-map")
    expect(console.locator("#stream-status")).to_have_text("Live")  # listening before the report

    lon, lat, _ = GEOD.fwd(42.82768, 33.63664, 45, 3200)  # 3.2 km NE of Hit
    answer = requests.post(
        f"{live_server.url}/api/v1/tracks/reports/",
        json={
            "reports": [{"sensor_track_id": "bogey-7", "lat": lat, "lon": lon, "altitude_m": 80, "observed_at": _now()}]
        },  # fmt: skip
        headers={"Authorization": f"Token {get_api_token(user=radar).key}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text

    # What the console reads (its notifications and tracks, from inside the page's session).
    read = """async (url) => (await (await fetch(url, { credentials: "same-origin" })).json()).results"""
    [alert] = console.evaluate(read, "/api/v1/air-defense/notifications/?limit=5")
    assert alert["payload"]["place"] == "3.2 km NE of Hit, Al Anbar"
    assert alert["payload"]["mgrs"] == places.to_mgrs(lat, lon)
    [track] = console.evaluate(read, "/api/v1/tracks/?active=true")
    assert (track["place"], track["mgrs"]) == (alert["payload"]["place"], alert["payload"]["mgrs"])
    expect(console.locator("#notifications")).to_contain_text("bogey-7", timeout=30_000)
    assert not blocked, blocked


def _now():
    from django.utils import timezone

    return timezone.now().isoformat()


def test_an_area_typed_in_mgrs_makes_the_same_permit_as_the_same_area_drawn(live_server, signed_in, pilot):
    page = signed_in("pilot", PASSWORD)
    blocked = offline(page)

    # Drawn: the drawing fills the typed corners back, in decimal degrees.
    page.goto(f"{live_server.url}/permits/new/")
    basemap_drawn(page, "#permit-map")
    fill_application(page, pilot)
    draw_polygon(page, "#permit-map", [(0.25, 0.65), (0.35, 0.65), (0.35, 0.75), (0.25, 0.75)])
    expect(page.locator("#area-summary")).to_have_text("Polygon of 4 corners.")
    typed_back = page.input_value("#typed-points").splitlines()
    assert len(typed_back) == 4 and all("," in line for line in typed_back)
    page.click("#save-permit")
    expect(page.locator("#permit-state")).to_have_text("Draft")
    drawn = FlightPermit.objects.get()
    corners = drawn.area["coordinates"][0][:-1]

    # Typed: the same corners in MGRS, from the keyboard only; saved without pressing "Show on the map".
    page.goto(f"{live_server.url}/permits/new/")
    fill_application(page, pilot)
    page.fill("#typed-points", "\n".join(places.to_mgrs(lat, lon) for lon, lat in corners))
    page.click("#save-permit")
    expect(page.locator("#permit-state")).to_have_text("Draft")
    typed = FlightPermit.objects.exclude(pk=drawn.pk).get()
    assert typed.radius_m is None and len(typed.area["coordinates"][0]) == len(drawn.area["coordinates"][0])
    for (lon1, lat1), (lon2, lat2) in zip(drawn.area["coordinates"][0], typed.area["coordinates"][0], strict=True):
        assert GEOD.inv(lon1, lat1, lon2, lat2)[2] < 2.0  # MGRS at 1 m
    # The permit page says where it is, in words and MGRS.
    expect(page.locator("#permit-place")).to_contain_text("Baghdad")
    expect(page.locator("#permit-place .mgrs")).to_have_text(places.describe(*_centre(typed)).mgrs)
    assert not blocked, blocked


def _centre(permit):
    from shapely.geometry import shape

    centre = shape(permit.boundary).centroid
    return round(centre.y, 6), round(centre.x, 6)


def test_a_wrong_typed_corner_is_named_next_to_the_field_and_nothing_is_sent(live_server, signed_in, pilot):
    page = signed_in("pilot", PASSWORD)
    page.goto(f"{live_server.url}/permits/new/")
    fill_application(page, pilot)
    page.fill("#typed-points", "33.31, 44.36\nnear the bridge\n38S MB 44123 88734")
    page.click("#typed-apply")
    error = page.locator("#typed-area-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Corner 2: “near the bridge” is neither decimal degrees")
    expect(page.locator("#typed-points")).to_have_attribute("aria-invalid", "true")

    page.fill("#typed-points", "33.31, 44.36\n33.32, 44.37")
    page.click("#save-permit")
    expect(error).to_contain_text("at least three corners")
    assert "/permits/new/" in page.url and not FlightPermit.objects.exists()

    page.fill("#typed-points", "")
    page.fill("#typed-centre", "33.30, 44.36")
    page.fill("#typed-radius", "400")
    page.click("#typed-apply")
    expect(error).to_be_hidden()
    expect(page.locator("#area-summary")).to_have_text("Circle of 400 m around 33.3, 44.36.")


def test_a_zone_typed_as_an_mgrs_centre_and_radius_is_created_there(live_server, signed_in, make_user):
    make_user(roles.COMMAND_STAFF, username="officer")
    page = signed_in("officer", PASSWORD)
    blocked = offline(page)
    page.goto(f"{live_server.url}/zones/")
    basemap_drawn(page, "#zones-map")
    centre = places.to_mgrs(33.63664, 42.82768)  # Hit
    page.fill("#name", "Hit bridge")
    page.fill("#typed-centre", centre)
    page.fill("#typed-radius", "750")
    page.click("#zone-form button[type=submit]")
    expect(page.locator("tr[data-zone='Hit bridge']")).to_contain_text("in Hit, Al Anbar")

    zone = RestrictedZone.objects.get(name="Hit bridge")
    assert zone.radius_m == 750
    lon, lat = zone.area["coordinates"]
    assert GEOD.inv(lon, lat, 42.82768, 33.63664)[2] < 2.0
    assert not blocked, blocked


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_pages_with_maps_fit_the_screen_and_are_pictured(live_server, signed_in, pilot, make_user, viewport):
    make_user(roles.COMMAND_STAFF, username="officer")
    width = (viewport or {}).get("width", 1400)
    page = signed_in("pilot", PASSWORD, viewport=viewport)
    blocked = offline(page)
    page.goto(f"{live_server.url}/permits/new/")
    basemap_drawn(page, "#permit-map")
    assert_no_sideways_scrolling(page, width)
    fill_application(page, pilot)
    page.fill(
        "#typed-points",
        "\n".join(places.to_mgrs(lat, lon) for lat, lon in [(33.33, 44.33), (33.33, 44.37), (33.30, 44.37)]),
    )
    page.click("#typed-apply")
    expect(page.locator("#area-summary")).to_have_text("Polygon of 3 corners.")
    zoom_out(page, "#permit-map", 3)
    assert_land_is_painted(page, "#permit-map")
    assert_no_sideways_scrolling(page, width)
    screenshot(page, "basemap-phone.png" if viewport else "basemap.png")

    officer = signed_in("officer", PASSWORD, viewport=viewport)
    offline(officer)
    officer.goto(f"{live_server.url}/zones/")
    basemap_drawn(officer, "#zones-map")
    assert_no_sideways_scrolling(officer, width)
    assert not blocked, blocked
