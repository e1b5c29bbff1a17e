"""Zone files in and out: ED-269 and ED-318 (public InterUSS samples), GeoJSON and KML; a dry run
that changes nothing, an import that is all or nothing, bad files named to the feature and field,
and exports that read back unchanged."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from airspace.zones.models import RestrictedZone
from permits.models import State
from tests.conftest import square

SAMPLES = Path(__file__).parent / "samples"
ED269 = SAMPLES / "interuss_cis_source_sample_ed269.json"
ED318 = SAMPLES / "interuss_cis_source_sample_ed318.json"
GEOJSON = SAMPLES / "event_zones.geojson"
KML = SAMPLES / "river_zones.kml"


def upload(client, content, name="zones.json", **fields):
    file = io.BytesIO(content if isinstance(content, bytes) else content.encode())
    file.name = name
    return client.post("/api/v1/zones/import/", {"file": file, **fields}, format="multipart")


NO_KIND = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "properties": {"name": "X", "max_altitude_m": 100}, "geometry": square(44.3, 33.3)}
    ],
}


def snapshot():
    return list(RestrictedZone.objects.order_by("pk").values())


def test_a_dry_run_of_the_ed269_sample_says_what_is_new_and_stores_nothing(officer, client_for):
    answer = upload(client_for(officer), ED269.read_bytes(), dry_run="true")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["format"] == "ed269"
    assert answer.json()["dry_run"] is True
    assert answer.json()["new"] == [{"name": "LSXX City Sample", "identifier": "LSXX", "kind": "restricted"}]
    assert not RestrictedZone.objects.exists()


def test_the_ed269_sample_imports_as_a_restricted_zone_and_again_unchanged(officer, client_for):
    client = client_for(officer)
    assert upload(client, ED269.read_bytes()).status_code == 200
    zone = RestrictedZone.objects.get()
    assert (zone.identifier, zone.name, zone.kind) == ("LSXX", "LSXX City Sample", "restricted")
    assert (zone.min_altitude_m, zone.max_altitude_m) == (0, 99_999)  # upperLimit null: no ceiling
    assert zone.area["coordinates"][0][0] == [6.1664857, 46.2170245]
    assert zone.schedule == []  # permanent: YES
    assert zone.created_by == officer
    again = upload(client, ED269.read_bytes(), dry_run="true").json()
    assert again["unchanged"] == [{"name": "LSXX City Sample", "identifier": "LSXX"}]
    assert again["new"] == again["changed"] == []


def test_the_ed318_sample_imports_its_three_geozones(officer, client_for):
    answer = upload(client_for(officer), ED318.read_bytes())
    assert answer.status_code == 200, answer.json()
    assert answer.json()["format"] == "ed318"
    zones = {zone.identifier: zone for zone in RestrictedZone.objects.all()}
    assert set(zones) == {"LSZB003", "BLns058", "LSTB002"}
    assert zones["LSZB003"].name == "LSZB Bern-Belp 2"
    assert zones["BLns058"].name == "Protected natural object Langmatt"  # the English of four names
    assert zones["LSZB003"].min_altitude_m == 60
    assert all(zone.kind == "restricted" for zone in zones.values())


def test_geojson_and_kml_samples_import_with_schedules_circles_and_names(officer, client_for):
    client = client_for(officer)
    assert upload(client, GEOJSON.read_bytes(), name="events.geojson").status_code == 200
    answer = upload(client, KML.read_bytes(), name="rivers.kml")
    assert answer.status_code == 200, answer.json()
    visit = RestrictedZone.objects.get(identifier="EVT0001")
    assert visit.kind == "prohibited"
    assert visit.schedule == [{"starts_at": "2026-12-10T05:00:00Z", "ends_at": "2026-12-10T17:00:00Z", "daily": None}]
    stadium = RestrictedZone.objects.get(identifier="EVT0002")
    assert stadium.radius_m == 800 and stadium.area["type"] == "Point"
    assert stadium.schedule[0]["daily"] == {"start": "15:00", "end": "21:00", "days": ["FRI", "SAT"]}
    bridge = RestrictedZone.objects.get(name="Al-Jadriya bridge")
    assert (bridge.identifier, bridge.kind, bridge.max_altitude_m) == ("BRG0001", "restricted", 300)
    assert RestrictedZone.objects.get(name="Al-Sarafiya bridge").kind == "prohibited"


@pytest.mark.parametrize("file_format", ["ed269", "geojson", "kml"])
def test_an_export_reads_back_unchanged(file_format, officer, client_for, make_zone):
    client = client_for(officer)
    make_zone(name="Ministry", area=square(44.40, 33.30))
    circle = make_zone(
        name="Airport", kind="restricted", area={"type": "Point", "coordinates": [44.23, 33.26]}, radius_m=3000
    )
    circle.identifier = "ORBI01"
    circle.schedule = [
        {"starts_at": "2026-12-01T06:00:00Z", "ends_at": None, "daily": {"start": "22:00", "end": "04:00", "days": []}}
    ]
    circle.description = "Night closure"
    circle.save()
    exported = client.get(f"/api/v1/zones/export/{file_format}/")
    assert exported.status_code == 200
    assert "attachment" in exported["Content-Disposition"]
    plan = upload(client, exported.content, name=f"zones.{file_format}", dry_run="true").json()
    assert sorted(zone["name"] for zone in plan["unchanged"]) == ["Airport", "Ministry"], plan
    assert plan["new"] == plan["changed"] == plan["deactivated"] == []


def test_a_changed_file_shows_the_changed_fields_and_the_zones_it_no_longer_has(officer, client_for):
    client = client_for(officer)
    upload(client, GEOJSON.read_bytes())
    collection = json.loads(GEOJSON.read_text())
    collection["features"][0]["properties"]["max_altitude_m"] = 900
    del collection["features"][1]
    before = snapshot()
    plan = upload(client, json.dumps(collection), dry_run="true", deactivate_missing="true").json()
    assert plan["changed"] == [
        {
            "name": "State visit, International Zone",
            "identifier": "EVT0001",
            "was": "State visit, International Zone",
            "fields": ["max_altitude_m"],
        }
    ]
    assert plan["deactivated"] == [{"name": "Stadium, match days", "identifier": "EVT0002"}]
    assert snapshot() == before  # a dry run changes nothing
    upload(client, json.dumps(collection), deactivate_missing="true")
    assert RestrictedZone.objects.get(identifier="EVT0001").max_altitude_m == 900
    assert RestrictedZone.objects.get(identifier="EVT0002").active is False


@pytest.mark.parametrize(
    ("change", "feature", "field"),
    [
        (
            lambda zone: zone["geometry"][0].update(upperLimit="high"),
            '1 ("LSXX City Sample")',
            "geometry[0].upperLimit",
        ),
        (lambda zone: zone.update(restriction="MAYBE"), '1 ("LSXX City Sample")', "restriction"),
        (
            lambda zone: zone["geometry"][0].update(
                horizontalProjection={"type": "Polygon", "coordinates": [[[6.1, 46.2]]]}
            ),
            '1 ("LSXX City Sample")',
            "geometry[0].horizontalProjection",
        ),
        (
            lambda zone: zone["geometry"][0].update(lowerVerticalReference="SEA"),
            '1 ("LSXX City Sample")',
            "geometry[0].lowerVerticalReference",
        ),
        (
            lambda zone: zone.update(applicability=[{"permanent": "NO", "startDateTime": "tomorrow"}]),
            '1 ("LSXX City Sample")',
            "applicability",
        ),
    ],
)
def test_a_bad_ed269_file_is_a_400_naming_the_feature_and_field_and_stores_nothing(
    change, feature, field, officer, client_for
):
    document = json.loads(ED269.read_text())
    good = json.loads(json.dumps(document["UASZoneList"][0]))
    good.update(identifier="GOOD1", name="A good zone before the bad one")
    change(document["UASZoneList"][0])
    document["UASZoneList"].insert(0, good)
    answer = upload(client_for(officer), json.dumps(document))
    assert answer.status_code == 400
    body = answer.json()
    feature = feature.replace("1 (", "2 (")  # the good zone comes first
    assert body["feature"] == feature
    assert body["field"] == field
    assert f"Feature {feature} field {field}:" in body["file"][0]
    assert not RestrictedZone.objects.exists()  # not even the good zone


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        ("<kml><Document><Placemark>", "broken.kml", "The KML cannot be read"),
        (
            json.dumps(NO_KIND),
            "x.geojson",
            'Feature 1 ("X") field properties.kind: must be prohibited or restricted',
        ),
        ("[1, 2]", "x.json", "must be a JSON object"),
        ("not json at all", "x.json", "neither JSON nor KML"),
    ],
)
def test_other_bad_files_are_400s_that_say_what_is_wrong(content, name, expected, officer, client_for):
    answer = upload(client_for(officer), content, name=name)
    assert answer.status_code == 400
    assert expected in answer.json()["file"][0]
    assert not RestrictedZone.objects.exists()


def test_two_features_with_one_identifier_are_refused(officer, client_for):
    collection = json.loads(GEOJSON.read_text())
    collection["features"][1]["properties"]["identifier"] = "EVT0001"
    answer = upload(client_for(officer), json.dumps(collection))
    assert answer.status_code == 400
    assert "'EVT0001' is also the identifier of feature 1" in answer.json()["file"][0]


def test_only_command_staff_import_and_everyone_signed_in_exports(operator_user, client_for, make_zone):
    make_zone(name="Ministry")
    assert upload(client_for(operator_user), ED269.read_bytes(), dry_run="true").status_code == 403
    exported = client_for(operator_user).get("/api/v1/zones/export/geojson/")
    assert exported.status_code == 200
    assert [feature["properties"]["name"] for feature in json.loads(exported.content)["features"]] == ["Ministry"]


def test_a_prohibited_zone_imported_over_a_permit_in_effect_revokes_it(officer, client_for, make_permit):
    permit = make_permit(State.APPROVED, area=square(44.39, 33.31))
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": square(44.39, 33.31, 0.02),
                "properties": {"name": "Closed", "kind": "prohibited", "max_altitude_m": 1000},
            }
        ],
    }
    answer = upload(client_for(officer), json.dumps(collection))
    assert answer.json()["revoked_permits"] == [permit.reference]
    permit.refresh_from_db()
    assert permit.state == State.REVOKED


def test_the_permits_in_effect_export_to_each_format(make_permit, client_for, air_defense_user, other_operator_user):
    permit = make_permit(State.APPROVED)
    make_permit(State.UNDER_REVIEW)
    geojson = json.loads(client_for(air_defense_user).get("/api/v1/permits/export/geojson/").content)
    assert [feature["properties"]["reference"] for feature in geojson["features"]] == [permit.reference]
    assert geojson["features"][0]["properties"]["remote_id"] == permit.aircraft.remote_id
    ed269 = json.loads(client_for(air_defense_user).get("/api/v1/permits/export/ed269/").content)
    entry = ed269["UASZoneList"][0]
    assert (entry["identifier"], entry["restriction"]) == (permit.reference, "CONDITIONAL")
    assert entry["applicability"][0]["startDateTime"] == permit.starts_at.isoformat().replace("+00:00", "Z")
    kml = client_for(air_defense_user).get("/api/v1/permits/export/kml/")
    assert kml["Content-Type"] == "application/vnd.google-earth.kml+xml"
    assert permit.reference.encode() in kml.content
    theirs = json.loads(client_for(other_operator_user).get("/api/v1/permits/export/geojson/").content)
    assert theirs["features"] == []


def test_import_zones_command_dry_run_then_import(officer, capsys, tmp_path):
    call_command("import_zones", str(ED318), "--dry-run")
    output = capsys.readouterr().out
    assert "new: LSZB Bern-Belp 2 [LSZB003] (restricted)" in output
    assert "Dry run: nothing was changed." in output
    assert not RestrictedZone.objects.exists()
    with pytest.raises(CommandError, match="--officer"):
        call_command("import_zones", str(ED318))
    call_command("import_zones", str(ED318), "--officer", officer.username)
    assert RestrictedZone.objects.count() == 3
    bad = tmp_path / "bad.geojson"
    bad.write_text(GEOJSON.read_text().replace('"kind": "restricted"', '"kind": "forbidden"'))
    with pytest.raises(
        CommandError, match=r'Feature 2 \("Stadium, match days"\) field properties.kind.*Nothing was imported'
    ):
        call_command("import_zones", str(bad), "--officer", officer.username)
    assert RestrictedZone.objects.count() == 3


def test_the_zones_page_previews_then_imports_a_file(officer, browser_for):
    client = browser_for(officer)
    page = client.get("/zones/")
    assert b'id="zone-files"' in page.content and b"/api/v1/zones/export/ed269/" in page.content
    with GEOJSON.open("rb") as file:
        preview = client.post("/zones/import/", {"file": file})
    assert preview.status_code == 200
    assert preview.content.count(b'data-change="new"') == 2
    assert not RestrictedZone.objects.exists()
    content = preview.context["content"]
    applied = client.post("/zones/import/", {"content": content, "filename": "event_zones.geojson", "apply": "1"})
    assert applied.status_code == 302
    assert RestrictedZone.objects.count() == 2


def test_the_zones_page_shows_a_bad_file_and_imports_nothing(officer, browser_for):
    client = browser_for(officer)
    document = json.loads(ED269.read_text())
    document["UASZoneList"][0]["geometry"][0]["upperLimit"] = "high"
    file = io.BytesIO(json.dumps(document).encode())
    file.name = "zones.json"
    answer = client.post("/zones/import/", {"file": file})
    assert answer.status_code == 400
    assert "geometry[0].upperLimit" in answer.content.decode()
    assert not RestrictedZone.objects.exists()


def test_zone_schedules_are_validated_in_the_api(officer, client_for):
    body = {
        "name": "Event",
        "kind": "prohibited",
        "area": square(44.39, 33.31),
        "max_altitude_m": 500,
        "schedule": [{"starts_at": "2026-12-10T05:00:00", "ends_at": "2026-12-10T17:00:00Z"}],
    }
    answer = client_for(officer).post("/api/v1/zones/", body, format="json")
    assert answer.status_code == 400
    assert "time zone" in answer.json()["schedule"][0]
    body["schedule"][0]["starts_at"] += "Z"
    answer = client_for(officer).post("/api/v1/zones/", body, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["schedule"] == [
        {"starts_at": "2026-12-10T05:00:00Z", "ends_at": "2026-12-10T17:00:00Z", "daily": None}
    ]


def test_a_file_of_more_than_5000_zones_is_a_400_naming_the_limit(officer, client_for):
    # A cap on what one request may hold in memory (docs/SIZING.md), within the body's own cap.
    feature = {"type": "Feature", "properties": {"name": "z"}, "geometry": square(44.3, 33.3, 0.001)}
    collection = {"type": "FeatureCollection", "features": [feature] * 5001}
    response = upload(client_for(officer), json.dumps(collection, separators=(",", ":")))
    assert response.status_code == 400
    assert "at most 5,000 are imported at once" in str(response.json()["file"])
    assert not RestrictedZone.objects.exists()
