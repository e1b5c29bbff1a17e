"""The bulk import of a shipment from a CSV file: a dry run lists every row's problem by line and
field; the import is all or nothing; 500 rows are checked and written in one quick request."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from airspace import roles
from airspace.trade.models import ImportedDrone, Shipment

from .conftest import CSV_HEADER, shipment_csv

pytestmark = pytest.mark.django_db
UPLOAD = "/api/v1/imports/shipments/upload/"
# Three rows spoiled three ways: a category nobody makes, a mass of zero, a Remote ID twice.
BAD_ROWS = {41: {"category": "balloon"}, 250: {"mtow_kg": "0"}, 498: {"remote_id": "CSV-RID-00007"}}


def upload(client, content, *, reference="CUS-2026-0500", dry_run=False):
    return client.post(
        UPLOAD,
        {
            "customs_reference": reference,
            "imported_on": "2026-11-02",
            "dry_run": "true" if dry_run else "false",
            "file": SimpleUploadedFile("shipment.csv", content, content_type="text/csv"),
        },
        format="multipart",
    )


def test_500_rows_with_3_bad_ones_are_refused_whole_with_the_3_rows_named(client_for, dealer_user):
    response = upload(client_for(dealer_user), shipment_csv(500, bad=BAD_ROWS))
    assert response.status_code == 400
    body = response.json()
    assert body["rows"] == 500
    # File lines: the header is line 1, row index i is line i + 2.
    assert [(problem["line"], problem["field"]) for problem in body["problems"]] == [
        (43, "category"),
        (252, "mtow_kg"),
        (500, "remote_id"),
    ]
    assert body["problems"][0]["message"] == '"balloon" is not a valid choice.'
    assert body["problems"][2]["message"] == "This Remote ID is also on line 9."
    assert not Shipment.objects.exists() and not ImportedDrone.objects.exists()


def test_the_fixed_file_is_accepted_after_a_dry_run_that_imports_nothing(client_for, dealer_user):
    client = client_for(dealer_user)
    dry = upload(client, shipment_csv(500), dry_run=True)
    assert dry.status_code == 200 and dry.json() == {"rows": 500, "problems": []}
    assert not ImportedDrone.objects.exists()

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = upload(client, shipment_csv(500))
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.json()
    assert len(response.json()["drones"]) == 500
    assert ImportedDrone.objects.filter(shipment__customs_reference="CUS-2026-0500").count() == 500
    # Checked and written in a fixed number of statements, not one per row (the answer's own reads included).
    assert len(queries) < 30, len(queries)
    assert elapsed < 10, elapsed


def test_a_second_upload_of_the_same_drones_names_every_row(client_for, dealer_user):
    client = client_for(dealer_user)
    assert upload(client, shipment_csv(20)).status_code == 201
    again = upload(client, shipment_csv(20), reference="CUS-OTHER")
    assert again.status_code == 400
    assert len(again.json()["problems"]) == 40  # serial number and Remote ID of each row
    assert Shipment.objects.count() == 1


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The submitted file is empty."),
        (b"name,colour\n", "The first line must name the columns"),
        (b"serial,remote\nA,B\n", "missing: serial_number, remote_id"),
        ((CSV_HEADER + "\n").encode(), "The file has no drones after its header line."),
        ("serial_number\n\xff".encode("latin-1"), "not UTF-8"),
    ],
)
def test_a_file_that_is_not_a_shipment_is_a_400_on_the_file(client_for, dealer_user, content, message):
    response = upload(client_for(dealer_user), content)
    assert response.status_code == 400 and message in response.json()["file"][0], response.json()


@pytest.mark.parametrize("field, value", [("customs_reference", ""), ("imported_on", "2 Nov")])
def test_the_shipment_fields_are_checked(client_for, dealer_user, field, value):
    body = {"customs_reference": "CUS-1", "imported_on": "2026-11-02", "file": SimpleUploadedFile("s.csv", b"x")}
    body[field] = value
    response = client_for(dealer_user).post(UPLOAD, body, format="multipart")
    assert response.status_code == 400 and field in response.json()


def test_a_customs_reference_is_recorded_once(client_for, dealer_user, make_shipment):
    make_shipment(dealer_user, customs_reference="CUS-DUP")
    response = upload(client_for(dealer_user), shipment_csv(2), reference="CUS-DUP")
    assert response.status_code == 400 and "customs_reference" in response.json()


def test_the_upload_page_lists_the_problems_and_imports_the_fixed_file(client, dealer_user, make_user):
    client.force_login(dealer_user)

    def post(content, intent):
        return client.post(
            "/dealer/import/",
            {
                "customs_reference": "CUS-PAGE",
                "imported_on": "2026-11-02",
                "intent": intent,
                "file": SimpleUploadedFile("shipment.csv", content),
            },
        )

    refused = post(shipment_csv(500, bad=BAD_ROWS), "import")
    page = refused.content.decode()
    assert refused.status_code == 400 and "3 of 500 rows need fixing" in page
    for line in (43, 252, 500):
        assert f'data-line="{line}"' in page
    assert not ImportedDrone.objects.exists()
    checked = post(shipment_csv(500), "check")
    assert checked.status_code == 200 and "All 500 rows are fine" in checked.content.decode()
    assert not ImportedDrone.objects.exists()
    imported = post(shipment_csv(500), "import")
    assert imported.status_code == 302 and ImportedDrone.objects.count() == 500
    client.force_login(make_user(roles.COMMAND_STAFF))
    assert post(shipment_csv(1), "import").status_code == 403


def test_a_shipment_past_its_most_drones_is_a_400_naming_the_limit(client_for, dealer_user):
    # A cap on what one request may hold in memory (docs/SIZING.md): 2,000 drones a shipment.
    response = upload(client_for(dealer_user), shipment_csv(2001))
    assert response.status_code == 400
    assert response.json()["file"] == ["A shipment may have at most 2,000 drones."]
