"""The permit pages: the application form with its errors, the transitions offered
through Django's test client (the browser tests in tests/end_to_end/ do the same in Chromium)."""

import json
import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from airspace.registry.models import Aircraft
from permits.models import FlightPermit, State
from tests.conftest import square
from tests.fixtures_pages import INTERNAL_NAME, shown_errors

pytestmark = pytest.mark.django_db


def window(hours_ahead=2, hours=2):
    """The form's start and end as a person types them: in the display time zone (Baghdad)."""
    starts_at = (timezone.now() + timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
    starts_at = starts_at.astimezone(ZoneInfo(settings.DISPLAY_TIME_ZONE))
    return starts_at.strftime("%Y-%m-%dT%H:%M"), (starts_at + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def application(own_aircraft, **changes):
    starts_at, ends_at = window()
    form = {
        "aircraft": own_aircraft.pk,
        "purpose": "photography",
        "description": "Wedding on the Tigris bank",
        "area": json.dumps(square(44.30, 33.25)),
        "radius_m": "",
        "min_altitude_m": "0",
        "max_altitude_m": "100",
        "starts_at": starts_at,
        "ends_at": ends_at,
    }
    form.update(changes)
    return form


def test_operator_applies_and_submits(operator_user, make_aircraft, browser_for):
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    client = browser_for(operator_user)
    response = client.post("/permits/new/", application(aircraft))
    permit = FlightPermit.objects.get()
    assert response["Location"] == f"/permits/{permit.pk}/"
    assert (permit.state, permit.aircraft, permit.max_altitude_m) == (State.DRAFT, aircraft, 100)

    detail = client.get(f"/permits/{permit.pk}/").content.decode()
    assert 'data-transition="submit"' in detail and 'data-transition="cancel"' in detail
    assert 'data-transition="approve"' not in detail

    client.post(f"/permits/{permit.pk}/submit/")
    permit.refresh_from_db()
    assert permit.state == State.SUBMITTED
    detail = client.get(f"/permits/{permit.pk}/").content.decode()
    assert 'data-transition="submit"' not in detail
    assert f"<strong>Submitted by {operator_user.username}</strong>" in detail
    assert "(Draft → Submitted)" in detail


def test_a_circle_area_is_accepted(operator_user, make_aircraft, browser_for):
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    form = application(aircraft, area=json.dumps({"type": "Point", "coordinates": [44.3, 33.25]}), radius_m="400")
    browser_for(operator_user).post("/permits/new/", form)
    assert FlightPermit.objects.get().radius_m == 400


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"area": ""}, "area"),
        ({"area": "{not json"}, "area"),
        ({"min_altitude_m": "150", "max_altitude_m": "100"}, "max_altitude_m"),
        ({"ends_at": window(hours_ahead=1, hours=-2)[1]}, "ends_at"),
        ({"aircraft": ""}, "aircraft"),
        ({"purpose": "racing"}, "purpose"),
    ],
)
def test_form_errors_are_shown_next_to_the_field(operator_user, make_aircraft, browser_for, changes, field):
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    response = browser_for(operator_user).post("/permits/new/", application(aircraft, **changes))
    assert response.status_code == 400
    assert field in response.context["errors"], response.context["errors"]
    page = response.content.decode()
    # The message sits inside the field's own block, which is marked as having an error.
    block_start = page.index(f'for="{field}"') if f'for="{field}"' in page else page.index('id="permit-map"')
    block = page[page.rindex('<div class="field', 0, block_start) : page.index("</div>", block_start)]
    assert "has-error" in block and "errorlist" in page
    assert not FlightPermit.objects.exists()


def test_operator_cannot_open_another_operators_permit(make_permit, other_operator_user, browser_for):
    permit = make_permit(state=State.SUBMITTED)
    assert browser_for(other_operator_user).get(f"/permits/{permit.pk}/").status_code == 404


def test_officer_reviews_and_approves_from_the_queue(make_permit, officer, browser_for, make_zone):
    first = make_permit(state=State.SUBMITTED, starts_in=timedelta(hours=5))
    soonest = make_permit(state=State.SUBMITTED, starts_in=timedelta(hours=1))
    make_permit(state=State.DRAFT)
    in_effect = make_permit(state=State.APPROVED, starts_in=timedelta(hours=1))
    far_away = make_permit(state=State.APPROVED, starts_in=timedelta(hours=1), area=square(47.80, 30.50))  # Basra
    client = browser_for(officer)

    queue = client.get("/review/").content.decode()
    assert queue.index(soonest.reference) < queue.index(first.reference)
    assert queue.count('data-reference="') == 2

    detail = client.get(f"/permits/{soonest.pk}/")
    # One form decides, still submitted: no separate "Start review" step.
    assert [d["value"] for d in detail.context["decisions"]] == ["approve", "reject", "request_changes"]
    assert detail.context["transitions"] == []
    assert in_effect.reference in [n["reference"] for n in detail.context["map_data"]["neighbours"]]
    assert far_away.reference not in [n["reference"] for n in detail.context["map_data"]["neighbours"]]

    response = client.post(f"/permits/{soonest.pk}/decide/", {"decision": "reject", "reason": ""})
    soonest.refresh_from_db()
    assert soonest.state == State.SUBMITTED  # refused: not even the review started
    assert not soonest.history.filter(transition="start_review").exists()
    assert "give a reason" in client.get(response["Location"]).content.decode().lower()

    response = client.post(
        f"/permits/{soonest.pk}/decide/", {"decision": "approve", "reason": "Coordinated with the river police"}
    )
    assert response["Location"] == "/review/"
    soonest.refresh_from_db()
    assert soonest.state == State.APPROVED
    assert [entry.transition for entry in soonest.history.all()] == ["submit", "start_review", "approve"]
    assert soonest.history.get(transition="start_review").actor == officer
    assert soonest.history.get(transition="approve").reason == "Coordinated with the river police"
    assert soonest.notifications.filter(kind="permit.approved").exists()
    history = client.get(f"/permits/{soonest.pk}/").content.decode()
    assert f"Review started by {officer.username}" in history
    assert f"Approved by {officer.username}: “Coordinated with the river police”" in history
    shown = re.sub(r"<[^>]+>", "", history)  # the words on the page, not the attributes for scripts
    assert "(Submitted → Under review)" in shown
    assert not re.search(r"\b(start_review|under_review)\b", shown)


def test_a_transition_the_role_may_not_make_changes_nothing(make_permit, operator_user, browser_for):
    permit = make_permit(state=State.SUBMITTED, owner=operator_user)
    response = browser_for(operator_user).post(f"/permits/{permit.pk}/approve/", follow=True)
    permit.refresh_from_db()
    assert permit.state == State.SUBMITTED
    assert "Only command staff" in response.content.decode()


def test_operator_edits_an_application_sent_back_but_not_an_approved_one(make_permit, operator_user, browser_for):
    sent_back = make_permit(state=State.CHANGES_REQUESTED, owner=operator_user)
    client = browser_for(operator_user)
    form = client.get(f"/permits/{sent_back.pk}/edit/")
    assert form.status_code == 200 and form.context["values"]["max_altitude_m"] == sent_back.max_altitude_m
    response = client.post(f"/permits/{sent_back.pk}/edit/", application(sent_back.aircraft, max_altitude_m="60"))
    assert response["Location"] == f"/permits/{sent_back.pk}/"
    sent_back.refresh_from_db()
    assert (sent_back.state, sent_back.max_altitude_m) == (State.CHANGES_REQUESTED, 60)

    approved = make_permit(state=State.APPROVED, owner=operator_user)
    response = client.post(f"/permits/{approved.pk}/edit/", application(approved.aircraft, max_altitude_m="60"))
    assert response["Location"] == f"/permits/{approved.pk}/"
    approved.refresh_from_db()
    assert approved.max_altitude_m == 120


def test_every_error_of_the_application_is_shown_at_once_in_words_for_a_person(
    operator_user, make_aircraft, browser_for
):
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    form = application(
        aircraft,
        aircraft="",
        area="",
        min_altitude_m="150",
        max_altitude_m="100",
        ends_at=window(hours_ahead=1, hours=-2)[1],
    )
    response = browser_for(operator_user).post("/permits/new/", form)
    assert response.status_code == 400
    errors = response.context["errors"]
    assert {"aircraft", "area", "max_altitude_m", "ends_at"} <= set(errors), errors
    assert errors["aircraft"] == ["Choose one of your aircraft."]
    assert errors["area"] == ["Draw the area on the map: a polygon or a circle."]
    assert not FlightPermit.objects.exists()


def test_a_draft_that_cannot_be_submitted_says_why(operator_user, make_aircraft, make_permit, browser_for):
    pending = make_aircraft(operator_user.operator_membership.operator, status=Aircraft.Status.PENDING)
    permit = make_permit(state=State.DRAFT, owner=operator_user, aircraft=pending)
    page = browser_for(operator_user).get(f"/permits/{permit.pk}/").content.decode()
    assert 'data-transition="submit"' not in page
    blocked = page[page.index('id="blocked"') : page.index("</div>", page.index('id="blocked"'))]
    assert pending.serial_number in blocked and "pending" in blocked


def test_an_officer_is_told_why_approve_is_missing(make_permit, senior_officer, make_zone, browser_for):
    permit = make_permit(state=State.UNDER_REVIEW)
    make_zone(name="New exclusion", area=permit.boundary)  # declared prohibited after the application
    page = browser_for(senior_officer).get(f"/permits/{permit.pk}/").content.decode()
    assert 'data-transition="approve"' not in page
    assert 'id="blocked"' in page and "New exclusion" in page


def test_an_officer_is_told_that_a_suspended_aircraft_cannot_be_approved(make_permit, senior_officer, browser_for):
    permit = make_permit(state=State.UNDER_REVIEW)
    Aircraft.objects.filter(pk=permit.aircraft_id).update(status=Aircraft.Status.SUSPENDED)
    page = browser_for(senior_officer).get(f"/permits/{permit.pk}/").content.decode()
    assert 'data-transition="approve"' not in page
    blocked = page[page.index('id="blocked"') : page.index("</div>", page.index('id="blocked"'))]
    assert permit.aircraft.serial_number in blocked and "suspended" in blocked


def _confirmation(page, marker):
    """The data-confirm message of the form whose opening tag contains `marker`."""
    tag = page[page.rindex("<form", 0, page.index(marker)) : page.index(">", page.index(marker))]
    return tag[tag.index('data-confirm="') + len('data-confirm="') :].split('"')[0] if "data-confirm" in tag else None


def test_actions_that_cannot_be_undone_ask_first_and_say_what_will_happen(
    make_permit, operator_user, officer, make_zone, browser_for
):
    draft = make_permit(state=State.DRAFT, owner=operator_user)
    approved = make_permit(state=State.APPROVED, owner=operator_user)
    zone = make_zone(name="Embassy row")
    client = browser_for(operator_user)
    page = client.get(f"/permits/{draft.pk}/").content.decode()
    assert "/static/airspace/confirm.js" in page  # the few lines that ask, on every page
    assert _confirmation(page, 'data-transition="submit"') is None  # a submission can be cancelled
    assert f"Cancel application {draft.reference}?" in _confirmation(page, 'data-transition="cancel"')
    cancel = _confirmation(client.get(f"/permits/{approved.pk}/").content.decode(), 'data-transition="cancel"')
    assert f"Cancel permit {approved.reference}?" in cancel and "air defense will be told" in cancel

    client = browser_for(officer)
    revoke = _confirmation(client.get(f"/permits/{approved.pk}/").content.decode(), 'data-transition="revoke"')
    assert f"Revoke permit {approved.reference}" in revoke and "air defense" in revoke
    deactivate = _confirmation(client.get("/zones/").content.decode(), f"/zones/{zone.pk}/deactivate/")
    assert "Deactivate prohibited zone Embassy row?" in deactivate
    suspend = _confirmation(client.get("/aircraft/").content.decode(), f"/aircraft/{approved.aircraft_id}/suspend/")
    assert f"Suspend aircraft {approved.aircraft.serial_number}" in suspend and "revoked" in suspend


def test_the_altitude_error_speaks_of_the_altitudes_as_the_form_labels_them(operator_user, make_aircraft, browser_for):
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    response = browser_for(operator_user).post(
        "/permits/new/", application(aircraft, min_altitude_m="200", max_altitude_m="50")
    )
    assert response.status_code == 400
    message = "The highest altitude (50 m) must be above the lowest altitude (200 m)."
    assert response.context["errors"]["max_altitude_m"] == [message]
    page = response.content.decode()
    assert message in shown_errors(page)
    assert "Highest altitude" in page and "Lowest altitude" in page  # the labels the message speaks of


POINT = json.dumps({"type": "Point", "coordinates": [44.3, 33.25]})


@pytest.mark.parametrize(
    "changes",
    [
        {"min_altitude_m": "200", "max_altitude_m": "50"},
        {"min_altitude_m": "-10"},
        {"min_altitude_m": "low", "max_altitude_m": "high"},
        {"area": POINT, "radius_m": "5"},
        {"area": POINT, "radius_m": ""},
        {"area": POINT, "radius_m": "wide"},
        {"radius_m": "300"},  # a polygon with a radius
        {"area": "{not json"},
        {"area": json.dumps({"type": "LineString", "coordinates": [[44, 33], [44.1, 33.1]]})},
        {"starts_at": "soon", "ends_at": "later"},
        {"aircraft": "999999", "purpose": "racing"},
    ],
    ids=lambda changes: "-".join(changes),
)
def test_no_application_form_error_names_an_internal_field(operator_user, make_aircraft, browser_for, changes):
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    response = browser_for(operator_user).post("/permits/new/", application(aircraft, **changes))
    assert response.status_code == 400
    shown = shown_errors(response.content.decode())
    assert shown
    assert not [message for message in shown if INTERNAL_NAME.search(message)], shown


def test_why_a_draft_cannot_be_submitted_names_no_internal_field(operator_user, make_permit, browser_for):
    permit = make_permit(state=State.DRAFT, owner=operator_user)
    FlightPermit.objects.filter(pk=permit.pk).update(max_altitude_m=5000)  # above the ceiling
    page = browser_for(operator_user).get(f"/permits/{permit.pk}/").content.decode()
    shown = shown_errors(page)
    assert shown
    assert not [message for message in shown if INTERNAL_NAME.search(message)], shown


def test_the_window_is_typed_in_the_display_time_zone(operator_user, make_aircraft, browser_for, settings):
    # 10:00 typed by a pilot in Baghdad (UTC+3, no daylight saving) is 07:00 UTC.
    settings.DISPLAY_TIME_ZONE = "Asia/Baghdad"
    aircraft = make_aircraft(operator_user.operator_membership.operator)
    client = browser_for(operator_user)
    form = client.get("/permits/new/").content.decode()
    assert "Starts, Baghdad time (UTC+03:00)" in form and 'id="window-zone"' in form
    day = (timezone.now() + timedelta(days=2)).astimezone(ZoneInfo("Asia/Baghdad")).date()
    response = client.post("/permits/new/", application(aircraft, starts_at=f"{day}T10:00", ends_at=f"{day}T11:30"))
    assert response.status_code == 302, response.context and response.context["errors"]
    permit = FlightPermit.objects.get()
    assert permit.starts_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") == f"{day} 07:00"
    assert permit.ends_at.astimezone(UTC).strftime("%H:%M") == "08:30"
    # And the edit form shows it back as typed.
    assert client.get(f"/permits/{permit.pk}/edit/").context["values"]["starts_at"] == f"{day}T10:00"
