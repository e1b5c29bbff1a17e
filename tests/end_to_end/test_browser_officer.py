"""The officer's pages in a real headless Chromium: a permit approved in one step from its page, a
referral reaching the senior officer's queue and approved there, a drone verified from the
verification queue, and the pilot reading both in their notices — on a desktop and a 390 px phone."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from airspace import roles
from airspace.registry.models import Aircraft
from airspace.zones.models import RestrictedZone
from permits.models import State
from tests.conftest import PASSWORD
from tests.fixtures_browser import screenshot
from tests.fixtures_permits import DEFAULT_AREA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def assert_fits(page, width):
    """No horizontal scrolling: nothing on the page is wider than the viewport."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """(width) => Array.from(document.querySelectorAll("body *"))
            .filter((element) => element.getBoundingClientRect().right > width)
            .slice(0, 5).map((element) => `${element.tagName}#${element.id}.${element.className}`)""",
        width,
    )
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide: {wide}"


def test_the_officer_approves_in_one_step_and_the_pilot_is_told(live_server, signed_in, make_user, make_permit):
    pilot = make_user(roles.OPERATOR, username="pilot", organization="Tigris Aerial Media")
    make_user(roles.COMMAND_STAFF, username="duty")
    permit = make_permit(state=State.SUBMITTED, owner=pilot)

    page = signed_in("duty", PASSWORD)
    page.goto(f"{live_server.url}/review/")
    page.click(f"#queue a:text('{permit.reference}')")
    expect(page.locator("#permit-state")).to_have_text("Submitted")
    expect(page.locator("form[data-transition=start-review]")).to_have_count(0)
    page.check("#decision-form input[value=approve]")
    page.fill("#decision-reason", "Clear of the airport approach")
    page.click("#decide-button")
    expect(page.locator(".messages")).to_contain_text(f"{permit.reference} is now approved")
    expect(page).to_have_url(f"{live_server.url}/review/")

    page.goto(f"{live_server.url}/permits/{permit.pk}/")
    history = page.locator("#history")
    expect(history).to_contain_text("Review started by duty")
    expect(history).to_contain_text("Approved by duty: “Clear of the airport approach”")
    expect(history).not_to_contain_text("start_review")

    pilot_page = signed_in("pilot", PASSWORD)
    pilot_page.goto(f"{live_server.url}/permits/")
    expect(pilot_page.locator("#nav-notices .count")).to_have_text("1")
    pilot_page.click("#nav-notices")
    notice = pilot_page.locator("#notices li[data-kind='permit.approved']")
    expect(notice).to_contain_text(f"Permit {permit.reference} is approved")


def test_a_referral_reaches_the_senior_officer_who_approves_it(
    live_server, signed_in, make_user, make_permit, make_zone, make_aircraft
):
    pilot = make_user(roles.OPERATOR, username="pilot", organization="Tigris Aerial Media")
    make_user(roles.COMMAND_STAFF, username="duty")
    make_user(roles.SENIOR_OFFICER, username="senior")
    make_zone(name="Embassy Row", kind=RestrictedZone.Kind.RESTRICTED, area=DEFAULT_AREA)
    other = make_permit(state=State.SUBMITTED)  # flies sooner, no referral
    permit = make_permit(state=State.SUBMITTED, owner=pilot, starts_in=timedelta(hours=5))
    drone = make_aircraft(pilot.operator_membership.operator, status=Aircraft.Status.PENDING, serial_number="DJI-NEW-7")

    duty = signed_in("duty", PASSWORD)
    duty.goto(f"{live_server.url}/permits/{permit.pk}/")
    expect(duty.locator("#decision-form input[value=approve]")).to_have_count(0)  # a senior officer must approve
    expect(duty.locator("#blocked, #touched-zones")).to_contain_text(["Embassy Row"])
    duty.check("#decision-form input[value=refer]")
    expect(duty.locator("#decision-reason-label")).to_contain_text("Why a senior officer is needed")
    duty.click("#decide-button")  # the reason is required: the browser holds the form back
    expect(duty).to_have_url(f"{live_server.url}/permits/{permit.pk}/")
    duty.fill("#decision-reason", "Touches Embassy Row")
    duty.click("#decide-button")
    expect(duty.locator(".messages")).to_contain_text(f"{permit.reference} is referred to a senior officer")
    row = duty.locator(f"#queue tr[data-reference='{permit.reference}']")
    expect(row).to_contain_text("Senior officer needed")
    expect(row).to_contain_text("Embassy Row")

    # The verification queue, while the officer is there: the pilot's new drone, verified.
    duty.click("#nav-verification")
    expect(duty.locator("#nav-verification .count")).to_have_text("1")
    duty.locator(f"#verification-queue tr[data-serial='{drone.serial_number}'] button", has_text="Verify").click()
    expect(duty.locator(".messages")).to_contain_text(f"{drone.serial_number} is now registered")
    expect(duty.locator("#nav-verification .count")).to_have_count(0)

    senior = signed_in("senior", PASSWORD)
    senior.goto(f"{live_server.url}/review/")
    references = senior.locator("#queue tbody tr").evaluate_all("rows => rows.map((row) => row.dataset.reference)")
    assert references == [permit.reference, other.reference]  # referred first, for a senior officer
    expect(senior.locator("#queue tbody tr").first).to_contain_text("Senior officer needed")
    senior.click(f"#queue a:text('{permit.reference}')")
    expect(senior.locator("#senior-needed")).to_have_text("Senior officer needed")
    expect(senior.locator("#history")).to_contain_text("Referred to a senior officer by duty: “Touches Embassy Row”")
    senior.check("#decision-form input[value=approve]")
    senior.click("#decide-button")
    expect(senior.locator(".messages")).to_contain_text(f"{permit.reference} is now approved")

    pilot_page = signed_in("pilot", PASSWORD)
    pilot_page.goto(f"{live_server.url}/notices/")
    expect(pilot_page.locator("#notices li[data-kind='aircraft.verified']")).to_contain_text(
        f"Aircraft {drone.serial_number}"
    )
    expect(pilot_page.locator("#notices li[data-kind='aircraft.verified']")).to_contain_text("is verified")
    expect(pilot_page.locator("#notices li[data-kind='permit.approved']")).to_contain_text(permit.reference)
    pilot_page.locator("#notices li[data-kind='aircraft.verified'] button").click()
    expect(pilot_page.locator("#notices li.unread")).to_have_count(1)
    expect(pilot_page.locator("#nav-notices .count")).to_have_text("1")


def test_the_officers_pages_fit_a_phone_and_a_desktop(
    live_server, signed_in, make_user, make_permit, make_zone, make_aircraft, officer
):
    """Each page this work changed, at 390 px and at 1280 px: no horizontal scrolling; screenshots of
    the new pages for docs/screenshots/ (UPDATE_SCREENSHOTS=1)."""
    from airspace.registry.services import verify_aircraft
    from permits import services

    pilot = make_user(roles.OPERATOR, username="pilot", organization="Tigris Aerial Media Production House")
    make_user(roles.COMMAND_STAFF, username="duty")
    make_user(roles.SENIOR_OFFICER, username="senior")
    make_zone(name="Embassy Row", kind=RestrictedZone.Kind.RESTRICTED, area=DEFAULT_AREA)
    referred = make_permit(state=State.SUBMITTED, owner=pilot)
    services.decide_permit(permit_id=referred.pk, officer=officer, decision="refer", reason="Touches Embassy Row")
    make_permit(state=State.SUBMITTED)
    decided = make_permit(state=State.SUBMITTED, owner=pilot)
    services.decide_permit(permit_id=decided.pk, officer=officer, decision="request_changes", reason="Lower to 90 m")
    operator = pilot.operator_membership.operator
    for number in range(3):
        make_aircraft(operator, status=Aircraft.Status.PENDING, serial_number=f"DJI-MAVIC3-PENDING-{number:04d}")
    verify_aircraft(aircraft_id=make_aircraft(operator, status=Aircraft.Status.PENDING).pk, officer=officer)

    pages = {
        "senior": [
            (f"/permits/{referred.pk}/", "permit-decision"),
            ("/review/", "review-queue"),
            ("/aircraft/verification/", "verification-queue"),
            ("/aircraft/", None),
            ("/permits/", None),
        ],
        "pilot": [
            ("/notices/", "notices"),
            (f"/permits/{decided.pk}/", None),
            ("/permits/new/", None),
            ("/permits/", None),
            ("/aircraft/", None),
        ],
    }
    for username, paths in pages.items():
        for viewport, suffix in (({"width": 1280, "height": 900}, ""), (PHONE, "-phone")):
            page = signed_in(username, PASSWORD, viewport=viewport)
            for path, name in paths:
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("load")
                assert_fits(page, viewport["width"])
                if name:
                    screenshot(page, f"{name}{suffix}.png")
