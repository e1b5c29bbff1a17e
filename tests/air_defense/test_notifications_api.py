"""The air defense inbox, acknowledgement, webhook subscriptions and the SSE stream, through the API;
and the delivery tasks called in-process (the worker tests are in test_notifications_worker.py,
where webhooks may go in test_notifications_destinations.py, leases in test_notifications_leases.py)."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from airspace import roles
from airspace.air_defense import stream, webhooks
from airspace.air_defense.models import AirDefenseNotification, WebhookDelivery, WebhookSubscription
from airspace.air_defense.notifications import notify_permit_change, record_notification, record_notifications
from airspace.air_defense.services import subscribe_webhook
from airspace.air_defense.tasks import (
    create_webhook_deliveries,
    deliver_notification,
    deliver_webhook,
    webhook_backoff_s,
)
from permits.models import State
from tests.fixtures_celery import REDIS_PORTS, celery_broker, free_port

Kind = AirDefenseNotification.Kind
Severity = AirDefenseNotification.Severity
INBOX = "/api/v1/air-defense/notifications/"
STREAM = "/api/v1/air-defense/stream/"
SUBSCRIPTIONS = "/api/v1/air-defense/subscriptions/"


@pytest.fixture
def air_defense(client_for, air_defense_user):
    return client_for(air_defense_user)


def notification(kind=Kind.TRACK_HOSTILE, severity=Severity.CRITICAL, created_at=None, **payload):
    created = record_notification(kind=kind, severity=severity, payload=payload or {"track": {"identity": "x"}})
    if created_at:
        AirDefenseNotification.objects.filter(pk=created.pk).update(created_at=created_at)
        created.refresh_from_db()
    return created


# --- signatures ---------------------------------------------------------------------------

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"id":"5f1c3c0e-0000-4000-8000-000000000001","kind":"permit.approved"}'
MESSAGE_ID = "5f1c3c0e-0000-4000-8000-000000000001"


def test_signature_is_standard_webhooks_and_verifies_with_its_library():
    headers = webhooks.signed_headers(secret=SECRET, message_id=MESSAGE_ID, body=BODY, attempt=2)

    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)
    assert headers["webhook-id"] == headers["X-Airspace-Notification-Id"] == MESSAGE_ID
    assert abs(int(headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 5
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["X-Airspace-Delivery-Attempt"] == "2"


@pytest.mark.parametrize(
    "change",
    ["replayed later", "tampered body", "other id", "wrong secret", "no timestamp"],
)
def test_a_receiver_refuses_replays_and_forgeries(change):
    """The timestamp is signed with the body and id: a captured delivery replayed after the
    receiver's tolerance (5 minutes in the library) fails, and so does any edit of the three."""
    sent_at = datetime.now(UTC) - timedelta(minutes=10) if change == "replayed later" else None
    headers = webhooks.signed_headers(secret=SECRET, message_id=MESSAGE_ID, body=BODY, attempt=1, now=sent_at)
    body, secret = BODY, SECRET
    if change == "tampered body":
        body = BODY.replace(b"approved", b"revoked")
    elif change == "other id":
        headers["webhook-id"] = "5f1c3c0e-0000-4000-8000-000000000002"
    elif change == "wrong secret":
        secret = webhooks.new_secret()
    elif change == "no timestamp":
        del headers["webhook-timestamp"]

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_generated_secrets_are_standard_webhooks_secrets():
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_") and webhooks.secret_problem(secret) is None
    assert secret != webhooks.new_secret()


# --- who may use it -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.OPERATOR, roles.COMMAND_STAFF, roles.SENSOR])
@pytest.mark.parametrize("path", [INBOX, STREAM, SUBSCRIPTIONS])
def test_only_air_defense_may_use_it(make_user, client_for, role, path):
    response = client_for(make_user(role, organization="Alpha Aerial" if role == roles.OPERATOR else None)).get(path)
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("path", [INBOX, STREAM, SUBSCRIPTIONS])
def test_anonymous_is_refused(client_for, path):
    assert client_for(None).get(path).status_code in (401, 403)


# --- the inbox ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_inbox_lists_newest_first_with_the_payload(air_defense, make_permit):
    permit = make_permit(state=State.APPROVED)
    older = notification(created_at=timezone.now() - timedelta(minutes=5))

    response = air_defense.get(INBOX)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [n["id"] for n in results] == [str(permit.notifications.get().pk), str(older.pk)]
    approved = results[0]
    assert approved["kind"] == "permit.approved" and approved["severity"] == "info"
    assert approved["payload"]["permit"]["reference"] == permit.reference
    assert approved["payload"]["permit"]["aircraft"]["remote_id"] == permit.aircraft.remote_id
    assert approved["delivered_at"] is None and approved["acknowledged_at"] is None


@pytest.mark.django_db
def test_inbox_filters_since_kind_and_unacknowledged(air_defense, air_defense_user):
    now = timezone.now()
    old = notification(created_at=now - timedelta(hours=2))
    recent_hostile = notification(created_at=now - timedelta(minutes=10))
    recent_warning = notification(
        kind=Kind.TRACK_NONCONFORMING, severity=Severity.WARNING, created_at=now - timedelta(minutes=5)
    )
    AirDefenseNotification.objects.filter(pk=recent_hostile.pk).update(
        acknowledged_at=now, acknowledged_by=air_defense_user
    )

    def ids(**params):
        response = air_defense.get(INBOX, params)
        assert response.status_code == 200, response.json()
        return {n["id"] for n in response.json()["results"]}

    since = (now - timedelta(hours=1)).isoformat()
    assert ids(since=since) == {str(recent_hostile.pk), str(recent_warning.pk)}
    assert ids(since=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")) == ids(since=since)
    assert ids(kind="track.hostile") == {str(old.pk), str(recent_hostile.pk)}
    assert ids(unacknowledged="true") == {str(old.pk), str(recent_warning.pk)}
    assert ids(unacknowledged="false") == {str(recent_hostile.pk)}
    assert ids(since=since, kind="track.hostile", unacknowledged="true") == set()


@pytest.mark.django_db
def test_info_items_need_no_acknowledgement_and_are_never_unacknowledged(air_defense):
    news = notification(kind=Kind.PERMIT_APPROVED, severity=Severity.INFO)
    alert = notification()
    swarm = notification(kind=Kind.SWARM, severity=Severity.CRITICAL)

    def ids(**params):
        response = air_defense.get(INBOX, params)
        assert response.status_code == 200, response.json()
        return {n["id"]: n["needs_acknowledgement"] for n in response.json()["results"]}

    assert ids() == {str(news.pk): False, str(alert.pk): True, str(swarm.pk): True}
    assert ids(unacknowledged="true") == {str(alert.pk): True, str(swarm.pk): True}
    assert ids(unacknowledged="false") == {str(news.pk): False}
    # The console's count of hostile alerts waiting: several kinds in one query.
    hostile = air_defense.get(INBOX, {"unacknowledged": "true", "kind": ["track.hostile", "swarm"], "limit": 1})
    assert hostile.json()["count"] == 2
    assert air_defense.post(f"{INBOX}{alert.pk}/acknowledge/").status_code == 200
    assert ids(unacknowledged="true", kind=["track.hostile", "swarm"]) == {str(swarm.pk): True}
    # Acknowledging an info item is allowed (a client that acknowledges everything keeps working).
    assert air_defense.post(f"{INBOX}{news.pk}/acknowledge/").json()["acknowledged_by"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [("since", "yesterday"), ("since", "2026-13-45T10:00:00Z"), ("unacknowledged", "maybe"), ("kind", "permit.lost")]
    # Valid ISO 8601, but no UTC equivalent, or an offset PostgreSQL does not take (it stops at ±15:59).
    + [("since", "9999-12-31T23:59:59-23:59"), ("since", "0001-01-01T00:00:00+23:59")],
)
def test_bad_filters_are_a_400_naming_the_field(air_defense, field, value):
    response = air_defense.get(INBOX, {field: value})
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_since_with_a_far_offset_is_compared_in_utc(air_defense):
    made = notification()
    since = (made.created_at - timedelta(seconds=1)).astimezone(timezone.get_fixed_timezone(20 * 60))
    response = air_defense.get(INBOX, {"since": since.isoformat()})
    assert response.status_code == 200, response.content
    assert [item["id"] for item in response.json()["results"]] == [str(made.pk)]


@pytest.mark.django_db
def test_inbox_is_paginated(air_defense):
    for _ in range(3):
        notification()
    page = air_defense.get(INBOX, {"limit": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]


@pytest.mark.django_db
def test_acknowledge_records_who_and_when_and_the_first_acknowledgement_stands(
    air_defense, make_user, client_for, air_defense_user
):
    alert = notification()

    first = air_defense.post(f"{INBOX}{alert.pk}/acknowledge/")
    second = client_for(make_user(roles.AIR_DEFENSE)).post(f"{INBOX}{alert.pk}/acknowledge/")

    assert first.status_code == 200
    assert first.json()["acknowledged_by"] == air_defense_user.username
    assert first.json()["acknowledged_at"]
    assert second.status_code == 200
    assert second.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    assert second.json()["acknowledged_by"] == air_defense_user.username
    alert.refresh_from_db()
    assert alert.acknowledged_by == air_defense_user


@pytest.mark.django_db
def test_acknowledge_unknown_notification_is_404(air_defense):
    assert air_defense.post(f"{INBOX}00000000-0000-0000-0000-000000000000/acknowledge/").status_code == 404
    assert air_defense.post(f"{INBOX}not-a-uuid/acknowledge/").status_code == 404


@pytest.mark.django_db
def test_detail_shows_the_webhook_deliveries(air_defense, air_defense_user):
    subscription = subscribe_webhook(name="C2 north", url="http://127.0.0.1:18499/hook", user=air_defense_user)
    alert = notification()
    deliver_notification(str(alert.pk))
    create_webhook_deliveries([str(alert.pk)])  # the webhooks worker's part

    detail = air_defense.get(f"{INBOX}{alert.pk}/").json()

    assert detail["delivered_at"] and detail["delivery_attempts"] == 1
    [delivery] = detail["webhook_deliveries"]
    assert delivery["subscription"] == subscription.pk and delivery["status"] == "pending"


# --- webhook subscriptions ------------------------------------------------------------------


@pytest.mark.django_db
def test_subscription_secret_is_shown_once(air_defense):
    created = air_defense.post(SUBSCRIPTIONS, {"name": "C2 north", "url": "http://127.0.0.1:18499/hook"}, format="json")

    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) >= 32
    assert WebhookSubscription.objects.get().secret == secret
    listed = air_defense.get(SUBSCRIPTIONS).json()["results"]
    assert listed[0]["name"] == "C2 north" and "secret" not in listed[0]
    assert "secret" not in air_defense.get(f"{SUBSCRIPTIONS}{created.json()['id']}/").json()


@pytest.mark.django_db
def test_subscription_with_own_secret_and_rotation(air_defense):
    ours, next_one = webhooks.new_secret(), webhooks.new_secret()
    created = air_defense.post(
        SUBSCRIPTIONS, {"name": "C2 south", "url": "http://127.0.0.1:18499/hook", "secret": ours}, format="json"
    ).json()
    assert created["secret"] == ours

    rotated = air_defense.patch(
        f"{SUBSCRIPTIONS}{created['id']}/", {"secret": next_one, "active": False}, format="json"
    )

    assert rotated.status_code == 200 and "secret" not in rotated.json() and rotated.json()["active"] is False
    assert WebhookSubscription.objects.get().secret == next_one
    assert air_defense.delete(f"{SUBSCRIPTIONS}{created['id']}/").status_code == 204
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "url": "not a url"}, "url"),
        ({"name": "x", "url": "ftp://127.0.0.1/"}, "url"),
        ({"name": "x", "url": "http://127.0.0.1:18499/", "secret": "short"}, "secret"),
        # Not a Standard Webhooks secret: no prefix, not base64, too short a key.
        ({"name": "x", "url": "http://127.0.0.1:18499/", "secret": "a-shared-secret-of-ours-long-enough"}, "secret"),
        ({"name": "x", "url": "http://127.0.0.1:18499/", "secret": "whsec_not*base64*at*all"}, "secret"),
        ({"name": "x", "url": "http://127.0.0.1:18499/", "secret": "whsec_c2hvcnQ="}, "secret"),
        ({"url": "http://127.0.0.1:18499/"}, "name"),
    ],
)
def test_bad_subscription_is_a_400_naming_the_field(air_defense, body, field):
    response = air_defense.post(SUBSCRIPTIONS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",  # the broker, or anything else listening on this host
        "http://localhost:5432/",
        "http://[::1]:8000/admin/",
        "http://[::ffff:127.0.0.1]:6379/",
        "http://0.0.0.0:8000/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[fe80::1]/",
    ],
)
def test_a_webhook_may_not_point_at_this_host_or_link_local_addresses(air_defense, url):
    response = air_defense.post(SUBSCRIPTIONS, {"name": "C2", "url": url}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
def test_a_webhook_may_not_be_moved_to_the_broker(air_defense):
    created = air_defense.post(SUBSCRIPTIONS, {"name": "C2", "url": "http://127.0.0.1:18499/hook"}, format="json")
    assert created.status_code == 201

    moved = air_defense.patch(
        f"{SUBSCRIPTIONS}{created.json()['id']}/", {"url": "http://127.0.0.1:6379/"}, format="json"
    )

    assert moved.status_code == 400 and "url" in moved.json()
    assert WebhookSubscription.objects.get().url == "http://127.0.0.1:18499/hook"


ADMIN_SUBSCRIPTIONS = "/admin/airspace/webhooksubscription/"


@pytest.mark.django_db
def test_the_admin_shows_a_new_secret_once_and_never_again(admin_client):
    added = admin_client.post(
        f"{ADMIN_SUBSCRIPTIONS}add/",
        {"name": "C2 admin", "url": "http://127.0.0.1:18499/hook", "active": "on"},
        follow=True,
    )

    subscription = WebhookSubscription.objects.get()
    assert subscription.secret.startswith("whsec_") and webhooks.secret_problem(subscription.secret) is None
    assert subscription.secret in added.content.decode()  # the message after adding
    for page in (ADMIN_SUBSCRIPTIONS, f"{ADMIN_SUBSCRIPTIONS}{subscription.pk}/change/"):
        shown = admin_client.get(page)
        assert shown.status_code == 200 and subscription.secret not in shown.content.decode()


@pytest.mark.django_db
def test_the_admin_checks_the_destination_too(admin_client):
    refused = admin_client.post(f"{ADMIN_SUBSCRIPTIONS}add/", {"name": "C2", "url": "http://10.9.9.9/hook"})

    assert refused.status_code == 200 and "not in WEBHOOK_ALLOWED_DESTINATIONS" in refused.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_webhook_may_not_point_at_the_broker_host(settings):
    # On a private network like the C2 receivers, as in docker-compose.yml; the database host likewise.
    settings.REDIS_URL = "redis://10.0.0.8:6379/0"
    settings.WEBHOOK_ALLOWED_DESTINATIONS = ["10.0.0.0/8"]
    assert "broker" in webhooks.destination_problem("http://10.0.0.8:6379/")
    assert "broker" in webhooks.destination_problem("http://10.0.0.8:8080/")  # a range does not cover its host
    assert webhooks.destination_problem("http://10.0.0.5:8080/hook") is None
    settings.WEBHOOK_ALLOWED_DESTINATIONS = ["10.0.0.0/8", "10.0.0.8"]  # named exactly: all but the broker's port
    assert webhooks.destination_problem("http://10.0.0.8:8080/") is None
    assert "broker" in webhooks.destination_problem("http://10.0.0.8:6379/")


# --- the delivery tasks, in-process ---------------------------------------------------------


@pytest.mark.django_db
def test_deliver_notification_publishes_and_marks_then_the_webhooks_side_fans_out_once(air_defense_user, settings):
    settings.AIR_DEFENSE_STREAM_CHANNEL = f"airspace:test:{uuid.uuid4().hex}"  # alone on it
    active = subscribe_webhook(name="active", url="http://127.0.0.1:18498/a", user=air_defense_user)
    subscribe_webhook(name="inactive", url="http://127.0.0.1:18498/b", user=air_defense_user, active=False)
    alert = notification()

    with stream.subscribe() as listener:
        assert deliver_notification(str(alert.pk)) == "delivered"
        published = listener.get(timeout=5)
        assert deliver_notification(str(alert.pk)) == "already delivered or unknown"
        assert listener.get(timeout=0.2) is None

    assert published == {
        "id": str(alert.pk),
        "kind": "track.hostile",
        "severity": "critical",
        "created_at": alert.created_at.isoformat(),
        "payload": alert.payload,
    }
    alert.refresh_from_db()
    assert alert.delivered_at is not None and alert.delivery_attempts == 1
    assert alert.fanned_out_at is None and not WebhookDelivery.objects.exists()  # not the alert's business

    assert create_webhook_deliveries([str(alert.pk)]) == 1
    assert create_webhook_deliveries([str(alert.pk)]) == 0
    assert list(WebhookDelivery.objects.values_list("subscription", flat=True)) == [active.pk]
    alert.refresh_from_db()
    assert alert.fanned_out_at is not None


@pytest.mark.django_db
def test_deliver_unknown_notification_does_nothing():
    assert deliver_notification("00000000-0000-0000-0000-000000000000") == "already delivered or unknown"


@pytest.fixture
def pending_delivery(air_defense_user):
    def make(url):
        subscription = subscribe_webhook(name="C2", url=url, user=air_defense_user, secret=SECRET)
        alert = notification()
        deliver_notification(str(alert.pk))
        create_webhook_deliveries([str(alert.pk)])
        return WebhookDelivery.objects.get(subscription=subscription, notification=alert)

    return make


@pytest.mark.django_db
def test_deliver_webhook_posts_a_signed_body(webhook_receiver, pending_delivery):
    receiver = webhook_receiver()
    delivery = pending_delivery(receiver.url)

    assert deliver_webhook(delivery.pk) == "delivered"

    [request] = receiver.received()
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["x-airspace-notification-id"] == headers["webhook-id"] == str(delivery.notification_id)
    assert Webhook(SECRET).verify(request["body"], headers)["id"] == str(delivery.notification_id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert deliver_webhook(delivery.pk) == "nothing to do"
    assert len(receiver.received()) == 1


@pytest.mark.django_db
def test_failed_webhook_is_retried_later_with_backoff(webhook_receiver, pending_delivery, settings):
    settings.WEBHOOK_BACKOFF_BASE_S = 30
    receiver = webhook_receiver(statuses=[500])
    delivery = pending_delivery(receiver.url)

    with pytest.raises(Retry):
        deliver_webhook(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)

    # A duplicate task before the backoff ran out leaves it to the retry that holds its lease.
    assert delivery.queued_until >= delivery.next_attempt_at
    assert deliver_webhook(delivery.pk) == "nothing to do"
    assert len(receiver.received()) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1


@pytest.mark.django_db
def test_a_receivers_answer_is_not_shown_back(webhook_receiver, pending_delivery, settings):
    # What a URL answers is none of the subscriber's business: shown in the delivery's error, it
    # would let a subscriber read whatever an address the service can reach answers to a POST.
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver = webhook_receiver(statuses=[500])
    delivery = pending_delivery(receiver.url)

    assert deliver_webhook(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert (delivery.last_status_code, delivery.last_error) == (500, "HTTP 500")


@pytest.mark.django_db
def test_webhook_gives_up_after_max_attempts(webhook_receiver, pending_delivery, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver = webhook_receiver(statuses=[503])
    delivery = pending_delivery(receiver.url)

    assert deliver_webhook(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 503)


@pytest.mark.django_db
def test_unreachable_webhook_records_the_error(pending_delivery, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    delivery = pending_delivery("http://127.0.0.1:18497/nobody-listens")

    assert deliver_webhook(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and "ConnectionError" in delivery.last_error


def test_backoff_doubles_up_to_the_cap(settings):
    settings.WEBHOOK_BACKOFF_BASE_S = 10
    settings.WEBHOOK_BACKOFF_MAX_S = 60
    assert [webhook_backoff_s(n) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]


@pytest.mark.django_db
def test_broker_down_at_commit_is_tried_once_for_all_of_a_batchs_notifications(
    caplog, django_capture_on_commit_callbacks
):
    """A sensor batch may turn hundreds of tracks hostile at once. With the broker down each try
    waits out its retries, so the first failure leaves the rest to the sweep instead of holding the
    sensor's request for minutes."""
    dead_broker = f"redis://127.0.0.1:{free_port(REDIS_PORTS)}/0"
    with celery_broker(dead_broker), django_capture_on_commit_callbacks(execute=True):
        created = record_notifications(
            [
                AirDefenseNotification(kind=Kind.TRACK_HOSTILE, severity=Severity.WARNING, payload={"track": i})
                for i in range(5)
            ]
        )
    failures = [r for r in caplog.records if r.name == "airspace.air_defense.tasks" and r.levelname == "ERROR"]
    assert len(failures) == 1
    assert AirDefenseNotification.objects.filter(pk__in=[n.pk for n in created], delivered_at=None).count() == 5
    # Their leases are released: nothing holds them, so the next sweep sends them.
    assert AirDefenseNotification.objects.filter(pk__in=[n.pk for n in created], queued_until=None).count() == 5


@pytest.mark.django_db
def test_notification_is_written_in_the_callers_transaction(make_permit):
    permit = make_permit(state=State.APPROVED)
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_permit_change(permit, Kind.PERMIT_REVOKED)
        raise RuntimeError("the transition failed")
    assert list(permit.notifications.values_list("kind", flat=True)) == ["permit.approved"]


@pytest.mark.django_db(transaction=True)
def test_database_connection_lost_is_a_503_in_json(air_defense):
    """PostgreSQL restarting or failing over: a JSON 503 the client can retry, not Django's HTML 500."""
    import psycopg

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [backend] = cursor.fetchone()
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    try:
        response = air_defense.get(INBOX)
    finally:
        connection.close()  # the next query reconnects

    assert response.status_code == 503
    assert "database" in response.json()["detail"]
    assert response["Retry-After"] == "5"
    assert air_defense.get(INBOX).status_code == 200


# --- the stream, in-process -----------------------------------------------------------------


def read_events(response, count):
    """The next `count` SSE blocks of a streaming response (comments included)."""
    blocks = []
    for chunk in response.streaming_content:
        blocks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        if len(blocks) == count:
            return blocks
    return blocks


def parse_event(block):
    fields = dict(line.split(": ", 1) for line in block.strip().splitlines() if not line.startswith(":"))
    return fields["id"], fields["event"], json.loads(fields["data"])


@pytest.mark.django_db
@pytest.mark.parametrize("redis_url", ["redis", ""], ids=["redis-pubsub", "in-process"])
def test_stream_sends_published_notifications(air_defense, settings, redis_url):
    if not redis_url:
        settings.REDIS_URL = ""  # the embedded demo: fan-out in this process
    settings.AIR_DEFENSE_STREAM_CHANNEL = f"airspace:test:{uuid.uuid4().hex}"
    alert = notification()

    response = air_defense.get(STREAM, HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    [hello] = read_events(response, 1)
    assert ": connected" in hello
    deliver_notification(str(alert.pk))
    [event] = read_events(response, 1)
    response.close()

    event_id, kind, data = parse_event(event)
    assert event_id == str(alert.pk) and kind == "track.hostile"
    assert data["severity"] == "critical" and data["payload"] == alert.payload


@pytest.mark.django_db
def test_stream_replays_after_last_event_id_then_beats(air_defense, settings):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 0.2
    now = timezone.now()
    seen = notification(created_at=now - timedelta(minutes=3))
    missed = [notification(created_at=now - timedelta(minutes=m)) for m in (2, 1)]

    response = air_defense.get(STREAM, HTTP_LAST_EVENT_ID=str(seen.pk))
    blocks = read_events(response, 4)
    response.close()

    assert [parse_event(block)[0] for block in blocks[1:3]] == [str(n.pk) for n in missed]
    assert blocks[3] == ": heartbeat\n\n"


@pytest.mark.django_db
def test_stream_replay_includes_a_notification_committed_after_the_last_one_seen(air_defense, settings):
    # Stamped at write time, 5 s before the one the client saw, but its transaction committed later.
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 0.2
    now = timezone.now()
    seen = notification(created_at=now - timedelta(seconds=10))
    committed_late = notification(created_at=now - timedelta(seconds=15))
    notification(created_at=now - timedelta(minutes=5))  # long before: not replayed

    response = air_defense.get(STREAM, HTTP_LAST_EVENT_ID=str(seen.pk))
    blocks = read_events(response, 3)
    response.close()

    assert parse_event(blocks[1])[0] == str(committed_late.pk)
    assert blocks[2] == ": heartbeat\n\n"


@pytest.mark.django_db
def test_stream_replay_includes_an_old_notification_delivered_after_the_last_one_seen(air_defense, settings):
    # A worker was killed holding it: the sweep delivered it minutes after it was created, after the
    # client had seen a newer one live, while the client was disconnected. It went out live to nobody.
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 0.2
    now = timezone.now()
    swept_late = notification(created_at=now - timedelta(minutes=3))
    seen = notification(created_at=now - timedelta(minutes=1))
    long_done = notification(created_at=now - timedelta(minutes=5))  # delivered long ago: not replayed
    for delivered, at in (
        (seen, now - timedelta(minutes=1)),
        (swept_late, now),
        (long_done, now - timedelta(minutes=5)),
    ):
        AirDefenseNotification.objects.filter(pk=delivered.pk).update(delivered_at=at)

    response = air_defense.get(STREAM, HTTP_LAST_EVENT_ID=str(seen.pk))
    blocks = read_events(response, 3)
    response.close()

    assert parse_event(blocks[1])[0] == str(swept_late.pk)
    assert blocks[2] == ": heartbeat\n\n"


@pytest.mark.django_db
def test_stream_in_process_catches_up_what_other_processes_delivered(air_defense, settings):
    settings.REDIS_URL = ""
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 0.2
    response = air_defense.get(STREAM)
    read_events(response, 1)
    # Created and delivered elsewhere (the clock process): never published to this process.
    alert = notification()

    blocks = [block for block in read_events(response, 6) if not block.startswith(":")]
    response.close()
    assert parse_event(blocks[0])[0] == str(alert.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_stream_with_bad_last_event_id_is_a_400(air_defense, value):
    response = air_defense.get(STREAM, HTTP_LAST_EVENT_ID=value)
    assert response.status_code == 400
    assert "Last-Event-ID" in response.json()
    response = air_defense.get(STREAM, {"last_event_id": value})
    assert response.status_code == 400 and "last_event_id" in response.json()


@pytest.mark.django_db
def test_stream_works_with_the_browser_session(client, air_defense_user):
    client.force_login(air_defense_user)
    response = client.get(STREAM, HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200
    assert ": connected" in read_events(response, 1)[0]
    response.close()


@pytest.mark.django_db
def test_stream_is_in_the_openapi_schema(air_defense):
    schema = air_defense.get(reverse("schema"), {"format": "json"}).json()
    assert "text/event-stream" in schema["paths"][STREAM]["get"]["responses"]["200"]["content"]
    assert f"{INBOX}{{id}}/acknowledge/" in schema["paths"]


# --- the clock ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_run_clock_once_runs_the_permit_transitions(make_permit):
    permit = make_permit(state=State.APPROVED, starts_in=timedelta(hours=1))
    type(permit).objects.filter(pk=permit.pk).update(starts_at=timezone.now() - timedelta(minutes=1))

    call_command("run_clock", once=True)

    permit.refresh_from_db()
    assert permit.state == State.ACTIVE
    assert set(permit.notifications.values_list("kind", flat=True)) == {"permit.approved", "permit.activated"}
