"""Query filters of the permit list."""

import django_filters

from airspace.api_filters import UtcIsoDateTimeFilter

from .models import FlightPermit, State


class FlightPermitFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=State.choices)
    starts_after = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    ends_after = UtcIsoDateTimeFilter(field_name="ends_at", lookup_expr="gt")

    class Meta:
        model = FlightPermit
        fields = ["state", "operator", "aircraft", "purpose"]
