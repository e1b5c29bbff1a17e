"""The trade pages in a real headless Chromium: a dealer uploads a 500-row shipment with 3 bad rows
and is shown the 3 lines, nothing imported; checks the fixed file, imports it and finds it in stock;
an operator confirms a drone bought and offers another; staff trace one. Each page fits a 390 px phone."""

from datetime import date

import pytest
from playwright.sync_api import expect

from airspace import roles
from airspace.trade import services
from airspace.trade.models import ImportedDrone
from tests.conftest import PASSWORD
from tests.fixtures_browser import screenshot

from .conftest import shipment_csv
from .test_shipment_csv import BAD_ROWS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def assert_fits(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide on a {width} px screen"


def choose_file(page, content):
    page.set_input_files("#file", {"name": "shipment.csv", "mimeType": "text/csv", "buffer": content})


def test_a_dealer_uploads_a_shipment_with_3_bad_rows_then_the_fixed_one(live_server, signed_in, make_user, tmp_path):
    make_user(roles.DEALER, username="dealer", organization="Babylon Drone Imports")
    page = signed_in("dealer", PASSWORD, viewport=DESKTOP)
    page.goto(f"{live_server.url}/dealer/import/")
    page.fill("#customs_reference", "IQ-CUS-2026-0500")
    page.fill("#imported_on", "2026-11-02")
    choose_file(page, shipment_csv(500, bad=BAD_ROWS))
    page.click("#import")

    problems = page.locator("#problems")
    expect(problems.locator("h2")).to_have_text("Nothing was imported: 3 of 500 rows need fixing")
    lines = problems.locator("tbody tr").evaluate_all(
        "rows => rows.map((row) => row.dataset.line + ' ' + row.dataset.field)"
    )
    assert lines == ["43 category", "252 mtow_kg", "500 remote_id"]
    expect(problems).to_contain_text("This Remote ID is also on line 9.")
    assert not ImportedDrone.objects.exists()
    # The form keeps what was typed; the file is chosen again.
    expect(page.locator("#customs_reference")).to_have_value("IQ-CUS-2026-0500")
    screenshot(page, "import.png")

    choose_file(page, shipment_csv(500))
    page.click("#check")
    expect(page.locator(".messages")).to_contain_text("All 500 rows are fine")
    assert not ImportedDrone.objects.exists()
    choose_file(page, shipment_csv(500))
    page.click("#import")
    page.wait_for_url(f"{live_server.url}/dealer/")
    expect(page.locator(".messages")).to_contain_text("Shipment IQ-CUS-2026-0500: 500 drones imported.")
    expect(page.locator("#counts")).to_contain_text("500 imported")
    expect(page.locator("#stock tbody tr")).to_have_count(50)  # a page at a time
    expect(page.locator(".pages")).to_contain_text("1–50 of 500")
    assert ImportedDrone.objects.count() == 500
    page.fill("#serial", "csv-sn-00000")
    page.click("#stock-search button")
    expect(page.locator("#stock tbody tr")).to_have_count(1)

    # Sell one from the stock page.
    page.locator("#stock tr[data-serial='CSV-SN-00000'] a", has_text="Record a sale").click()
    page.fill("#buyer_name", "Karim Hassan")
    page.fill("#buyer_national_id", "IQ-19880412-77")
    page.fill("#sold_on", "2026-11-20")
    page.click("#sale-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("CSV-SN-00000 sold to Karim Hassan (national ID IQ-19880412-77)")


def test_the_progress_shows_the_row_count_while_the_file_is_checked(live_server, signed_in, make_user):
    make_user(roles.DEALER, username="dealer", organization="Babylon Drone Imports")
    page = signed_in("dealer", PASSWORD, viewport=DESKTOP)
    page.goto(f"{live_server.url}/dealer/import/")
    choose_file(page, shipment_csv(500))
    expect(page.locator("#file-rows")).to_have_text("500 drones in this file.")
    # Held on the page (the answer would replace it) so that the indicator can be looked at.
    page.evaluate("document.getElementById('import-form').addEventListener('submit', (e) => e.preventDefault())")
    page.click("#check")
    expect(page.locator("#progress")).to_be_visible()
    expect(page.locator("#progress-text")).to_have_text("Checking 500 rows of the file…")


@pytest.fixture
def a_small_world(make_user, make_aircraft):
    dealer = make_user(roles.DEALER, username="dealer", organization="Babylon Drone Imports")
    pilot = make_user(roles.OPERATOR, username="pilot", organization="Tigris Aerial Media")
    make_user(roles.OPERATOR, username="surveyor", organization="Mesopotamia Survey Co")
    make_user(roles.COMMAND_STAFF, username="officer")
    make_user(roles.AIR_DEFENSE, username="airdefense")
    shipment = services.record_shipment(
        user=dealer,
        customs_reference="IQ-CUS-2026-0412",
        imported_on=date(2026, 11, 2),
        drones=[
            {
                "serial_number": f"DJI-M3E-{n:04d}",
                "remote_id": f"1581F5FKD{n:04d}",
                "manufacturer": "DJI",
                "model": "Mavic 3 Enterprise",
                "category": "multirotor",
                "mtow_kg": "0.915",
            }
            for n in range(1, 6)
        ],
    )
    drones = list(shipment.drones.order_by("serial_number"))
    tigris = pilot.operator_membership.operator
    for drone in drones[:3]:
        services.sell_drone(
            user=dealer, drone_id=drone.pk, buyer_name=tigris.name, buyer_operator=tigris, sold_on=date(2026, 11, 20)
        )
    services.sell_drone(
        user=dealer,
        drone_id=drones[3].pk,
        buyer_name="Karim Hassan",
        buyer_national_id="IQ-19880412-77",
        sold_on=date(2026, 11, 21),
    )
    services.confirm_purchase(user=pilot, drone_id=drones[0].pk)
    make_aircraft(tigris, serial_number="TIG-OLD-0007", remote_id="TIG-RID-0007")
    return drones


def test_an_operator_confirms_a_drone_bought_and_offers_another_and_staff_trace_it(
    live_server, signed_in, a_small_world
):
    drones = a_small_world
    pilot = signed_in("pilot", PASSWORD, viewport=DESKTOP)
    pilot.goto(f"{live_server.url}/aircraft/awaiting/")
    expect(pilot.locator("#awaiting tbody tr")).to_have_count(2)
    pilot.locator(f"#awaiting tr[data-serial='{drones[1].serial_number}'] button").click()
    expect(pilot.locator(".messages")).to_contain_text(
        f"{drones[1].serial_number} registered; command staff will verify it."
    )
    expect(pilot.locator(f"#aircraft tr[data-serial='{drones[1].serial_number}'] .came-from")).to_have_text(
        "Imported by Babylon Drone Imports on 2 Nov 2026, sold to Tigris Aerial Media"
    )

    pilot.goto(f"{live_server.url}/transfers/")
    pilot.select_option("#aircraft", label="TIG-OLD-0007 · DJI Mavic 3")
    pilot.fill("#to_operator", "Mesopotamia Survey Co")
    pilot.once("dialog", lambda dialog: dialog.accept())
    pilot.click("#transfer-form button[type=submit]")
    expect(pilot.locator(".messages")).to_contain_text("TIG-OLD-0007 offered to Mesopotamia Survey Co")
    expect(pilot.locator("#transfers tbody tr").first.locator("form[data-act=cancel]")).to_have_count(1)

    surveyor = signed_in("surveyor", PASSWORD, viewport=DESKTOP)
    surveyor.goto(f"{live_server.url}/transfers/")
    surveyor.locator("form[data-act=accept] button").click()
    expect(surveyor.locator(".messages")).to_contain_text("Transfer of TIG-OLD-0007 accepted.")
    expect(surveyor.locator("#transfers tbody tr").first).to_contain_text("Accepted")

    officer = signed_in("officer", PASSWORD, viewport=DESKTOP)
    officer.goto(f"{live_server.url}/trace/")
    officer.fill("#identifier", drones[0].remote_id.lower())
    officer.click("#trace-form button")
    events = officer.locator("#chain li").evaluate_all("items => items.map((item) => item.dataset.event)")
    assert events == ["imported", "sold", "registered"]
    expect(officer.locator("#chain")).to_contain_text(
        "Imported by Babylon Drone Imports (customs reference IQ-CUS-2026-0412)"
    )
    screenshot(officer, "trace.png")

    dealer = signed_in("dealer", PASSWORD, viewport=DESKTOP)
    dealer.goto(f"{live_server.url}/dealer/")
    expect(dealer.locator("#stock tbody tr")).to_have_count(5)
    expect(dealer.locator(f"#stock tr[data-serial='{drones[0].serial_number}']")).to_contain_text(
        "Pending verification"
    )
    screenshot(dealer, "dealer.png")


@pytest.mark.parametrize(
    "username, paths",
    [
        ("dealer", ["/dealer/", "/dealer/import/", "/dealer/drones/{drone}/sell/"]),
        ("pilot", ["/aircraft/awaiting/", "/transfers/", "/aircraft/"]),
        ("officer", ["/transfers/", "/trace/?identifier={serial}", "/dealer/", "/aircraft/"]),
        ("airdefense", ["/trace/?identifier={serial}"]),
    ],
)
def test_the_trade_pages_fit_a_phone(live_server, signed_in, a_small_world, username, paths):
    drones = a_small_world
    page = signed_in(username, PASSWORD, viewport=PHONE)
    for path in paths:
        url = path.format(drone=drones[4].pk, serial=drones[0].serial_number)
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
        assert_fits(page, PHONE["width"])
        names = {"/dealer/": "dealer-phone.png", "/dealer/import/": "import-phone.png", "/trace/": "trace-phone.png"}
        name = names.get(url.split("?")[0])
        if name and username in ("dealer", "officer") and not (name == "dealer-phone.png" and username != "dealer"):
            screenshot(page, name)


@pytest.mark.worker
def test_the_console_names_the_importer_of_an_unregistered_drone(
    celery_worker, live_server, signed_in, a_small_world, make_user, settings
):
    import requests
    from django.utils import timezone

    from airspace.accounts.services import get_api_token

    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 1
    never_sold = a_small_world[4]
    radar = make_user(roles.SENSOR)
    console = signed_in("airdefense", PASSWORD, viewport=DESKTOP)
    console.goto(f"{live_server.url}/console/")
    expect(console.locator("#stream-status")).to_have_text("Live")
    sighting = {
        "sensor_track_id": "r1-0099",
        "observed_at": timezone.now().isoformat(),
        "lat": 33.25,
        "lon": 44.30,
        "altitude_m": 80,
        "remote_id": never_sold.remote_id,
    }
    response = requests.post(
        f"{live_server.url}/api/v1/tracks/reports/",
        json={"reports": [sighting]},
        headers={"Authorization": f"Token {get_api_token(user=radar).key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    hostile = console.locator("#notifications li.hostile")
    expect(hostile).to_have_count(1)
    expect(hostile).to_contain_text("imported by Babylon Drone Imports on 2026-11-02, never sold")
