from django.apps import AppConfig


class PermitsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "permits"
    verbose_name = "Flight permits"

    def ready(self):
        from . import receivers  # noqa: F401 - revokes the permits of a suspended aircraft
