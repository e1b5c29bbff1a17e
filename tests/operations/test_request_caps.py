"""What one request may make a process hold (docs/SIZING.md "What one request may allocate"): each
cap answers 400 or 413 naming its limit, and a request at the limit still passes."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from airspace import roles
from airspace.web.api_defaults import LimitOffsetPagination
from permits.models import State

from .test_metrics import unregistered

pytestmark = pytest.mark.django_db


def test_a_zones_export_past_export_max_features_is_a_400_naming_the_limit(settings, make_zone, client_for, make_user):
    settings.EXPORT_MAX_FEATURES = 2
    reader = client_for(make_user(roles.COMMAND_STAFF))
    make_zone(), make_zone()
    assert reader.get("/api/v1/zones/export/geojson/").status_code == 200
    make_zone()
    refused = reader.get("/api/v1/zones/export/geojson/")
    assert refused.status_code == 400
    assert "EXPORT_MAX_FEATURES=2" in refused.json()["detail"]


def test_a_permits_export_past_export_max_features_is_a_400(settings, make_permit, client_for, officer):
    settings.EXPORT_MAX_FEATURES = 1
    make_permit(state=State.APPROVED)
    assert client_for(officer).get("/api/v1/permits/export/kml/").status_code == 200
    make_permit(state=State.APPROVED)
    refused = client_for(officer).get("/api/v1/permits/export/kml/")
    assert refused.status_code == 400
    assert "EXPORT_MAX_FEATURES=1" in refused.json()["detail"]


def test_a_report_batch_past_track_report_batch_max_is_a_400_naming_it(settings, client_for, sensor_user):
    settings.TRACK_REPORT_BATCH_MAX = 3
    sensor = client_for(sensor_user)
    at_limit = {"reports": [unregistered(f"c-{n}") for n in range(3)]}
    assert sensor.post("/api/v1/tracks/reports/", at_limit, format="json").status_code == 200
    over = sensor.post(
        "/api/v1/tracks/reports/", {"reports": [unregistered(f"c-{n}") for n in range(4)]}, format="json"
    )
    assert over.status_code == 400
    assert "3" in str(over.json())


def test_a_body_past_data_upload_max_memory_size_is_a_413(settings, client_for, sensor_user):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = b'{"reports": [' + b",".join([b'{"sensor_track_id": "x"}'] * 1000) + b"]}"
    response = client_for(sensor_user).post("/api/v1/tracks/reports/", body, content_type="application/json")
    assert response.status_code == 413
    assert "10,000 bytes" in str(response.json())


def test_a_list_page_is_cut_to_its_most_rows():
    # ?limit= past the pagination's max_limit reads as max_limit (1,000), never a whole table.
    request = Request(APIRequestFactory().get("/api/v1/permits/", {"limit": "1000000"}))
    assert LimitOffsetPagination().get_limit(request) == LimitOffsetPagination.max_limit == 1000
