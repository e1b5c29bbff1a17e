"""The adduser management command creates users in each role."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from airspace import roles
from airspace.registry.models import Operator
from airspace.surveillance.models import Sensor


@pytest.mark.django_db
def test_operator_founds_then_joins_organization():
    call_command("adduser", "ana", "--role", "operator", "--password", "secret-pass-1", "--organization", "Sky Media")
    call_command("adduser", "ben", "--role", "operator", "--password", "secret-pass-2", "--organization", "Sky Media")
    operator = Operator.objects.get(name="Sky Media")
    assert sorted(m.user.username for m in operator.memberships.all()) == ["ana", "ben"]
    user = authenticate(username="ana", password="secret-pass-1")
    assert user is not None and roles.roles_of(user) == {roles.OPERATOR}


@pytest.mark.django_db
def test_senior_officer_is_also_command_staff():
    call_command("adduser", "colonel", "--role", "senior_officer", "--password", "secret-pass-1")
    user = authenticate(username="colonel", password="secret-pass-1")
    assert roles.is_senior_officer(user) and roles.is_command_staff(user)


@pytest.mark.django_db
def test_sensor_gets_a_sensor_record():
    call_command("adduser", "radar-north", "--role", "sensor", "--password", "secret-pass-1")
    assert Sensor.objects.get(name="radar-north").user.username == "radar-north"


@pytest.mark.django_db
def test_rerun_updates_password_without_duplicating():
    call_command("adduser", "dan", "--role", "air_defense", "--password", "first-password")
    call_command("adduser", "dan", "--role", "air_defense", "--password", "second-password")
    assert authenticate(username="dan", password="second-password") is not None
    assert authenticate(username="dan", password="first-password") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["eve", "--role", "pilot", "--password", "secret-pass-1"],
        ["eve", "--role", "command_staff", "--password", "secret-pass-1", "--organization", "X"],
        ["eve", "--role", "operator", "--password", "short"],
        ["", "--role", "air_defense", "--password", "secret-pass-1"],
        ["eve with spaces", "--role", "air_defense", "--password", "secret-pass-1"],
        ["e" * 151, "--role", "air_defense", "--password", "secret-pass-1"],
    ],
    ids=["unknown-role", "organization-for-staff", "short-password", "blank-name", "spaces", "too-long"],
)
def test_bad_arguments_fail_clearly(args):
    with pytest.raises((CommandError, SystemExit)):
        call_command("adduser", *args)


@pytest.mark.django_db
def test_sensor_name_taken_by_another_user_fails_clearly():
    call_command("adduser", "radar-1", "--role", "sensor", "--password", "secret-pass-1")
    Sensor.objects.filter(user__username="radar-1").update(name="radar-2")
    with pytest.raises(CommandError, match="radar-2"):
        call_command("adduser", "radar-2", "--role", "sensor", "--password", "secret-pass-1")


@pytest.mark.django_db
def test_rerun_with_another_role_replaces_the_role():
    call_command("adduser", "fay", "--role", "operator", "--password", "secret-pass-1", "--organization", "Sky Media")
    call_command("adduser", "fay", "--role", "command_staff", "--password", "secret-pass-1")
    user = authenticate(username="fay", password="secret-pass-1")
    assert roles.roles_of(user) == {roles.COMMAND_STAFF}
    assert roles.operator_of(user) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username, password",
    [("gil", "password123"), ("gil", "8675309123"), ("gilgamesh-ur", "gilgamesh-ur1")],
    ids=["common", "all-digits", "like-the-name"],
)
def test_weak_password_is_refused(username, password):
    with pytest.raises(CommandError, match="Password"):
        call_command("adduser", username, "--role", "sensor", "--password", password)
    assert not get_user_model().objects.filter(username=username).exists()


@pytest.mark.django_db
def test_new_password_revokes_the_api_token(client_for):
    call_command("adduser", "radar-9", "--role", "sensor", "--password", "first-password")
    user = get_user_model().objects.get(username="radar-9")
    leaked = client_for(user)  # holds the token issued for the first password
    assert leaked.get("/api/v1/zones/").status_code == 200

    call_command("adduser", "radar-9", "--role", "sensor", "--password", "second-password")

    assert leaked.get("/api/v1/zones/").status_code == 401
    assert not Token.objects.filter(user=user).exists()
