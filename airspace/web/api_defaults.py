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


# Any larger `limit` or `offset` reads as this: a `limit` is cut to max_limit anyway, and an offset this
# far is past the end of every list (an empty page), without Python parsing thousands of digits.
MAX_PAGE_NUMBER = 10**15


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DRF's, but a `limit` or `offset` that is not a whole number (or below 1 and 0) is a 400 naming
    it: DRF quietly reads `?offset=abc` as 0, showing a client with a bug the first page as if it
    had asked for it."""

    # Unbounded, a `?limit=` beyond PostgreSQL's bigint is a database error (a 500); larger limits are cut to this.
    max_limit = 1000

    def get_limit(self, request):
        if not request.query_params.get(self.limit_query_param, "").strip():
            return self.default_limit
        return min(self._whole_number(request, self.limit_query_param, minimum=1), self.max_limit)

    def get_offset(self, request):
        if not request.query_params.get(self.offset_query_param, "").strip():
            return 0
        return self._whole_number(request, self.offset_query_param, minimum=0)

    @staticmethod
    def _whole_number(request, name, *, minimum):
        text = request.query_params[name].strip().lstrip("0") or "0"
        if not (text.isascii() and text.isdigit()) or int(text[:16]) < minimum:
            raise exceptions.ValidationError({name: [f"Give a whole number of at least {minimum}."]})
        return MAX_PAGE_NUMBER if len(text) > 15 else int(text)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"]["minimum"] = 0
        return parameters
