"""The adduser management command creates users in each role; the password is asked for at a
terminal or read from standard input, never taken from the command line."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from knox.models import AuthToken

from airspace import roles
from airspace.registry.models import Operator
from airspace.surveillance.models import Sensor


def adduser(*args, password):
    """Run adduser as a script does: the password on standard input."""
    call_command("adduser", *args, "--password-stdin", stdin=io.StringIO(f"{password}\n"), stdout=io.StringIO())


def signs_in(username, password):
    user = get_user_model().objects.filter(username=username).first()
    return user is not None and user.check_password(password)


class Terminal(io.StringIO):
    """Standard input as a person at a terminal has it."""

    def isatty(self):
        return True


@pytest.fixture
def typed(monkeypatch):
    """What the person types at each password prompt, in order; the prompts asked are recorded."""
    prompts = []

    def answer(*answers):
        replies = iter(answers)

        def getpass(prompt="Password: ", stream=None):
            prompts.append(prompt)
            return next(replies)

        monkeypatch.setattr("getpass.getpass", getpass)
        return prompts

    return answer


@pytest.mark.django_db
def test_operator_founds_then_joins_organization():
    adduser("ana", "--role", "operator", "--organization", "Sky Media", password="secret-pass-1")
    adduser("ben", "--role", "operator", "--organization", "Sky Media", password="secret-pass-2")
    operator = Operator.objects.get(name="Sky Media")
    assert sorted(m.user.username for m in operator.memberships.all()) == ["ana", "ben"]
    assert signs_in("ana", "secret-pass-1")
    assert roles.roles_of(get_user_model().objects.get(username="ana")) == {roles.OPERATOR}


@pytest.mark.django_db
def test_senior_officer_is_also_command_staff():
    adduser("colonel", "--role", "senior_officer", password="secret-pass-1")
    user = get_user_model().objects.get(username="colonel")
    assert roles.is_senior_officer(user) and roles.is_command_staff(user)


@pytest.mark.django_db
def test_sensor_gets_a_sensor_record():
    adduser("radar-north", "--role", "sensor", password="secret-pass-1")
    assert Sensor.objects.get(name="radar-north").user.username == "radar-north"


@pytest.mark.django_db
def test_rerun_updates_password_without_duplicating():
    adduser("dan", "--role", "air_defense", password="first-password")
    adduser("dan", "--role", "air_defense", password="second-password")
    assert signs_in("dan", "second-password")
    assert not signs_in("dan", "first-password")
    assert get_user_model().objects.filter(username="dan").count() == 1


@pytest.mark.django_db
def test_at_a_terminal_the_password_is_asked_for_twice(typed):
    prompts = typed("typed-at-terminal-1", "typed-at-terminal-1")
    call_command("adduser", "gus", "--role", "air_defense", stdin=Terminal(), stdout=io.StringIO())
    assert prompts == ["Password: ", "Password (again): "]
    assert signs_in("gus", "typed-at-terminal-1")


@pytest.mark.django_db
def test_two_different_passwords_at_the_terminal_change_nothing(typed):
    typed("typed-at-terminal-1", "typed-at-terminal-2")
    with pytest.raises(CommandError, match="differ"):
        call_command("adduser", "gus", "--role", "air_defense", stdin=Terminal(), stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="gus").exists()


@pytest.mark.django_db
def test_without_a_terminal_or_password_stdin_it_asks_for_one():
    with pytest.raises(CommandError, match="--password-stdin"):
        call_command("adduser", "hal", "--role", "sensor", stdin=io.StringIO("secret-pass-1\n"))
    assert not get_user_model().objects.filter(username="hal").exists()


@pytest.mark.django_db
def test_a_password_on_the_command_line_is_refused():
    with pytest.raises(CommandError, match="process list"):
        call_command("adduser", "ivy", "--role", "sensor", "--password", "secret-pass-1")
    assert not get_user_model().objects.filter(username="ivy").exists()


@pytest.mark.django_db
def test_an_empty_password_on_stdin_is_refused():
    with pytest.raises(CommandError, match="empty"):
        adduser("jon", "--role", "sensor", password="")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, password",
    [
        (["eve", "--role", "pilot"], "secret-pass-1"),
        (["eve", "--role", "command_staff", "--organization", "X"], "secret-pass-1"),
        (["eve", "--role", "operator"], "short"),
        (["", "--role", "air_defense"], "secret-pass-1"),
        (["eve with spaces", "--role", "air_defense"], "secret-pass-1"),
        (["e" * 151, "--role", "air_defense"], "secret-pass-1"),
    ],
    ids=["unknown-role", "organization-for-staff", "short-password", "blank-name", "spaces", "too-long"],
)
def test_bad_arguments_fail_clearly(args, password):
    with pytest.raises((CommandError, SystemExit)):
        adduser(*args, password=password)


@pytest.mark.django_db
def test_sensor_name_taken_by_another_user_fails_clearly():
    adduser("radar-1", "--role", "sensor", password="secret-pass-1")
    Sensor.objects.filter(user__username="radar-1").update(name="radar-2")
    with pytest.raises(CommandError, match="radar-2"):
        adduser("radar-2", "--role", "sensor", password="secret-pass-1")


@pytest.mark.django_db
def test_rerun_with_another_role_replaces_the_role():
    adduser("fay", "--role", "operator", "--organization", "Sky Media", password="secret-pass-1")
    adduser("fay", "--role", "command_staff", password="secret-pass-1")
    user = get_user_model().objects.get(username="fay")
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
        adduser(username, "--role", "sensor", password=password)
    assert not get_user_model().objects.filter(username=username).exists()


@pytest.mark.django_db
def test_new_password_revokes_the_api_tokens(client_for):
    adduser("radar-9", "--role", "sensor", password="first-password")
    user = get_user_model().objects.get(username="radar-9")
    leaked = client_for(user)  # holds a token issued for the first password
    assert leaked.get("/api/v1/zones/").status_code == 200

    adduser("radar-9", "--role", "sensor", password="second-password")

    assert leaked.get("/api/v1/zones/").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()
