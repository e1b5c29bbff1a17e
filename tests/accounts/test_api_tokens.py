"""API tokens (django-rest-knox): stored hashed, expiring after a lifetime set per role, revocable
by their holder one at a time or all at once; an expired or revoked token is a 401."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from airspace import roles
from airspace.accounts.services import get_api_token
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REVOKE = "/api/v1/auth/token/revoke/"
REVOKE_ALL = "/api/v1/auth/token/revoke-all/"


def fetch_token(user):
    response = APIClient().post(TOKEN, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def holding(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_token_endpoint_answers_a_token_and_when_it_expires(settings, operator_user):
    settings.API_TOKEN_TTL_HOURS = 12
    before = timezone.now()
    answer = fetch_token(operator_user)
    assert answer.keys() == {"token", "expires"}
    expires = parse_datetime(answer["expires"])
    assert timedelta(hours=12) <= expires - before < timedelta(hours=12, minutes=1)
    assert holding(answer["token"]).get("/api/v1/aircraft/").status_code == 200


def test_tokens_are_stored_hashed(operator_user):
    key = fetch_token(operator_user)["token"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(key in str(column) for column in rows[0])  # only a digest and a short lookup prefix


@pytest.mark.parametrize(
    "role, lifetime",
    [
        (roles.OPERATOR, timedelta(hours=8)),
        (roles.COMMAND_STAFF, timedelta(hours=8)),
        (roles.SENSOR, timedelta(days=45)),
        (roles.AIR_DEFENSE, timedelta(days=45)),
    ],
)
def test_machines_get_long_lived_tokens_and_people_short_ones(settings, make_user, role, lifetime):
    settings.API_TOKEN_TTL_HOURS = 8
    settings.MACHINE_API_TOKEN_TTL_DAYS = 45
    before = timezone.now()
    expires = parse_datetime(fetch_token(make_user(role))["expires"])
    assert lifetime <= expires - before < lifetime + timedelta(minutes=1)


def test_an_expired_token_is_refused(sensor_user):
    key = fetch_token(sensor_user)["token"]
    AuthToken.objects.filter(user=sensor_user).update(expiry=timezone.now() - timedelta(seconds=1))
    response = holding(key).get("/api/v1/zones/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_revoking_the_token_used_leaves_the_others(sensor_user):
    first, second = fetch_token(sensor_user)["token"], fetch_token(sensor_user)["token"]

    response = holding(first).post(REVOKE)

    assert response.status_code == 200 and response.json() == {"revoked": 1}
    assert holding(first).get("/api/v1/zones/").status_code == 401
    assert holding(second).get("/api/v1/zones/").status_code == 200


def test_revoking_all_my_tokens(sensor_user, air_defense_user):
    mine = [fetch_token(sensor_user)["token"] for _ in range(3)]
    theirs = fetch_token(air_defense_user)["token"]

    response = holding(mine[0]).post(REVOKE_ALL)

    assert response.status_code == 200 and response.json() == {"revoked": 3}
    assert all(holding(key).get("/api/v1/zones/").status_code == 401 for key in mine)
    assert holding(theirs).get("/api/v1/zones/").status_code == 200


def test_a_person_revokes_all_their_tokens_from_the_browser_session(officer):
    key = fetch_token(officer)["token"]
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(officer)
    browser.get("/", follow=True)  # the page sets the CSRF cookie, as the browser would have it
    refused = browser.post(REVOKE_ALL)
    assert refused.status_code == 403  # no CSRF token: a forged request from another site
    csrf = browser.cookies["csrftoken"].value
    assert browser.post(REVOKE_ALL, HTTP_X_CSRFTOKEN=csrf).json() == {"revoked": 1}
    assert holding(key).get("/api/v1/zones/").status_code == 401


def test_revoking_needs_a_valid_token(sensor_user):
    assert APIClient().post(REVOKE).status_code == 401
    assert holding("0" * 64).post(REVOKE).status_code == 401
    assert APIClient().post(REVOKE_ALL).status_code in (401, 403)


def test_past_the_cap_a_new_token_revokes_the_oldest(settings, sensor_user):
    settings.API_TOKENS_PER_USER = 3
    keys = [get_api_token(user=sensor_user).key for _ in range(4)]
    assert AuthToken.objects.filter(user=sensor_user).count() == 3
    assert holding(keys[0]).get("/api/v1/zones/").status_code == 401
    assert all(holding(key).get("/api/v1/zones/").status_code == 200 for key in keys[1:])


def test_the_token_endpoint_ignores_a_stale_authorization_header(operator_user):
    client = holding("0" * 64)  # e.g. a sensor whose token was revoked, fetching a new one
    response = client.post(TOKEN, {"username": operator_user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"username": "x" * 151, "password": PASSWORD}, "username"),
        ({"username": "someone", "password": "p" * 4097}, "password"),
        ({"username": "", "password": PASSWORD}, "username"),
        ({"username": "someone"}, "password"),
    ],
    ids=["long-username", "long-password", "blank-username", "no-password"],
)
def test_bad_token_requests_are_400_naming_the_field(body, field):
    response = APIClient().post(TOKEN, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_every_api_request_can_be_authenticated_by_a_token_again():
    # The live stream re-runs the view's authentication classes at each heartbeat: a revoked or
    # expired token must fail there too, which needs knox among the defaults.
    assert TokenAuthentication in api_settings.DEFAULT_AUTHENTICATION_CLASSES


def test_the_schema_documents_token_expiry_and_revocation(client_for, officer):
    schema = client_for(officer).get("/api/schema/?format=json").json()
    assert {"/api/v1/auth/token/revoke/", "/api/v1/auth/token/revoke-all/"} <= schema["paths"].keys()
    assert "expires" in schema["components"]["schemas"]["TokenResponse"]["properties"]
    scheme = schema["components"]["securitySchemes"]["knoxApiToken"]
    assert scheme["name"] == "Authorization" and '"Token"' in scheme["description"]
    assert schema["paths"]["/api/v1/auth/token/revoke/"]["post"]["security"] == [{"knoxApiToken": []}]


@pytest.mark.django_db(transaction=True)
def test_upgrading_drops_the_plain_text_tokens_of_drf_authtoken():
    call_command("migrate", "airspace", "0006", verbosity=0)
    with connection.cursor() as cursor:  # what DRF's authtoken left in a database migrated before
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('a246bf15d56c2130ba57bef9d0e6ed207de52496', 1)")

    # Every app forward again: going back to 0006 also took back the migrations that depend on later ones
    # (permits' excursions depend on airspace's 0010).
    call_command("migrate", verbosity=0)

    assert "authtoken_token" not in connection.introspection.table_names()
