"""The navigation's count of unread notices: one COUNT, for operators only."""

from airspace import roles

from .selectors import unread_count


def unread_notices(request):
    user = getattr(request, "user", None)
    if not roles.is_operator(user):
        return {}
    return {"unread_notices": unread_count(user)}
