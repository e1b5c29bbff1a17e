"""Admin of sensors, tracks, reports and swarms. A sensor's coverage is typed as GeoJSON (a Polygon,
or a Point with its radius) and checked by the one geometry parser, as in the API."""

from django import forms
from django.conf import settings
from django.contrib import admin

from airspace.geometry import GeometryError, parse_area

from .models import FollowingRun, PositionReport, Sensor, Swarm, Track


class SensorForm(forms.ModelForm):
    class Meta:
        model = Sensor
        fields = [
            "user",
            "name",
            "kind",
            "lat",
            "lon",
            "active",
            "coverage_area",
            "coverage_radius_m",
            "stale_after_s",
            "offline_after_s",
        ]
        help_texts = {
            "coverage_area": 'GeoJSON: {"type": "Polygon", ...}, or {"type": "Point", "coordinates": [lon, lat]} '
            "with a radius. Empty: not surveyed.",
            "stale_after_s": "Silent this long, the sensor is stale. Empty: the SENSOR_STALE_S setting.",
            "offline_after_s": "Silent this long, it is offline and air defense is told. Empty: SENSOR_OFFLINE_S.",
        }

    def clean(self):
        cleaned = super().clean()
        stale = cleaned.get("stale_after_s") or settings.SENSOR_STALE_S
        offline = cleaned.get("offline_after_s") or settings.SENSOR_OFFLINE_S
        if offline <= stale:
            self.add_error("offline_after_s", f"Must be longer than the stale time ({stale:g} s).")
        area, radius_m = cleaned.get("coverage_area"), cleaned.get("coverage_radius_m")
        if area in (None, ""):
            if radius_m is not None:
                self.add_error("coverage_radius_m", "A radius needs a Point coverage area, its centre.")
            cleaned["coverage_area"], cleaned["coverage_radius_m"] = None, None
            self.instance.coverage_boundary = None
            return cleaned
        try:
            parsed = parse_area(area, radius_m, max_vertices=settings.MAX_AREA_VERTICES)
        except GeometryError as exc:
            self.add_error("coverage_radius_m" if exc.field == "radius_m" else "coverage_area", str(exc))
            return cleaned
        cleaned["coverage_area"], cleaned["coverage_radius_m"] = parsed.geojson, parsed.radius_m
        self.instance.coverage_boundary = parsed.boundary_geojson
        return cleaned


@admin.register(Sensor)
class SensorAdmin(admin.ModelAdmin):
    form = SensorForm
    list_display = ["name", "kind", "active", "health", "last_heard_at"]
    list_filter = ["health", "kind", "active"]
    readonly_fields = ["health", "health_changed_at", "last_heard_at"]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["identity", "classification", "last_observed_at", "contact_lost_at"]
    list_filter = ["classification"]


@admin.register(Swarm)
class SwarmAdmin(admin.ModelAdmin):
    list_display = ["id", "size", "largest_size", "detected_at", "last_seen_at", "ended_at"]


@admin.register(FollowingRun)
class FollowingRunAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at"]


admin.site.register(PositionReport)
