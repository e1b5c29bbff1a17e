"""The operator's notices page."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from airspace import roles

from .selectors import notices_of
from .services import mark_read

operators_only = roles.page_for(
    lambda user: roles.is_operator(user) and roles.operator_of(user) is not None, "Only operators have notices."
)


@operators_only
def notices_page(request):
    return render(request, "airspace/notices.html", {"notices": notices_of(request.user)[:200]})


@require_POST
@operators_only
def notices_read(request):
    """Mark one notice read (`notice` in the form), or all of them."""
    notice = request.POST.get("notice")
    ids = [int(notice)] if notice and notice.isdigit() else None
    marked = mark_read(user=request.user, notice_ids=ids)
    if ids is None and marked:
        messages.success(request, f"{marked} notice{'s' if marked != 1 else ''} marked as read.")
    return redirect("notices")
