"""The zones page: every error of the form at once
through Django's test client (the browser tests in tests/end_to_end/ do the same in Chromium)."""

import pytest

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
