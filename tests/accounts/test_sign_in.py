"""Failed sign-ins lock out the username (django-axes), on the login page, /admin/login/ and the API
token endpoint together and from any address; per client address sign-ins are only slowed down;
the client address is the real one behind the TLS proxy."""

import uuid
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
PROXY = "10.0.0.2"


@pytest.fixture
def few_failures(settings):
    settings.AXES_FAILURE_LIMIT = 3


def token_request(username, password, address="10.1.1.1", **headers):
    client = APIClient(REMOTE_ADDR=address, **headers)
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


def page_sign_in(path, username, password, address="10.1.1.1"):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def test_token_endpoint_refuses_a_username_that_keeps_failing(few_failures, make_user):
    officer = make_user("command_staff")
    for _ in range(2):
        assert token_request(officer.username, "guess").status_code == 400
    third = token_request(officer.username, "guess")  # reaches the limit: told so at once
    assert third.status_code == 429

    refused = token_request(officer.username, PASSWORD)  # even the right password, for now
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.json()["detail"]
    assert refused["Retry-After"] == "900"
    # From any address: behind the TLS proxy an address says nothing about who is signing in.
    assert token_request(officer.username, PASSWORD, address="10.2.2.2").status_code == 429


def test_one_locked_username_does_not_lock_another_user_on_the_same_address(few_failures, settings, make_user):
    # About the lockout only: the address's slow-down (tested below) would make the colleague wait a minute.
    settings.SIGN_IN_ADDRESS_RATE = "1000/min"
    officer, colleague = make_user("command_staff"), make_user("command_staff")
    for _ in range(5):  # someone behind the proxy keeps guessing the officer's password
        token_request(officer.username, "guess")
        page_sign_in("/login/", officer.username, "guess")
    assert token_request(officer.username, PASSWORD).status_code == 429
    # ... and then the passwords of the other officers: all of them from the one address.
    others = [make_user("command_staff") for _ in range(5)]
    for other in others:
        for _ in range(3):
            token_request(other.username, "guess")
    assert all(token_request(other.username, PASSWORD).status_code == 429 for other in others)

    # The colleague at the next desk (the same address) signs in as usual, on the API and the page.
    assert token_request(colleague.username, PASSWORD).status_code == 200
    assert page_sign_in("/login/", colleague.username, PASSWORD).status_code == 302


def test_login_page_refuses_a_username_that_keeps_failing(few_failures, make_user):
    officer = make_user("command_staff")
    for _ in range(2):
        page = page_sign_in("/login/", officer.username, "guess")
        assert page.status_code == 200 and "Too many" not in page.content.decode()
    assert page_sign_in("/login/", officer.username, "guess").status_code == 429

    page = page_sign_in("/login/", officer.username, PASSWORD)
    assert page.status_code == 429  # the form again, not a redirect to the officer's pages
    assert "Too many failed sign-ins" in page.content.decode()
    assert 'name="password"' in page.content.decode()
    assert "_auth_user_id" not in page.wsgi_request.session


def test_admin_login_refuses_a_username_that_keeps_failing(few_failures, make_user):
    admin = make_user("command_staff")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    for _ in range(3):
        page_sign_in("/admin/login/", admin.username, "guess")

    page = page_sign_in("/admin/login/", admin.username, PASSWORD)
    assert page.status_code == 429
    assert "Too many failed sign-ins" in page.content.decode()
    assert "_auth_user_id" not in page.wsgi_request.session
    # One count for every way in: the token endpoint refuses the same username.
    assert token_request(admin.username, PASSWORD).status_code == 429


def test_failures_on_the_token_endpoint_lock_the_pages_too(few_failures, make_user):
    officer = make_user("command_staff")
    for _ in range(3):
        token_request(officer.username, "guess")
    assert page_sign_in("/login/", officer.username, PASSWORD).status_code == 429


def test_the_lockout_ends_after_the_cool_off(few_failures, make_user):
    officer = make_user("command_staff")
    for _ in range(3):
        token_request(officer.username, "guess")
    assert token_request(officer.username, PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(seconds=901))

    assert token_request(officer.username, PASSWORD).status_code == 200


def test_guessing_during_the_lockout_does_not_extend_it(few_failures, make_user):
    officer = make_user("command_staff")
    for _ in range(3):
        token_request(officer.username, "guess")
    locked_at = AccessAttempt.objects.get().attempt_time
    for _ in range(5):
        assert token_request(officer.username, "guess").status_code == 429
    assert AccessAttempt.objects.get().attempt_time == locked_at


def test_an_address_trying_many_usernames_is_slowed_down_not_blocked(settings, make_user):
    settings.SIGN_IN_ADDRESS_RATE = "5/min"
    for n in range(5):
        assert token_request(f"nobody{n}", "guess", address="10.3.3.3").status_code == 400
    slowed = token_request(make_user("operator").username, PASSWORD, address="10.3.3.3")
    assert slowed.status_code == 429
    assert 0 < int(slowed["Retry-After"]) <= 60  # a wait, not a lockout
    assert "Request was throttled" in slowed.json()["detail"]
    page = page_sign_in("/login/", "nobody", "guess", address="10.3.3.3")
    assert page.status_code == 429 and "from your address" in page.content.decode()
    assert page_sign_in("/admin/login/", "nobody", "guess", address="10.3.3.3").status_code == 429
    # Nobody was locked out by it, and other addresses go on as before.
    assert token_request(make_user("operator").username, PASSWORD, address="10.4.4.4").status_code == 200


def test_behind_the_proxy_the_real_client_address_is_slowed_down(settings, make_user):
    settings.TRUSTED_PROXIES = 1
    settings.SIGN_IN_ADDRESS_RATE = "3/min"
    for n in range(3):
        # Through the proxy, with an X-Forwarded-For the guesser wrote itself in front of the real one.
        forwarded = f"198.51.100.{n}, 10.9.9.9"
        response = token_request(f"nobody{n}", "guess", address=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
        assert response.status_code == 400
    assert token_request("nobody", "guess", address=PROXY, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429
    # Someone else behind the same proxy is not.
    colleague = make_user("operator")
    assert (
        token_request(colleague.username, PASSWORD, address=PROXY, HTTP_X_FORWARDED_FOR="10.8.8.8").status_code == 200
    )
    # And the failures are recorded with the real address, as evidence.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.9.9.9"}


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(settings):
    settings.SIGN_IN_ADDRESS_RATE = "2/min"
    for n in range(2):
        token_request("nobody", "guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert token_request("nobody", "guess", HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.1.1.1"}


def test_attempts_per_address_are_counted_in_redis_across_processes(settings, make_user):
    settings.SIGN_IN_ADDRESS_RATE = "2/min"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    officer = make_user("command_staff")
    for _ in range(2):
        token_request(officer.username, "guess")
    assert token_request(officer.username, PASSWORD).status_code == 429


def test_without_the_cache_sign_in_still_works(settings, few_failures, make_user):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    officer = make_user("command_staff")
    assert token_request(officer.username, "guess").status_code == 400
    assert token_request(officer.username, PASSWORD).status_code == 200
    assert page_sign_in("/login/", officer.username, PASSWORD).status_code == 302
    # The lockout is kept in the database: it holds without the cache.
    for _ in range(3):
        token_request(officer.username, "guess")
    assert token_request(officer.username, PASSWORD).status_code == 429
