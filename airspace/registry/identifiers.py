"""The one rule for aircraft identifiers (serial numbers and Remote IDs), the registry's: case-insensitive,
compared and stored trimmed and upper-cased. Every place an identifier enters — the API, the pages, the admin,
sensor reports, list filters — passes it through `normalize_identifier`, so that a drone registered
as `rid-c0afa3` and reported as `RID-C0AFA3` (or the other way round) is one drone.

Normalized on the way in rather than compared case-insensitively in the database: the report
lookup on the hot path stays an index-backed `= ANY(array)`, and the embedded SQLite works alike."""

from django.db import models


def normalize_identifier(value):
    """`value` trimmed and upper-cased; None stays None (an optional identifier left out)."""
    if value is None:
        return None
    return str(value).strip().upper()


class IdentifierField(models.CharField):
    """A CharField that holds normalized identifiers: normalized when the model is validated (so the
    admin's uniqueness check compares what will be stored), when it is saved (so no write path can
    store another spelling), and in ORM lookups (`filter(serial_number="abc-1")` finds "ABC-1")."""

    def to_python(self, value):
        return normalize_identifier(super().to_python(value))

    def pre_save(self, model_instance, add):
        value = normalize_identifier(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        return normalize_identifier(super().get_prep_value(value))
