from django.apps import AppConfig


class AirspaceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "airspace"
    verbose_name = "Airspace: registry, zones, tracks, air defense"

    def ready(self):
        from .surveillance import airspace_index  # noqa: F401 - connects the signals that count airspace changes
