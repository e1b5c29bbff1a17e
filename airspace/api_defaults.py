"""The API's default JSON parser and pagination (settings.REST_FRAMEWORK), hardened so that no body
or query string is a 500. Kept apart from api_errors.py: DRF imports these while it builds its
APIView class, so this module must not import rest_framework.views itself."""

from rest_framework import exceptions, pagination, parsers


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
