"""End to end on the real stack — a live server, the deployment's Celery workers, Redis, a C2
receiver on 127.0.0.1: a hostile report opens an incident, a second report of the same track joins
it, sending a unit notifies it (the live stream, and a signed POST to the unit's own webhook),
resolving records the outcome and the violation, and the operator's next application shows it."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from standardwebhooks import Webhook

from airspace.accounts.services import get_api_token
from airspace.air_defense.services import subscribe_webhook
from airspace.incidents.models import Incident, ResponseUnit, Violation
from permits.models import State as PermitState
from tests.conftest import square
from tests.fixtures_celery import StreamReader, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_aW5jaWRlbnQtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OTAx"
LON, LAT = 44.45, 33.36


def api(live_server, user):
    session = requests.Session()
    session.headers["Authorization"] = f"Token {get_api_token(user=user).key}"

    def call(method, path, body=None):
        return session.request(method, f"{live_server.url}/api/v1{path}", json=body, timeout=30)

    return call


def report(track, lon, at_offset_s=0):
    return {
        "sensor_track_id": track,
        "observed_at": (timezone.now() + timedelta(seconds=at_offset_s)).isoformat(),
        "lat": LAT,
        "lon": lon,
        "altitude_m": 80,
    }


def test_from_a_hostile_report_to_the_operators_next_application(
    celery_worker,
    live_server,
    webhook_receiver,
    make_zone,
    make_aircraft,
    make_permit,
    sensor_user,
    air_defense_user,
    officer,
    operator_user,
    client,
    settings,
):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 1
    settings.SENIOR_APPROVAL_VIOLATIONS = 1
    receiver = webhook_receiver()
    own = subscribe_webhook(
        name="Falcon 1 radio", url=receiver.url, user=air_defense_user, secret=SECRET, addressed_only=True
    )
    unit = ResponseUnit.objects.create(name="Falcon 1", kind="intercept", subscription=own)
    make_zone(name="Green Zone", area=square(LON + 0.02, LAT))
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    sensor, air_defense, staff = (
        api(live_server, sensor_user),
        api(live_server, air_defense_user),
        api(live_server, officer),
    )
    reader = StreamReader(f"{live_server.url}/api/v1/air-defense/stream/", get_api_token(user=air_defense_user).key)
    try:
        reader.wait_connected()

        # A hostile report opens an incident; its alert names it.
        assert sensor("POST", "/tracks/reports/", {"reports": [report("intruder", LON, -2)]}).status_code == 200
        _, kind, first = reader.next_event()
        incident = Incident.objects.get()
        assert (kind, first["payload"]["incident"]) == ("track.hostile", {"id": incident.pk})

        # A second report of the same track, into the Green Zone: its alert joins the incident.
        assert sensor("POST", "/tracks/reports/", {"reports": [report("intruder", LON + 0.02)]}).status_code == 200
        _, kind, second = reader.next_event()
        assert (kind, second["payload"]["incident"]) == ("track.hostile", {"id": incident.pk})
        assert second["payload"]["zone"]["name"] == "Green Zone"
        listed = air_defense("GET", "/incidents/").json()["results"]
        assert [(row["id"], row["alerts"], row["state"]) for row in listed] == [(incident.pk, 2, "open")]

        # Sending the unit notifies it: on the stream, and signed to its own webhook.
        sent = air_defense("POST", f"/incidents/{incident.pk}/assign/", {"unit": unit.pk})
        assert sent.status_code == 200, sent.text
        assert sent.json()["state"] == "responding"
        _, kind, told = reader.next_event()
        assert kind == "incident.unit_assigned"
        assert told["payload"]["unit"]["name"] == "Falcon 1" and told["payload"]["incident"]["id"] == incident.pk
    finally:
        reader.close()
    [post] = wait_for(receiver.received, message="the unit's webhook POST")
    headers = {name.lower(): value for name, value in post["headers"].items()}
    body = Webhook(SECRET).verify(post["body"], headers)
    assert body["kind"] == "incident.unit_assigned" and body["payload"]["unit"]["id"] == unit.pk
    # The unit's own webhook got only what was addressed to it, not the two hostile alerts.
    assert len(receiver.received()) == 1

    # The drone is identified and the incident resolved against its operator.
    track_id = sent.json()["tracks"][0]["track"]
    identified = staff(
        "POST", f"/incidents/{incident.pk}/identify/", {"track": track_id, "aircraft": aircraft.serial_number}
    )
    assert identified.status_code == 200, identified.text
    resolved = staff(
        "POST", f"/incidents/{incident.pk}/resolve/", {"outcome": "warned_and_released", "reason": "first time"}
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["state"], resolved.json()["outcome"]) == ("resolved", "warned_and_released")
    [violation] = Violation.objects.all()
    assert (violation.operator, violation.aircraft) == (aircraft.operator, aircraft)

    # The operator's next application: the officer reviewing it reads the violation.
    permit = make_permit(state=PermitState.UNDER_REVIEW, owner=operator_user)
    assert staff("GET", f"/permits/{permit.pk}/").json()["requires_senior_approval"] is True
    client.force_login(officer)
    page = client.get(f"/permits/{permit.pk}/").content.decode()
    assert "warned and released" in page and f"/incidents/{incident.pk}/" in page
    assert "A senior officer must approve:" in page
