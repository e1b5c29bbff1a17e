"""The form pages validate with the API's serializers; this gives their errors the shape a person at a
form needs: every error at once, and an empty field told what to do rather than DRF's wording."""

from rest_framework.exceptions import ValidationError

EMPTY_CODES = {"required", "null", "blank", "invalid_choice", "invalid"}


def validate_form(serializer_class, data, *, hints=None, instance=None, context=None):
    """(serializer, {field: [messages]}); no errors means `serializer` is valid.

    DRF runs a serializer's `validate` (the volume, the window) only when every field passed, so a
    person would fix the form in rounds. A second, partial pass over the fields that passed reports
    those checks as well."""
    serializer = serializer_class(instance=instance, data=data, context=context or {})
    if serializer.is_valid():
        return serializer, {}
    errors = _worded(serializer.errors, data, hints or {})
    passed = {name: value for name, value in data.items() if name not in errors}
    rest = serializer_class(data=passed, partial=True, context=context or {})
    if not rest.is_valid():
        for field, messages in _worded(rest.errors, data, hints or {}).items():
            errors.setdefault(field, messages)
    return serializer, errors


def save_form(serializer, **kwargs):
    """(saved instance, {}), or (None, {field: [messages]}) when the save refused the data: another
    request took the same serial number or name between the validation and the save."""
    try:
        return serializer.save(**kwargs), {}
    except ValidationError as invalid:
        return None, _worded(invalid.detail, serializer.initial_data, {})


def _worded(serializer_errors, data, hints):
    errors = {}
    for field, details in serializer_errors.items():
        details = details if isinstance(details, list) else [details]
        empty = data.get(field) in (None, "")
        worded = [
            hints.get(field, "This field is required.")
            if empty and getattr(detail, "code", None) in EMPTY_CODES
            else str(detail)
            for detail in details
        ]
        errors[field] = list(dict.fromkeys(worded))
    return errors
