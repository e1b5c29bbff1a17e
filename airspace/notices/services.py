"""Telling an operator, and an operator reading what they were told."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from airspace import roles

from .models import OperatorNotice

Kind = OperatorNotice.Kind


def tell_operator(*, operator_id, kind, text, link=""):
    """Write a notice for the organization. Call it inside the transaction of the change it tells
    of, so the notice exists exactly when the change does."""
    return OperatorNotice.objects.create(operator_id=operator_id, kind=kind, text=text, link=link)


def tell_operators(notices):
    """Several notices at once (flight following's batch): [(operator_id, kind, text, link)]."""
    return OperatorNotice.objects.bulk_create(
        OperatorNotice(operator_id=operator_id, kind=kind, text=text, link=link)
        for operator_id, kind, text, link in notices
    )


def mark_read(*, user, notice_ids=None):
    """The user's organization has read these notices (all of its unread ones when None). Returns
    how many were marked."""
    operator = roles.operator_of(user)
    if not roles.is_operator(user) or operator is None:
        raise PermissionDenied("Only operators have notices.")
    unread = OperatorNotice.objects.filter(operator=operator, read_at=None)
    if notice_ids is not None:
        unread = unread.filter(pk__in=notice_ids)
    return unread.update(read_at=timezone.now())
