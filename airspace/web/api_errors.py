"""The one error format of the API: DRF's own (`{"field": ["message"]}` for bad input,
`{"detail": "message"}` otherwise), extended to the domain's exceptions so none of them is a 500."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from airspace.geometry import GeometryError

from .api_defaults import body_too_large

logger = logging.getLogger(__name__)

# How long a client should wait before trying again when the database cannot be reached.
DATABASE_RETRY_AFTER_S = 5


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database cannot be reached right now; try again in a few seconds."
    default_code = "database_unavailable"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def exception_handler(exc, context):
    if isinstance(exc, GeometryError):
        exc = exceptions.ValidationError({exc.field: [str(exc)]})
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ConcurrentTransition):
        exc = Conflict("Someone else changed this at the same moment; reload and try again.")
    elif isinstance(exc, TransitionNotAllowed):
        exc = Conflict(str(exc) or "This transition is not allowed in the current state.")
    elif isinstance(exc, RequestDataTooBig):  # Django's limit, met when DRF reads request.body
        exc = body_too_large()
    elif isinstance(exc, OperationalError | InterfaceError):
        # PostgreSQL restarting, failing over or unreachable, or this request's connection killed:
        # transient, the client should try again. A JSON 503, not an HTML 500 with a stack trace.
        logger.error("Database unavailable: %s", str(exc).strip())
        exc = DatabaseUnavailable()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, DatabaseUnavailable):
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
    if isinstance(response.data, list):
        response.data = {"detail": response.data}
    return Response(response.data, status=response.status_code, headers=dict(response.items()))
