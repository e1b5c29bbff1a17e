"""The zones page: every error of the form at once
through Django's test client (the browser tests in tests/end_to_end/ do the same in Chromium)."""

import json

import pytest

from tests.conftest import square
from tests.fixtures_pages import INTERNAL_NAME, shown_errors

pytestmark = pytest.mark.django_db


def test_the_zone_form_reports_a_missing_name_area_and_an_upside_down_band_together(officer, browser_for):
    form = {
        "name": "",
        "kind": "restricted",
        "area": "",
        "radius_m": "",
        "min_altitude_m": "500",
        "max_altitude_m": "100",
    }
    response = browser_for(officer).post("/zones/", form)
    assert response.status_code == 400
    errors = response.context["errors"]
    assert errors["name"] == ["Give the zone a name."]
    assert errors["area"] == ["Draw the zone on the map: a polygon or a circle."]
    assert "max_altitude_m" in errors


POINT = json.dumps({"type": "Point", "coordinates": [44.3, 33.25]})


@pytest.mark.parametrize(
    "changes",
    [
        {"min_altitude_m": "500", "max_altitude_m": "100"},
        {"min_altitude_m": "-1"},
        {"radius_m": "5"},
        {"radius_m": ""},
        {"area": json.dumps(square(44.0, 33.0)), "radius_m": "100"},
        {"kind": "forbidden"},
    ],
    ids=lambda changes: "-".join(changes),
)
def test_no_zone_form_error_names_an_internal_field(officer, browser_for, changes):
    form = {
        "name": "Embassy row",
        "kind": "prohibited",
        "area": POINT,
        "radius_m": "600",
        "min_altitude_m": "0",
        "max_altitude_m": "2000",
        **changes,
    }
    response = browser_for(officer).post("/zones/", form)
    assert response.status_code == 400
    shown = shown_errors(response.content.decode())
    assert shown
    assert not [message for message in shown if INTERNAL_NAME.search(message)], shown
