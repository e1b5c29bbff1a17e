"""The air defense console: a live map of tracks and the alert list."""

from django.conf import settings
from django.shortcuts import render

from airspace import roles
from airspace.zones.selectors import zones_on_map

from .models import AirDefenseNotification

air_defense_only = roles.page_for(roles.is_air_defense, "Only air defense uses the console.")


@air_defense_only
def console(request):
    context = {
        "console_config": {
            "zones": zones_on_map(),
            "kinds": list(AirDefenseNotification.Kind.values),
            "track_refresh_ms": int(settings.CONSOLE_TRACK_REFRESH_S * 1000),
        }
    }
    return render(request, "airspace/console.html", context)
