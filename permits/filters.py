"""Query filters of the permit list."""

import django_filters
from django import forms

from airspace.web.filters import UtcIsoDateTimeFilter

from .models import IN_EFFECT_STATES, FlightPermit, State


class IdFilter(django_filters.NumberFilter):
    """A related row's id, matched against the permits the caller may see without checking that the
    row exists: the default choice filter answered 400 for an unknown id but an empty list for
    another operator's, which told anyone which aircraft and operators exist. Now both are empty."""

    field_class = forms.IntegerField


class FlightPermitFilter(django_filters.FilterSet):
    # No DISTINCT (django-filter's default for a multiple choice): a permit has one state, so no row
    # repeats, and DISTINCT over the JSON columns made PostgreSQL sort every match (~0.4 s for the
    # console's page of permits in effect in a national airspace).
    state = django_filters.MultipleChoiceFilter(choices=State.choices, distinct=False)
    operator = IdFilter(field_name="operator_id", help_text="Operator id.")
    aircraft = IdFilter(field_name="aircraft_id", help_text="Aircraft id.")
    starts_after = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    ends_after = UtcIsoDateTimeFilter(field_name="ends_at", lookup_expr="gt")

    class Meta:
        model = FlightPermit
        fields = ["state", "operator", "aircraft", "purpose"]


class PermitMapFilter(django_filters.FilterSet):
    """The filters of the permits map: the window, and which of the states in effect (both unless
    given). The states are filtered once: `state IN (…)` twice over made PostgreSQL think a tenth of
    the permits matched, sort them all and miss the index that reads them in order."""

    state = django_filters.MultipleChoiceFilter(
        choices=[(state.value, state.label) for state in IN_EFFECT_STATES], distinct=False
    )
    starts_before = UtcIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    ends_after = UtcIsoDateTimeFilter(field_name="ends_at", lookup_expr="gt")

    class Meta:
        model = FlightPermit
        fields = ["state"]

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("state"):
            queryset = queryset.filter(state__in=IN_EFFECT_STATES)
        return super().filter_queryset(queryset)
