"""Cursor on Target out: the air picture (tracks with their affiliation, the pilots, the permits in
effect as shapes, the alerts) sent by the c2 task to real listeners on 127.0.0.1 — TCP, TLS with a
client certificate, UDP unicast and multicast — which parse what they receive. The task runs in this
process here (its tick called directly); tests/c2/test_cot_worker.py runs it on a Celery worker."""

import socket
import ssl
from datetime import timedelta

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils import timezone

from airspace.c2 import cot
from airspace.c2.admin import TakEndpointForm
from airspace.c2.models import TakDelivery, TakEndpoint
from airspace.c2.tasks import claim_endpoints_due, fan_out_notifications, send_to_endpoint
from airspace.surveillance.models import Track
from permits import services as permit_services
from permits.models import State
from tests.c2.listeners import TcpListener, UdpListener
from tests.surveillance.reports import CENTRE_LAT, CENTRE_LON, REPORTS, east_of_edge, report

pytestmark = pytest.mark.django_db


def tick():
    """What the beat's send_picture does, with each endpoint's send run here rather than queued."""
    now = timezone.now()
    fan_out_notifications(now=now)
    return {endpoint_id: send_to_endpoint(endpoint_id) for endpoint_id in claim_endpoints_due(now=now)}


@pytest.fixture
def listener():
    started = []

    def start(cls=TcpListener, **kwargs):
        started.append(cls(**kwargs))
        return started[-1]

    yield start
    for each in started:
        each.stop()


@pytest.fixture
def sensor_post(sensor_user, client_for):
    client = client_for(sensor_user)

    def post(*reports):
        response = client.post(REPORTS, {"reports": list(reports)}, format="json")
        assert response.status_code == 200, response.content
        return response.json()["results"]

    return post


@pytest.fixture
def picture(make_permit, make_aircraft, sensor_post):
    """A permit in effect (the fixtures' square) and one drone of each classification."""
    permit = make_permit(state=State.ACTIVE)
    straying = make_permit(state=State.ACTIVE)
    grounded = make_aircraft(permit.operator)
    results = sensor_post(
        report("friend", remote_id=permit.aircraft.remote_id),
        report("suspect", remote_id=straying.aircraft.remote_id, lon=east_of_edge(400)),
        report("stranger", remote_id="UNKNOWN-77", lat=CENTRE_LAT + 0.01),
        report("no-permit", remote_id=grounded.remote_id, lat=CENTRE_LAT - 0.01),
    )
    tracks = {result["sensor_track_id"]: Track.objects.get(pk=result["track"]) for result in results}
    return permit, tracks


def point(event):
    element = event.find("point")
    return float(element.get("lat")), float(element.get("lon"))


def test_tracks_are_air_tracks_whose_affiliation_is_their_classification(picture, listener):
    permit, tracks = picture
    tak = listener()
    TakEndpoint.objects.create(name="TAK north", url=f"tcp://127.0.0.1:{tak.port}")
    tick()

    expected = {
        "friend": ("authorized", "a-f-A-M-F-Q"),
        "suspect": ("nonconforming", "a-s-A-M-F-Q"),
        "stranger": ("unregistered", "a-h-A-M-F-Q"),
        "no-permit": ("unauthorized", "a-h-A-M-F-Q"),
    }
    for name, (classification, cot_type) in expected.items():
        track = tracks[name]
        assert track.classification == classification
        event = tak.wait_for_uid(cot.track_uid(track.pk))
        assert event.get("type") == cot_type
        assert event.get("how") == "m-f"
        assert point(event) == pytest.approx((track.last_lat, track.last_lon), abs=1e-7)
        assert event.find("detail/contact").get("callsign") == f"Drone {track.remote_id}"
    assert f"permit {permit.reference}" in tak.by_uid(cot.track_uid(tracks["friend"].pk))[0].find("detail/remarks").text


def test_the_permit_in_effect_is_a_drawn_polygon_and_a_circle_permit_a_drawn_circle(picture, make_permit, listener):
    permit, _ = picture
    circle = make_permit(state=State.APPROVED, area={"type": "Point", "coordinates": [44.40, 33.30]}, radius_m=750)
    tak = listener()
    TakEndpoint.objects.create(name="TAK north", url=f"tcp://127.0.0.1:{tak.port}")
    tick()

    polygon = tak.wait_for_uid(cot.permit_uid(permit.reference))
    assert polygon.get("type") == "u-d-f"
    vertices = [link.get("point") for link in polygon.findall("detail/link")]
    ring = permit.area["coordinates"][0]
    assert len(vertices) == len(ring)
    received = [float(number) for vertex in vertices for number in vertex.split(",")]
    assert received == pytest.approx([number for lon, lat in ring for number in (lat, lon)])
    assert polygon.find("detail/contact").get("callsign") == f"Permit {permit.reference}"

    drawn = tak.wait_for_uid(cot.permit_uid(circle.reference))
    assert drawn.get("type") == "u-d-c-c"
    assert float(drawn.find("detail/shape/ellipse").get("major")) == 750
    assert point(drawn) == pytest.approx((33.30, 44.40))


def test_a_hostile_alert_is_a_geofence_breach_linked_to_its_track_and_delivered_once(picture, listener):
    _, tracks = picture
    tak = listener()
    endpoint = TakEndpoint.objects.create(name="TAK north", url=f"tcp://127.0.0.1:{tak.port}")
    tick()

    alert = tracks["stranger"].notifications.get(kind="track.hostile")
    event = tak.wait_for_uid(cot.alert_uid(alert.pk))
    assert event.get("type") == "b-a-g"
    assert event.find("detail/link").get("uid") == cot.track_uid(tracks["stranger"].pk)
    assert point(event) == pytest.approx((tracks["stranger"].last_lat, tracks["stranger"].last_lon), abs=1e-7)
    delivery = TakDelivery.objects.get(endpoint=endpoint, notification=alert)
    assert delivery.delivered_at is not None and delivery.attempts == 1

    tick()
    assert TakDelivery.objects.get(pk=delivery.pk).attempts == 1
    endpoint.refresh_from_db()
    assert endpoint.last_delivered_at is not None and endpoint.consecutive_failures == 0


def test_the_pilot_is_on_the_map_beside_a_hostile_drone(sensor_post, listener):
    [result] = sensor_post(report("rogue", remote_id="ROGUE-1", operator={"lat": 33.2601, "lon": 44.3102}))
    tak = listener()
    TakEndpoint.objects.create(name="TAK north", url=f"tcp://127.0.0.1:{tak.port}")
    tick()
    pilot = tak.wait_for_uid(f"{cot.track_uid(result['track'])}-pilot")
    assert pilot.get("type") == "a-h-G-U-C"
    assert point(pilot) == pytest.approx((33.2601, 44.3102))
    assert pilot.find("detail/link").get("uid") == cot.track_uid(result["track"])


def test_track_updates_are_rate_limited_to_the_latest_position_per_send(sensor_post, listener):
    now = timezone.now()
    sensor_post(
        *[
            report("busy", remote_id="BUSY-1", lon=CENTRE_LON + step * 0.0001, at=now - timedelta(seconds=10 - step))
            for step in range(10)
        ]
    )
    tak = listener()
    TakEndpoint.objects.create(name="TAK north", url=f"tcp://127.0.0.1:{tak.port}")
    tick()
    uid = cot.track_uid(Track.objects.get(remote_id="BUSY-1").pk)
    tak.wait_for_uid(uid)
    [event] = tak.by_uid(uid)
    assert point(event)[1] == pytest.approx(CENTRE_LON + 9 * 0.0001, abs=1e-7)


def test_a_revoked_permit_is_taken_off_the_map(picture, listener, senior_officer):
    permit, _ = picture
    tak = listener()
    TakEndpoint.objects.create(name="TAK north", url=f"tcp://127.0.0.1:{tak.port}")
    tick()
    tak.wait_for_uid(cot.permit_uid(permit.reference))

    permit_services.revoke_permit(permit_id=permit.pk, officer=senior_officer, reason="Airspace closed")
    tick()
    deletion = tak.wait_for_uid(f"{cot.permit_uid(permit.reference)}-delete")
    assert deletion.get("type") == "t-x-d-d"
    assert deletion.find("detail/link").get("uid") == cot.permit_uid(permit.reference)
    assert deletion.find("detail/__forcedelete") is not None
    revoked = permit.notifications.get(kind="permit.revoked")
    assert tak.wait_for_uid(cot.alert_uid(revoked.pk)).get("type") == "b-m-p-s-p-i"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_endpoint_that_is_down_keeps_its_alerts_and_gets_them_when_it_is_back(picture, listener, settings):
    settings.TAK_SEND_INTERVAL_S = 0.2
    _, tracks = picture
    port = free_port()
    endpoint = TakEndpoint.objects.create(name="TAK north", url=f"tcp://127.0.0.1:{port}")
    tick()
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and "refused" in endpoint.last_error.lower()
    assert endpoint.next_attempt_at > timezone.now() - timedelta(seconds=1)
    alert = tracks["stranger"].notifications.get(kind="track.hostile")
    delivery = TakDelivery.objects.get(endpoint=endpoint, notification=alert)
    assert delivery.delivered_at is None and delivery.attempts == 1

    # Not due until its backoff has passed: the next tick leaves it alone.
    assert tick() == {}
    tak = listener(port=port)
    TakEndpoint.objects.filter(pk=endpoint.pk).update(next_attempt_at=timezone.now())
    tick()
    tak.wait_for_uid(cot.alert_uid(alert.pk))
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.attempts == 2
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.last_error == ""


# --- TLS -----------------------------------------------------------------------------------------


@pytest.fixture
def tls_files(tmp_path):
    """A test CA, the TAK server's certificate for 127.0.0.1 and a client certificate, as files."""
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    client = ca.issue_cert("airspace-service@example.org")
    files = {"ca": tmp_path / "ca.pem", "client": tmp_path / "client.pem"}
    ca.cert_pem.write_to_path(str(files["ca"]))
    client.private_key_and_cert_chain_pem.write_to_path(str(files["client"]))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    return files, context


def test_tls_with_a_client_certificate(picture, listener, tls_files):
    files, server_context = tls_files
    _, tracks = picture
    tak = listener(tls=server_context)
    TakEndpoint.objects.create(
        name="TAK TLS",
        url=f"tls://127.0.0.1:{tak.port}",
        tls_client_cert=str(files["client"]),
        tls_ca_file=str(files["ca"]),
    )
    tick()
    event = tak.wait_for_uid(cot.track_uid(tracks["stranger"].pk))
    assert event.get("type") == "a-h-A-M-F-Q"
    assert tak.connections == 1 and tak.handshake_failures == []


def test_tls_with_a_p12_client_certificate_as_tak_server_issues_them(picture, listener, tls_files, tmp_path):
    files, server_context = tls_files
    _, tracks = picture
    chain = x509.load_pem_x509_certificates(files["client"].read_bytes())
    key = serialization.load_pem_private_key(files["client"].read_bytes(), password=None)
    p12 = tmp_path / "client.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"airspace", key, chain[0], chain[1:], serialization.BestAvailableEncryption(b"atakatak")
        )
    )
    tak = listener(tls=server_context)
    TakEndpoint.objects.create(
        name="TAK TLS",
        url=f"tls://127.0.0.1:{tak.port}",
        tls_client_cert=str(p12),
        tls_client_password="atakatak",
        tls_ca_file=str(files["ca"]),
    )
    tick()
    assert tak.wait_for_uid(cot.track_uid(tracks["friend"].pk)).get("type") == "a-f-A-M-F-Q"


def test_tls_to_a_server_the_ca_does_not_vouch_for_fails_and_is_recorded(picture, listener, tls_files, tmp_path):
    files, server_context = tls_files
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    tak = listener(tls=server_context)
    endpoint = TakEndpoint.objects.create(
        name="TAK TLS",
        url=f"tls://127.0.0.1:{tak.port}",
        tls_client_cert=str(files["client"]),
        tls_ca_file=str(other_ca),
    )
    tick()
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and endpoint.last_error
    assert tak.events == []
    assert TakDelivery.objects.filter(endpoint=endpoint, delivered_at=None).exists()


def test_a_tls_server_refuses_a_client_without_its_cas_certificate(picture, listener, tls_files, tmp_path):
    files, server_context = tls_files
    stranger = tmp_path / "stranger.pem"
    trustme.CA().issue_cert("stranger@example.org").private_key_and_cert_chain_pem.write_to_path(str(stranger))
    tak = listener(tls=server_context)
    endpoint = TakEndpoint.objects.create(
        name="TAK TLS", url=f"tls://127.0.0.1:{tak.port}", tls_client_cert=str(stranger), tls_ca_file=str(files["ca"])
    )
    tick()
    assert tak.events == [] and tak.connections == 0 and len(tak.handshake_failures) == 1
    # Refused after the handshake (TLS 1.3): still a failed send, the alerts still pending.
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and endpoint.last_error
    assert not TakDelivery.objects.filter(endpoint=endpoint, delivered_at__isnull=False).exists()


# --- UDP -----------------------------------------------------------------------------------------


def test_udp_one_event_per_datagram(picture, listener):
    _, tracks = picture
    tak = listener(UdpListener)
    TakEndpoint.objects.create(name="TAK UDP", url=f"udp://127.0.0.1:{tak.port}")
    tick()
    tak.wait_for_uid(cot.track_uid(tracks["friend"].pk))
    for track in tracks.values():
        tak.wait_for_uid(cot.track_uid(track.pk))
    # Every datagram held exactly one parsable event.
    assert tak.connections == len(tak.events)


def test_udp_multicast_on_the_loopback_interface(picture, listener):
    _, tracks = picture
    group = "239.2.3.1"
    tak = listener(UdpListener, port=free_port(), group=group)
    TakEndpoint.objects.create(
        name="TAK multicast", url=f"udp://{group}:{tak.port}", multicast_interface="127.0.0.1", multicast_ttl=0
    )
    tick()
    assert tak.wait_for_uid(cot.track_uid(tracks["suspect"].pk)).get("type") == "a-s-A-M-F-Q"


# --- the admin form ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, field, words",
    [
        ("http://tak.example.org:8087", "url", "tcp://"),
        ("tcp://tak.example.org", "url", "port"),
        ("tls://tak.example.org:8089", "tls_client_cert", "needs this file"),
    ],
)
def test_the_admin_form_names_what_is_wrong(url, field, words):
    form = TakEndpointForm(data={"name": "TAK", "url": url, "active": True, "multicast_ttl": 1})
    assert not form.is_valid()
    assert words in " ".join(form.errors[field])


def test_the_admin_form_wants_tls_files_that_exist(tls_files):
    files, _ = tls_files
    data = {"name": "TAK", "url": "tls://tak.example.org:8089", "active": True, "multicast_ttl": 1}
    form = TakEndpointForm(data={**data, "tls_client_cert": "/nowhere/client.p12", "tls_ca_file": str(files["ca"])})
    assert not form.is_valid() and "No file /nowhere/client.p12" in form.errors["tls_client_cert"][0]
    form = TakEndpointForm(data={**data, "tls_client_cert": str(files["client"]), "tls_ca_file": str(files["ca"])})
    assert form.is_valid(), form.errors


def test_the_admin_lists_and_adds_endpoints(admin_client, listener):
    tak = listener()
    TakEndpoint.objects.create(name="TAK north", url=f"tcp://127.0.0.1:{tak.port}", last_error="refused")
    listing = admin_client.get("/admin/airspace/takendpoint/")
    assert listing.status_code == 200 and b"TAK north" in listing.content and b"refused" in listing.content
    added = admin_client.post(
        "/admin/airspace/takendpoint/add/",
        {"name": "TAK south", "url": "udp://127.0.0.1:6969", "active": "on", "multicast_ttl": 1},
    )
    assert added.status_code == 302, added.content
    assert TakEndpoint.objects.get(name="TAK south").url == "udp://127.0.0.1:6969"
    assert admin_client.get("/admin/airspace/takdelivery/").status_code == 200
