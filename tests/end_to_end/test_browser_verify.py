"""The checkpoint's verification page in a real headless Chromium: the QR code the permit page shows
is read from a photo of it and verified with the network cut off (the page served by its service
worker); a revoked permit shows as revoked when online; an altered code is invalid. On a phone."""

import base64
import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from airspace import roles
from permits import services
from permits.models import State
from tests.conftest import PASSWORD
from tests.fixtures_browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def checkpoint(chromium, live_server):
    """checkpoint(viewport) -> a page of a fresh browser (nobody signed in) on the verification page."""
    contexts, errors = [], []

    def open_page(viewport=PHONE):
        context = chromium.new_context(viewport=viewport, timezone_id="UTC")
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{live_server.url}/verify/")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, errors


@pytest.fixture
def flight(make_user, make_aircraft, make_permit):
    """An approved permit whose window has just started, of an operator who can sign in."""
    pilot = make_user(roles.OPERATOR, username="pilot", organization="Tigris Aerial Media")
    aircraft = make_aircraft(pilot.operator_membership.operator, serial_number="DJI-M3-0042", remote_id="RID-0042")
    return make_permit(State.APPROVED, owner=pilot, aircraft=aircraft, starts_in=timedelta(minutes=-2), hours=3)


def altered(token):
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["ac"] = "SOMEONE-ELSES-DRONE"
    return f"{header}.{base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b'=').decode()}.{signature}"


def test_the_permit_pages_qr_code_is_verified_offline(flight, signed_in, checkpoint, live_server, tmp_path):
    # The operator's permit page shows the signed code; a photo of it is what the soldier scans.
    permit_page = signed_in("pilot", PASSWORD)
    permit_page.goto(f"{live_server.url}/permits/{flight.pk}/")
    qr = permit_page.locator("#permit-qr svg")
    expect(qr).to_be_visible()
    photo = tmp_path / "qr.png"
    photo.write_bytes(qr.screenshot())
    screenshot(permit_page, "permit-signed-code.png")  # looked at, not committed (not this task's page)

    page = checkpoint()
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # Cut the network, then open the page again: it comes from the phone's own copy.
    page.context.set_offline(True)
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.reload()
    expect(page.locator("h1")).to_have_text("Verify a flight permit")
    page.wait_for_load_state("load")
    assert failed == []  # the page and every file it loads came from the phone's copy
    page.set_input_files("#photo", str(photo))
    expect(page.locator("#verdict-word")).to_have_text("VALID")
    expect(page.locator("#claim-ref")).to_have_text(flight.reference)
    expect(page.locator("#claim-ac")).to_have_text("DJI-M3-0042")
    expect(page.locator("#claim-rid")).to_have_text("RID-0042")
    expect(page.locator("#revocation")).to_contain_text("Not checked: no network")
    expect(page.locator("#volume polygon")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "verify-phone.png")

    # An altered code fails the signature, offline too.
    page.fill("#token", altered(flight.signature.token))
    page.click("#check")
    expect(page.locator("#verdict-word")).to_have_text("INVALID")
    expect(page.locator("#verdict-reason")).to_contain_text("altered or forged")


def test_a_revoked_permit_shows_revoked_when_online(flight, checkpoint, senior_officer, live_server):
    page = checkpoint(viewport={"width": 1280, "height": 900})
    page.fill("#token", flight.signature.token)
    page.click("#check")
    expect(page.locator("#verdict-word")).to_have_text("VALID")
    expect(page.locator("#revocation")).to_contain_text("Not revoked")
    screenshot(page, "verify.png")

    services.revoke_permit(permit_id=flight.pk, officer=senior_officer, reason="Airspace closed for an event")
    page.click("#check")
    expect(page.locator("#verdict-word")).to_have_text("REVOKED")
    expect(page.locator("#revocation")).to_contain_text("REVOKED by the authority")


def test_a_code_not_yet_in_its_window_says_so(make_permit, checkpoint):
    later = make_permit(State.APPROVED, starts_in=timedelta(hours=5))
    page = checkpoint()
    page.goto(page.url + "#" + later.signature.token)
    expect(page.locator("#verdict-word")).to_have_text("NOT YET VALID")
