"""Template context: the current user's roles, so navigation shows each role only its pages."""

from airspace import roles as role_names
from airspace.roles import roles_of


def roles(request):
    user_roles = roles_of(getattr(request, "user", None))
    return {
        "user_roles": user_roles,
        "is_operator": role_names.OPERATOR in user_roles,
        "is_command_staff": bool(user_roles & {role_names.COMMAND_STAFF, role_names.SENIOR_OFFICER}),
        "is_senior_officer": role_names.SENIOR_OFFICER in user_roles,
        "is_air_defense": role_names.AIR_DEFENSE in user_roles,
        "is_dealer": role_names.DEALER in user_roles,
    }


def map_settings(request):
    """What every page's map needs: the tile server (empty: no tiles, the offline base map of our
    own static files instead) and where to start (Baghdad)."""
    from django.conf import settings
    from django.templatetags.static import static

    return {
        "map_config": {
            "tile_url": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "basemap_url": static("airspace/basemap/basemap.json"),
            "center": [33.3152, 44.3661],
            "zoom": 11,
        },
        # Scripts format times with it (static airspace/time.js), as the templates do (|when).
        "display_time_zone": settings.DISPLAY_TIME_ZONE,
    }
