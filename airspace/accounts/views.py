"""The home page: each role starts on its main page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from airspace import roles


@login_required
def home(request):
    """Each role starts on its main page."""
    user = request.user
    if roles.is_air_defense(user):
        return redirect("console")
    if roles.is_command_staff(user):
        return redirect("review-queue")
    if roles.is_operator(user):
        return redirect("permit-list")
    return render(request, "home.html")
