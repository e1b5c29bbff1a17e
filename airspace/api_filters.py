"""Query-string filters shared by the API's lists: one way to read a time from a URL."""

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time turned into UTC: ISO 8601 allows offsets up to ±23:59, PostgreSQL only up to
    ±15:59, and a time that has no UTC equivalent (year 1 at +23:59) is bad input, not a 500."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("This time is out of range.", code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """Every time filter of the API: a 400 naming the parameter for any time PostgreSQL cannot take."""

    field_class = UtcIsoDateTimeField
