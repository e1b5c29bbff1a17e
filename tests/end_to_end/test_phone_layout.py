"""Every page of every role on a 390 px phone and on a desktop, in headless Chromium: nothing is wider
than the screen (no sideways scrolling), and the header's navigation, the user's name and Log out
are on the screen. The pages are found as a person finds them — by following the navigation of each
role — so a page added later is checked without being named here. Each page's screenshot is the
gallery of docs/screenshots/pages/ (`make screenshots`)."""

import pytest

from airspace import roles
from permits.models import State
from tests.conftest import PASSWORD, square
from tests.fixtures_browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# Third-party pages (the API's interactive docs, the admin) keep their own layout.
NOT_OURS = ("/api/", "/admin/")


@pytest.fixture
def people(make_user, make_permit, make_zone):
    make_zone(name="Green Zone", kind="prohibited", area=square(44.39, 33.31, 0.01))
    pilot = make_user(roles.OPERATOR, username="pilot", organization="Tigris Aerial Media")
    permit = make_permit(state=State.SUBMITTED, owner=pilot)
    make_user(roles.COMMAND_STAFF, username="officer")
    make_user(roles.SENIOR_OFFICER, username="senior")
    make_user(roles.AIR_DEFENSE, username="airdefense")
    make_user(roles.DEALER, username="dealer", organization="Babylon Drone Imports")
    return {"pilot": permit, "officer": permit, "senior": permit, "airdefense": None, "dealer": None}


def pages_of(page, base_url, permit):
    """The role's pages: each link of its navigation, and the permit it can open."""
    links = page.eval_on_selector_all("header.site nav a", "links => links.map((link) => link.href)")
    paths = {"/"} | {link.removeprefix(base_url) for link in links if link.startswith(base_url)}
    if permit is not None:
        paths.add(f"/permits/{permit.pk}/")
    return sorted(path for path in paths if not path.startswith(NOT_OURS))


def assert_fits(page, path, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{path} is {scroll_width} px wide on a {width} px screen"
    for selector in ("header.site nav", "header.site .who", "header.site button"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
            f"{path}: {selector} is off the screen ({box})"
        )


@pytest.mark.parametrize("username", ["pilot", "officer", "senior", "airdefense", "dealer"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_page_is_wider_than_the_screen(live_server, signed_in, people, username, viewport):
    page = signed_in(username, PASSWORD, viewport=viewport)
    paths = pages_of(page, live_server.url, people[username])
    assert len(paths) >= 2, paths
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert_fits(page, path, viewport["width"])
        # The gallery of every page (docs/screenshots/pages/, linked from the README).
        slug = "permit" if path.rstrip("/").split("/")[-1].isdigit() else path.strip("/").replace("/", "-") or "home"
        screenshot(page, f"pages/{username}-{slug}{'-phone' if viewport is PHONE else ''}.png")


def test_a_list_becomes_one_labelled_card_per_row_on_a_phone(live_server, signed_in, people):
    page = signed_in("officer", PASSWORD, viewport=PHONE)
    page.goto(f"{live_server.url}/review/")
    first_cell = page.locator("main table tbody tr").first.locator("td").first
    label = first_cell.get_attribute("data-label")
    assert label, "the cell carries its column's name"
    shown = first_cell.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label in shown
    assert page.locator("main table thead").bounding_box()["height"] <= 1
