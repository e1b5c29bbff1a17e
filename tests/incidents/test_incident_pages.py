"""The incident pages in a real headless Chromium, on a desktop screen and a 390 px phone: the list
(open first, newest alert first), one incident worked from its page (a unit sent, the drone
identified, resolved against its operator), the units, the statistics with their charts — and the
operator's next application shows the violation to the officer reviewing it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from airspace import roles
from airspace.accounts.services import get_api_token
from airspace.geometry import parse_area
from airspace.incidents import services
from airspace.incidents.models import Incident, ResponseUnit, State
from permits.models import State as PermitState
from tests.conftest import PASSWORD, square
from tests.fixtures_browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
REPORTS = "/api/v1/tracks/reports/"


def report(track, *, lon, lat, seconds_ago=0):
    return {
        "sensor_track_id": track,
        "observed_at": (timezone.now() - timedelta(seconds=seconds_ago)).isoformat(),
        "lat": lat,
        "lon": lon,
        "altitude_m": 70,
    }


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def picture(make_user, make_zone, make_aircraft, make_permit, operator_user):
    """A radar's hostile tracks near the Green Zone (their incidents opened by the reports), units,
    and weeks of past incidents for the statistics."""
    make_user(roles.AIR_DEFENSE, username="airdefense")
    make_user(roles.COMMAND_STAFF, username="officer")
    green = make_zone(name="Green Zone", kind="prohibited", area=square(44.39, 33.31, 0.01))
    make_zone(name="Airport", kind="restricted", area=square(44.23, 33.26, 0.02))
    radar = make_user(roles.SENSOR, username="radar-north")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {get_api_token(user=radar).key}")

    def post(*reports):
        assert client.post(REPORTS, {"reports": list(reports)}, format="json").status_code == 200

    for name, kind, lon, lat in [("Falcon 1", "intercept", 44.39, 33.31), ("Police Karkh 3", "police", 44.37, 33.30)]:
        area = parse_area({"type": "Point", "coordinates": [lon, lat]}, 3000)
        ResponseUnit.objects.create(
            name=name, kind=kind, area=area.geojson, radius_m=3000, boundary=area.boundary_geojson
        )
    # Past weeks, for the statistics: resolved, dismissed, in and out of the zone.
    officer = make_user(roles.COMMAND_STAFF)
    now = timezone.now()
    post(*[report(f"past-{n}", lon=44.20 + n * 0.03, lat=33.40, seconds_ago=900) for n in range(7)])
    outcomes = ["drone_downed", "intercepted", "lost_contact", None, "drone_recovered", "intercepted", None]
    for n, (incident, outcome) in enumerate(zip(Incident.objects.order_by("pk"), outcomes, strict=True)):
        if outcome:
            services.resolve(incident_id=incident.pk, user=officer, outcome=outcome)
        else:
            services.dismiss(incident_id=incident.pk, user=officer, reason="a bird")
        opened = now - timedelta(days=4 + 5 * n)
        Incident.objects.filter(pk=incident.pk).update(
            opened_at=opened,
            last_alert_at=opened,
            responded_at=opened + timedelta(seconds=90 + 40 * n),
            closed_at=opened + timedelta(minutes=12 + 3 * n),
            zone=green if n % 2 else None,
        )
    # Now: one drone over the Green Zone, one outside it.
    post(report("intruder-9", lon=44.40, lat=33.36, seconds_ago=30))
    post(report("intruder-7", lon=44.392, lat=33.312))
    aircraft = make_aircraft(operator_user.operator_membership.operator, serial_number="SN-BAD-01")
    permit = make_permit(state=PermitState.SUBMITTED, owner=operator_user)
    return {"aircraft": aircraft, "permit": permit, "green": green}


def test_air_defense_works_an_incident_from_its_page(signed_in, picture, live_server):
    page = signed_in("airdefense", PASSWORD)
    page.goto(f"{live_server.url}/incidents/")
    rows = page.locator("#incidents tbody tr")
    # Open first, newest alert first: intruder-7 (now), intruder-9 (30 s ago), then the closed ones.
    states = [rows.nth(n).get_attribute("data-state") for n in range(rows.count())]
    assert states[:2] == ["open", "open"] and set(states[2:]) <= {"resolved", "dismissed"}
    newest = Incident.objects.filter(state=State.OPEN).order_by("-last_alert_at").first()
    assert rows.first.get_attribute("data-incident") == str(newest.pk)
    expect(rows.first).to_contain_text("Baghdad")
    screenshot(page, "incidents.png")

    rows.first.get_by_role("link").click()
    expect(page.locator("#incident-state")).to_have_text("Open")
    expect(page.locator("#incident-place")).to_contain_text("Green Zone")
    expect(page.locator("#incident-map path.incident-track")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Opened by a hostile alert")

    page.select_option("#unit", label="Falcon 1 (Intercept team)")
    page.locator("form[data-act=assign] button").click()
    expect(page.locator(".messages")).to_contain_text("Falcon 1 sent")
    expect(page.locator("#incident-state")).to_have_text("Responding")
    expect(page.locator("#incident-units")).to_contain_text("Falcon 1")
    expect(page.locator("#timeline")).to_contain_text("Falcon 1 sent by airdefense")

    page.fill("#identify-aircraft", "sn-bad-01")
    page.locator("form[data-act=identify] button").click()
    expect(page.locator("#incident-tracks")).to_contain_text("Registered aircraft SN-BAD-01; operator Alpha Aerial")
    screenshot(page, "incident.png")

    page.select_option("#outcome", "operator_detained")
    page.fill("#resolve-reason", "Pilot found on a rooftop in Karkh.")
    page.locator("form[data-act=resolve] button").click()
    expect(page.locator("#incident-state")).to_have_text("Resolved")
    expect(page.locator("#incident-outcome")).to_have_text("Operator detained")
    expect(page.locator(".violation")).to_contain_text("Alpha Aerial and aircraft SN-BAD-01")
    expect(page.locator("#actions")).to_have_count(0)

    # The operator's next application, as the officer reviewing it sees it.
    officer = signed_in("officer", PASSWORD)
    officer.goto(f"{live_server.url}/permits/{picture['permit'].pk}/")
    expect(officer.locator("#operator-violations")).to_contain_text("operator detained, aircraft SN-BAD-01")


def test_the_consoles_alerts_link_to_their_incidents(signed_in, picture, live_server):
    page = signed_in("airdefense", PASSWORD)
    page.goto(f"{live_server.url}/console/")
    newest = Incident.objects.filter(state=State.OPEN).order_by("-last_alert_at").first()
    link = page.locator(f"#notifications a.incident-link[href='/incidents/{newest.pk}/']")
    expect(link).to_have_text(f"Incident {newest.pk}")
    link.click()
    expect(page.locator("h1")).to_contain_text(f"Incident {newest.pk}")


def test_the_pages_on_a_phone(signed_in, picture, live_server):
    page = signed_in("airdefense", PASSWORD, viewport=PHONE)
    page.goto(f"{live_server.url}/incidents/")
    expect(page.locator("#incidents tbody tr").first).to_be_visible()
    fits_the_phone(page)
    screenshot(page, "incidents-phone.png")
    page.locator("#incidents tbody tr").first.get_by_role("link").click()
    expect(page.locator("#incident-map path.incident-track")).to_be_visible()
    fits_the_phone(page)
    screenshot(page, "incident-phone.png")
    page.goto(f"{live_server.url}/incidents/units/")
    fits_the_phone(page)
    screenshot(page, "units-phone.png")

    officer = signed_in("officer", PASSWORD, viewport=PHONE)
    officer.goto(f"{live_server.url}/incidents/statistics/")
    expect(officer.locator("#figure-incidents")).to_have_text("9")
    fits_the_phone(officer)
    screenshot(officer, "incident-statistics-phone.png")


def test_command_staff_add_a_unit_and_read_the_statistics(signed_in, picture, live_server):
    page = signed_in("officer", PASSWORD)
    page.goto(f"{live_server.url}/incidents/units/")
    page.click("#unit-form button")
    expect(page.locator("#unit-form")).to_contain_text("Give the unit a name.")
    page.fill("#name", "Jammer South")
    page.select_option("#kind", "jammer")
    page.locator("#units-map").click(position={"x": 200, "y": 200})  # no area drawn: optional
    page.click("#unit-form button")
    expect(page.locator("#units")).to_contain_text("Jammer South")
    expect(page.locator("#units [data-unit='Falcon 1']")).to_contain_text("available")
    screenshot(page, "units.png")

    page.goto(f"{live_server.url}/incidents/statistics/")
    expect(page.locator("#figure-incidents")).to_have_text("9")
    # The charts are drawn (Chart.js from our static files) with a bar per week and per zone.
    assert page.evaluate("Chart.getChart('per-week').data.datasets[0].data.reduce((a, b) => a + b, 0)") == 9
    assert page.evaluate("Chart.getChart('per-zone').data.labels").count("Green Zone") == 1
    expect(page.locator("#outcomes")).to_contain_text("Drone downed")
    screenshot(page, "incident-statistics.png")

    page.select_option("#zone", label="Green Zone")
    page.click("#statistics-filters button")
    expect(page.locator("#figure-incidents")).to_have_text(str(Incident.objects.filter(zone=picture["green"]).count()))
    with page.expect_download() as download:
        page.click("#csv-export")
    assert download.value.suggested_filename == "incidents.csv"


def test_operators_are_refused_the_incident_pages(signed_in, picture, live_server, operator_user):
    page = signed_in(operator_user.username, PASSWORD)
    for path in ["/incidents/", f"/incidents/{Incident.objects.first().pk}/", "/incidents/statistics/"]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403, path
