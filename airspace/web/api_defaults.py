"""The API's default JSON parser and pagination (settings.REST_FRAMEWORK), hardened so that no body
or query string is a 500. Kept apart from api_errors.py: DRF imports these while it builds its
APIView class, so this module must not import rest_framework.views itself."""

from django.conf import settings
from rest_framework import exceptions, pagination, parsers, status


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def body_too_large():
    return BodyTooLarge(f"The body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes.")


def read_body(stream):
    """The request body for a parser that reads the stream itself (DRF hands its own JSON parser
    `request.body`, which Django limits), refused past DATA_UPLOAD_MAX_MEMORY_SIZE: a parser
    holds the whole body in memory."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise body_too_large()
    return body


class JSONParser(parsers.JSONParser):
    """DRF's parser, but a body nested deeper than Python's recursion limit is a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from None


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    # Unbounded, a `?limit=` beyond PostgreSQL's bigint is a database error (a 500).
    max_limit = 1000
