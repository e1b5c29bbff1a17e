"""The live stream's caps and its re-check of who listens, in-process (the threaded driver); the same
through the real web process, on the event loop, is in test_stream_server.py."""

import time

import pytest
from django.contrib.auth.models import Group
from django.core.signals import request_finished
from django.db import close_old_connections

from airspace import roles
from airspace.accounts.services import revoke_api_tokens
from airspace.air_defense import stream_events, stream_slots
from tests.fixtures_celery import REDIS_PORTS, free_port

STREAM = "/api/v1/air-defense/stream/"


def blocks_until_closed(response, limit=200):
    """The SSE blocks of a streaming response until the server ends it (at most `limit`)."""
    blocks = []
    for chunk in response.streaming_content:
        blocks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        if len(blocks) >= limit:
            raise AssertionError(f"the stream did not end: {blocks[-5:]}")
    return blocks


def close(response):
    """Close a response as the server would, but as Django's test client does it: without letting
    request_finished close the test's own database connection (and its transaction)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


@pytest.fixture
def air_defense(client_for, air_defense_user):
    return client_for(air_defense_user)


@pytest.mark.django_db
@pytest.mark.parametrize("redis_url", ["redis", ""], ids=["redis-leases", "in-process"])
def test_past_the_per_user_cap_is_a_json_429_with_retry_after(air_defense, settings, redis_url):
    if not redis_url:
        settings.REDIS_URL = ""
    settings.STREAM_MAX_PER_USER = 2
    opened = [air_defense.get(STREAM, HTTP_ACCEPT="text/event-stream") for _ in range(2)]

    refused = air_defense.get(STREAM, HTTP_ACCEPT="text/event-stream")

    assert [response.status_code for response in opened] == [200, 200]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused["Retry-After"] == "15"
    assert "2 live streams open" in refused.json()["detail"]
    close(opened[0])
    again = air_defense.get(STREAM)
    assert again.status_code == 200
    for response in [again, *opened]:
        close(response)


@pytest.mark.django_db
def test_past_the_total_cap_is_a_json_503_with_retry_after(air_defense, client_for, make_user, settings):
    settings.STREAM_MAX_TOTAL = stream_slots.open_streams() + 1
    first = air_defense.get(STREAM)

    refused = client_for(make_user(roles.AIR_DEFENSE)).get(STREAM, HTTP_ACCEPT="text/event-stream")

    assert first.status_code == 200
    assert refused.status_code == 503
    assert refused["Content-Type"] == "application/json" and refused["Retry-After"] == "15"
    assert "as many live streams as it may" in refused.json()["detail"]
    close(first)


@pytest.mark.django_db
def test_redis_down_when_a_stream_opens_is_a_json_503_not_a_500(air_defense, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port(REDIS_PORTS)}/0"  # nobody listens there
    response = air_defense.get(STREAM, HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 503
    assert response["Retry-After"] == "5" and "Redis" in response.json()["detail"]
    assert stream_slots.open_streams() == 0


@pytest.mark.django_db
def test_a_lease_left_by_a_dead_web_process_lapses(settings, air_defense_user):
    """A web process killed with its streams open never releases their per-user leases: they lapse."""
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 0.2  # a lease lives 3 heartbeats and 5 s
    settings.STREAM_MAX_PER_USER = 1
    orphan = stream_slots.acquire(user_id=air_defense_user.pk)
    orphan._leased = False  # its process died: nobody will give the lease back
    orphan.release()  # (this process's own count only)

    with pytest.raises(stream_slots.StreamRefused):
        stream_slots.acquire(user_id=air_defense_user.pk)
    time.sleep(stream_slots.lease_s() + 0.2)
    stream_slots.acquire(user_id=air_defense_user.pk).release()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "withdraw, reason",
    [
        (lambda user: user.groups.remove(Group.objects.get(name=roles.ROLE_GROUPS[roles.AIR_DEFENSE])), "no longer"),
        (lambda user: type(user).objects.filter(pk=user.pk).update(is_active=False), "credentials"),
        (lambda user: revoke_api_tokens(user=user), "credentials"),
    ],
    ids=["role-removed", "deactivated", "token-revoked"],
)
def test_a_token_stream_ends_at_the_heartbeat_after_its_user_loses_access(
    air_defense, air_defense_user, settings, withdraw, reason
):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 0.1
    response = air_defense.get(STREAM)
    assert response.status_code == 200
    first = next(iter(response.streaming_content)).decode()
    assert ": connected" in first

    withdraw(air_defense_user)

    blocks = blocks_until_closed(response)
    assert blocks[-1].startswith(": closed: ") and reason in blocks[-1]
    close(response)
    assert stream_slots.open_streams() == 0


@pytest.mark.django_db
def test_a_browser_stream_ends_at_the_heartbeat_after_sign_out(client, air_defense_user, settings):
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 0.1
    client.force_login(air_defense_user)
    response = client.get(STREAM, HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200
    assert ": connected" in next(iter(response.streaming_content)).decode()
    # Still allowed: heartbeats go on.
    assert next(iter(response.streaming_content)).decode() == ": heartbeat\n\n"

    client.logout()  # the session is deleted from the store, as signing out in another tab does

    assert blocks_until_closed(response)[-1] == ": closed: signed out\n\n"
    close(response)


def test_an_idle_stream_wakes_at_its_heartbeats_not_every_50_ms(settings):
    """With Redis a stream has nothing to poll: between messages it sleeps until its next heartbeat.
    (It used to wake every 50 ms after the first heartbeat: 1,000 idle streams kept a core busy.)"""
    settings.AIR_DEFENSE_STREAM_HEARTBEAT_S = 0.2
    conversation = stream_events._conversation(last_seen=None, at_heartbeat=lambda: None)
    waits, outcome = [], None
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:
        step = conversation.send(outcome)
        outcome = None
        if isinstance(step, stream_events._Wait):
            waits.append(step.seconds)
            time.sleep(step.seconds)  # nothing was published
    assert len(waits) <= 8, waits
    assert min(waits[1:]) > 0.1, waits
