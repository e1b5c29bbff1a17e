"""PostgreSQL helpers for the sensor-report hot path, where Django's ORM costs more than the work."""

import functools
import struct
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import connection

# Element type OIDs (pg_type) of the arrays the hot path sends.
OIDS = {"int8": 20, "bigint": 20, "float8": 701, "text": 25, "timestamptz": 1184}
_HEADER = struct.Struct(">iiIii")  # dimensions, has-NULL flag, element type, length, lower bound
_LENGTH = struct.Struct(">i")
_INT8 = struct.Struct(">iq")
_FLOAT8 = struct.Struct(">id")
_NULL = _LENGTH.pack(-1)
_POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class BinaryArray(bytes):
    """A one-dimensional PostgreSQL array already in the binary wire format (array_recv's), bound as
    it is: the SQL casts its placeholder (`%b::float8[]`), which gives the parameter its type."""


def binary_array(values, pg_type):
    """`values` (a list, or a numpy array of numbers) as a BinaryArray of `pg_type` (a key of OIDS);
    None is NULL. psycopg's own array dumper runs a Python loop with a dumper call per element, which
    was the largest cost of the hot path's track statements; here a column with no NULL is one numpy
    conversion (numbers) or one join (text)."""
    oid = OIDS[pg_type]
    count = len(values)
    if count == 0:
        return BinaryArray(struct.pack(">iiI", 0, 0, oid))
    if isinstance(values, np.ndarray):
        has_null = False
    else:
        has_null = None in values
    if pg_type in ("float8", "int8", "bigint") and not has_null:
        cells = np.empty(count, dtype=[("length", ">i4"), ("value", ">f8" if pg_type == "float8" else ">i8")])
        cells["length"] = 8
        cells["value"] = values
        body = cells.tobytes()
    elif pg_type == "float8":
        pack = _FLOAT8.pack
        body = b"".join([_NULL if value is None else pack(8, value) for value in values])
    elif pg_type in ("int8", "bigint"):
        pack = _INT8.pack
        body = b"".join([_NULL if value is None else pack(8, value) for value in values])
    elif pg_type == "timestamptz":
        pack, epoch, unit = _INT8.pack, _POSTGRES_EPOCH, _MICROSECOND
        body = b"".join([_NULL if value is None else pack(8, (value - epoch) // unit) for value in values])
    else:  # text
        pack = _LENGTH.pack
        encoded = [None if value is None else value.encode() for value in values]
        body = b"".join([_NULL if text is None else pack(len(text)) + text for text in encoded])
    return BinaryArray(_HEADER.pack(1, int(has_null), oid, count, 1) + body)


def server_binding_cursor():
    """A psycopg cursor on Django's connection (so inside its transaction) that sends its parameters
    bound, in PostgreSQL's binary format both ways: Django's client-side binding would render
    thousands of values into the SQL text in Python, and the text format of an array quotes and
    escapes each element with regular expressions (a quarter of a batch's time). Arrays go as
    BinaryArray (binary_array above)."""
    import psycopg

    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)
    cursor.format = psycopg.pq.Format.BINARY
    cursor.adapters.register_dumper(BinaryArray, _binary_array_dumper())
    return cursor


@functools.cache
def _binary_array_dumper():
    """Sends a BinaryArray's bytes as they are, with no type of its own: the placeholder's cast types it."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class BinaryArrayDumper(Dumper):
        format = Format.BINARY

        def dump(self, obj):
            return obj

    return BinaryArrayDumper
