"""The air defense console: the air picture to act from — tracks by threat with their trails, the
permits in effect as the friendly picture, the zones — and the alert list."""

from django.conf import settings
from django.shortcuts import render

from airspace import roles
from airspace.zones.selectors import zones_on_map

from .models import AirDefenseNotification

air_defense_only = roles.page_for(roles.is_air_defense, "Only air defense uses the console.")

# "In effect now or soon": an approved flight starting within this is drawn already (dashed), so
# that a drone taking off on time is on the picture before it is seen.
PERMITS_AHEAD_S = 3600
# The friendly picture changes with permit notifications (redrawn at once); this catches the
# windows that open and close with the clock.
PERMITS_REFRESH_S = 30


@air_defense_only
def console(request):
    context = {
        "console_config": {
            "zones": zones_on_map(),
            "kinds": list(AirDefenseNotification.Kind.values),
            "hostile_kinds": list(AirDefenseNotification.HOSTILE_KINDS),
            "severities_to_acknowledge": list(AirDefenseNotification.SEVERITIES_TO_ACKNOWLEDGE),
            "track_refresh_ms": int(settings.CONSOLE_TRACK_REFRESH_S * 1000),
            "permits_ahead_ms": PERMITS_AHEAD_S * 1000,
            "permits_refresh_ms": PERMITS_REFRESH_S * 1000,
        }
    }
    return render(request, "airspace/console.html", context)
