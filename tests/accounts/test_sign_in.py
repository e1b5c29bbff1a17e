"""Failed sign-ins are counted; past the limit that username from that address is refused for a
while, on the login page and at the API token endpoint alike, and other addresses are not."""

import uuid

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def few_failures(settings):
    settings.SIGN_IN_MAX_FAILURES = 3


def token_request(username, password, address="10.1.1.1"):
    return APIClient(REMOTE_ADDR=address).post(TOKEN, {"username": username, "password": password}, format="json")


def test_token_endpoint_refuses_a_username_that_keeps_failing(few_failures, make_user):
    officer = make_user("command_staff")
    for _ in range(3):
        assert token_request(officer.username, "guess").status_code == 400

    refused = token_request(officer.username, PASSWORD)  # even the right password, for now
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.json()["detail"]
    # The officer, at their own desk, is not locked out by someone guessing elsewhere.
    assert token_request(officer.username, PASSWORD, address="10.2.2.2").status_code == 200


def test_an_address_trying_many_usernames_is_refused(few_failures, make_user):
    for n in range(15):  # 3 failures x 5 for an address
        assert token_request(f"nobody{n}", "guess", address="10.3.3.3").status_code == 400
    assert token_request(make_user("operator").username, PASSWORD, address="10.3.3.3").status_code == 429


def test_login_page_refuses_a_username_that_keeps_failing(few_failures, client, make_user):
    officer = make_user("command_staff")
    for _ in range(3):
        page = client.post("/login/", {"username": officer.username, "password": "guess"})
        assert page.status_code == 200 and "Too many" not in page.content.decode()
    page = client.post("/login/", {"username": officer.username, "password": PASSWORD})
    assert page.status_code == 200  # the form again, not a redirect to the officer's pages
    assert "Too many failed sign-ins" in page.content.decode()


def test_failures_are_counted_in_redis_across_processes(few_failures, settings, make_user):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    officer = make_user("command_staff")
    for _ in range(3):
        token_request(officer.username, "guess")
    assert token_request(officer.username, PASSWORD).status_code == 429


def test_without_the_cache_sign_in_still_works(settings, make_user):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    officer = make_user("command_staff")
    assert token_request(officer.username, "guess").status_code == 400
    assert token_request(officer.username, PASSWORD).status_code == 200
