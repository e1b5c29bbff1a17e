"""What the API's lists read from the query string: one way to read a time, and `?include=area`."""

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError


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


INCLUDE_AREA = OpenApiParameter(
    "include",
    str,
    enum=["area"],
    description="`area`: give each item's area (and radius_m), which lists leave out; each item's own URL has it.",
)


class AreaOnRequestMixin:
    """For viewsets whose items have an area: their lists leave it out unless `?include=area` asks.
    A page of a hundred permits would otherwise carry a hundred polygons (up to MAX_AREA_VERTICES
    vertices each) that a list does not draw, and read them all from the database first."""

    list_actions = ("list",)
    # The list's serializer (a WithoutAreaUnlessAskedMixin), unless the view picks it itself.
    summary_serializer_class = None
    # The columns a list without the area does not read.
    area_columns = ("area",)

    def include_area(self):
        if getattr(self, "swagger_fake_view", False):
            return True  # the schema documents the fields an item may have
        if not hasattr(self, "_include_area"):
            values = {v.strip() for raw in self.request.query_params.getlist("include") for v in raw.split(",")}
            unknown = values - {"area", ""}
            if unknown:
                raise ValidationError({"include": [f"Only area can be included, not {', '.join(sorted(unknown))}."]})
            self._include_area = "area" in values
        return self._include_area

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action in self.list_actions and not self.include_area():
            queryset = queryset.defer(*self.area_columns)
        return queryset

    def get_serializer_class(self):
        if self.action in self.list_actions:
            return self.summary_serializer_class
        return super().get_serializer_class()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action in self.list_actions:
            context["include_area"] = self.include_area()
        return context
