"""Admin of the zones."""

from django import forms
from django.contrib import admin, messages

from airspace.geometry import GeometryError, parse_area, validate_altitude_band

from .models import RestrictedZone
from .schedule import ScheduleError, normalize
from .services import change_zone, draw_zone


class RestrictedZoneAdminForm(forms.ModelForm):
    """The zone's footprint (`boundary`) is derived from its area by the one geometry parser, as in
    the API: edited by hand here, it let a zone's map and its checks disagree."""

    class Meta:
        model = RestrictedZone
        fields = [
            "name",
            "kind",
            "description",
            "area",
            "radius_m",
            "min_altitude_m",
            "max_altitude_m",
            "active",
            "identifier",
            "schedule",
        ]

    def clean(self):
        cleaned = super().clean()
        try:
            area = parse_area(cleaned.get("area"), cleaned.get("radius_m"))
            validate_altitude_band(cleaned.get("min_altitude_m"), cleaned.get("max_altitude_m"))
            cleaned["schedule"] = normalize(cleaned.get("schedule"))
        except ScheduleError as exc:
            self.add_error("schedule", str(exc))
        except GeometryError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, str(exc))
        else:
            cleaned.update(area=area.geojson, radius_m=area.radius_m)
            self.instance.boundary = area.boundary_geojson
        return cleaned


@admin.register(RestrictedZone)
class RestrictedZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "min_altitude_m", "max_altitude_m", "active"]
    list_filter = ["kind", "active"]
    form = RestrictedZoneAdminForm

    def save_model(self, request, obj, form, change):
        # Through the same services as the API: a prohibited zone saved here revokes the permits it
        # covers, by this user (who must be command staff to revoke: a 403 otherwise, nothing saved).
        fields = {name: getattr(obj, name) for name in [*form.Meta.fields, "boundary"]}
        if change:
            zone = change_zone(zone_id=obj.pk, officer=request.user, **fields)
        else:
            zone = draw_zone(officer=request.user, **fields)
            obj.pk = zone.pk
        for verb, permits in (("revoked", zone.revoked_permits), ("left in effect, to review", zone.permits_to_review)):
            if permits:
                references = ", ".join(permit.reference for permit in permits)
                self.message_user(request, f"Permits inside the zone {verb}: {references}.", messages.WARNING)
