"""People and their roles: adding a user in a role, with the record that role needs (an
operator's organization, a sensor)."""

from django.db import transaction

from airspace import roles


def add_user_with_role(*, username, role, password, organization=None, email=""):
    """Create a user in a role, or put an existing one in that role instead of the one they had
    (one person both applying and deciding would defeat the review). An operator joins the operator
    organization named `organization` (founded if new; the username when none is given). A new
    password also revokes the user's API token: a reset after a leak must lock the old holder out.
    Returns (user, created)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from airspace.registry.models import Operator, OperatorMembership
    from airspace.surveillance.models import Sensor

    if role not in roles.ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(roles.ROLES)}.")
    if organization and role != roles.OPERATOR:
        raise ValueError("An organization is only for the operator role.")
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
        user.set_password(password)
        user.save()
        Token.objects.filter(user=user).delete()
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
