"""What people do to the registry and zones, one function per act."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from . import roles
from .api_tokens import revoke_api_tokens
from .models import Aircraft


def _change_aircraft_status(*, aircraft_id, officer, transition_name, past_tense):
    if not roles.is_command_staff(officer):
        raise PermissionDenied(f"Only command staff may {transition_name} aircraft.")
    with transaction.atomic():
        aircraft = Aircraft.objects.select_for_update().get(pk=aircraft_id)
        transition = getattr(aircraft, transition_name)
        if not can_proceed(transition):
            # A 409 from the API; the aircraft page shows it as a message.
            raise TransitionNotAllowed(f"An aircraft that is {aircraft.status} cannot be {past_tense} now.")
        transition()
        aircraft.status_changed_at = timezone.now()
        aircraft.status_changed_by = officer
        aircraft.save()
    return aircraft


def verify_aircraft(*, aircraft_id, officer):
    """Command staff checked the drone: it may now be named in a permit."""
    return _change_aircraft_status(
        aircraft_id=aircraft_id, officer=officer, transition_name="verify", past_tense="verified"
    )


def suspend_aircraft(*, aircraft_id, officer):
    """Ground a drone: no new permits, its approved and active permits are revoked (air defense is
    told), and any flight of it is treated as unauthorized."""
    # permits builds on the registry, so the registry reaches for it only here, at call time.
    from permits.services import revoke_permits_of_grounded_aircraft

    with transaction.atomic():
        aircraft = _change_aircraft_status(
            aircraft_id=aircraft_id, officer=officer, transition_name="suspend", past_tense="suspended"
        )
        revoke_permits_of_grounded_aircraft(aircraft=aircraft, officer=officer)
    return aircraft


def add_user_with_role(*, username, role, password, organization=None, email=""):
    """Create a user in a role, or put an existing one in that role instead of the one they had
    (one person both applying and deciding would defeat the review). An operator joins the operator
    organization named `organization` (founded if new; the username when none is given). A new
    password also revokes the user's API tokens: a reset after a leak must lock the old holder out.
    Returns (user, created)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from .models import Operator, OperatorMembership, Sensor

    if role not in roles.ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(roles.ROLES)}.")
    if organization and role != roles.OPERATOR:
        raise ValueError("An organization is only for the operator role.")
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
        user.set_password(password)
        user.save()
        revoke_api_tokens(user=user)
        group_names = [roles.ROLE_GROUPS[role]]
        if role == roles.SENIOR_OFFICER:
            group_names.append(roles.ROLE_GROUPS[roles.COMMAND_STAFF])
        user.groups.remove(*user.groups.filter(name__in=roles.ROLE_GROUPS.values()).exclude(name__in=group_names))
        for group_name in group_names:
            user.groups.add(Group.objects.get_or_create(name=group_name)[0])
        if role == roles.OPERATOR:
            operator, _ = Operator.objects.get_or_create(name=organization or username)
            OperatorMembership.objects.update_or_create(user=user, defaults={"operator": operator})
        else:
            OperatorMembership.objects.filter(user=user).delete()
        if role == roles.SENSOR:
            Sensor.objects.get_or_create(user=user, defaults={"name": username})
    return user, created


def deactivate_zone(*, zone_id):
    """Zones are evidence for past decisions: they are deactivated, never deleted."""
    from .models import RestrictedZone

    zone = RestrictedZone.objects.get(pk=zone_id)
    zone.active = False
    zone.save(update_fields=["active", "updated_at"])
    return zone
