"""Roles are Django groups. The one place that says who is what, and the DRF permissions built on it."""

from rest_framework.permissions import BasePermission

OPERATOR = "operator"
COMMAND_STAFF = "command_staff"
SENIOR_OFFICER = "senior_officer"
AIR_DEFENSE = "air_defense"
SENSOR = "sensor"
DEALER = "dealer"

ROLE_GROUPS = {
    OPERATOR: "operators",
    COMMAND_STAFF: "command_staff",
    SENIOR_OFFICER: "senior_officers",
    AIR_DEFENSE: "air_defense",
    SENSOR: "sensors",
    DEALER: "dealers",
}
ROLES = tuple(ROLE_GROUPS)


def roles_of(user) -> frozenset[str]:
    """The roles of a user, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_airspace_roles", None)
    if cached is None:
        group_to_role = {group: role for role, group in ROLE_GROUPS.items()}
        names = user.groups.values_list("name", flat=True)
        cached = frozenset(group_to_role[name] for name in names if name in group_to_role)
        user._airspace_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user).intersection(roles))


def is_command_staff(user) -> bool:
    # A senior officer is command staff with the extra power to approve in restricted zones.
    return has_role(user, COMMAND_STAFF, SENIOR_OFFICER)


def is_senior_officer(user) -> bool:
    return has_role(user, SENIOR_OFFICER)


def is_operator(user) -> bool:
    return has_role(user, OPERATOR)


def is_air_defense(user) -> bool:
    return has_role(user, AIR_DEFENSE)


def is_sensor(user) -> bool:
    return has_role(user, SENSOR)


def is_dealer(user) -> bool:
    return has_role(user, DEALER)


def operator_of(user):
    """The Operator organization a user flies for, or None."""
    if user is None or not user.is_authenticated:
        return None
    membership = getattr(user, "operator_membership", None)
    return membership.operator if membership else None


def dealer_of(user):
    """The licensed dealer (importer) a user works for, or None."""
    if user is None or not user.is_authenticated:
        return None
    membership = getattr(user, "dealer_membership", None)
    return membership.dealer if membership else None


class _RolePermission(BasePermission):
    roles: tuple[str, ...] = ()
    message = "Your role may not use this endpoint."

    def has_permission(self, request, view):
        return has_role(request.user, *self.roles)


class IsCommandStaff(_RolePermission):
    roles = (COMMAND_STAFF, SENIOR_OFFICER)
    message = "Only command staff may do this."


class IsAirDefense(_RolePermission):
    roles = (AIR_DEFENSE,)
    message = "Only air defense may use this endpoint."


class IsSensor(_RolePermission):
    roles = (SENSOR,)
    message = "Only sensors may post position reports."


class IsStaffOrAirDefense(_RolePermission):
    roles = (COMMAND_STAFF, SENIOR_OFFICER, AIR_DEFENSE)
    message = "Only command staff and air defense may read tracks."


class IsOperatorOrCommandStaff(_RolePermission):
    roles = (OPERATOR, COMMAND_STAFF, SENIOR_OFFICER)
    message = "Only operators and command staff may use this endpoint."


def page_for(check, message):
    """Decorator of a page view: sign in first (redirect), then `check(user)` or 403 with `message`."""
    from functools import wraps

    from django.contrib.auth.decorators import login_required
    from django.core.exceptions import PermissionDenied

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate
