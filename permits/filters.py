"""Query filters of the permit list."""

import django_filters

from .models import FlightPermit, State


class FlightPermitFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=State.choices)
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    ends_after = django_filters.IsoDateTimeFilter(field_name="ends_at", lookup_expr="gt")

    class Meta:
        model = FlightPermit
        fields = ["state", "operator", "aircraft", "purpose"]
