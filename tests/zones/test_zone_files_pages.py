"""The zones page's file block and the import preview in headless Chromium: a file chosen, previewed,
imported; both pages fit a 390 px phone."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from airspace import roles
from airspace.zones.models import RestrictedZone
from tests.conftest import PASSWORD
from tests.fixtures_browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ED318 = Path(__file__).parent / "samples" / "interuss_cis_source_sample_ed318.json"


@pytest.mark.parametrize(
    ("viewport", "suffix"), [({"width": 1280, "height": 900}, ""), ({"width": 390, "height": 844}, "-phone")]
)
def test_a_file_is_previewed_then_imported_from_the_zones_page(make_user, signed_in, live_server, viewport, suffix):
    make_user(roles.COMMAND_STAFF, username="officer")
    page = signed_in("officer", PASSWORD, viewport=viewport)
    page.goto(f"{live_server.url}/zones/")
    page.set_input_files("#zone-file", str(ED318))
    page.click("#zone-import-form button[type=submit]")
    expect(page.locator("#import-plan tr[data-change=new]")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"zones-import-preview{suffix}.png")
    assert not RestrictedZone.objects.exists()
    page.click("#apply-import button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("3 new, 0 changed, 0 unchanged, 0 deactivated")
    expect(page.locator("#zones tbody tr")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"zones-files{suffix}.png")
