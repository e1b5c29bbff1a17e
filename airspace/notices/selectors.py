"""Which notices a person may read."""

from airspace import roles

from .models import OperatorNotice


def notices_of(user):
    """The notices of the user's organization, newest first; none for anyone else."""
    operator = roles.operator_of(user)
    if not roles.is_operator(user) or operator is None:
        return OperatorNotice.objects.none()
    return OperatorNotice.objects.filter(operator=operator)


def unread_count(user):
    return notices_of(user).filter(read_at=None).count()
