"""PostgreSQL helpers: bound arrays for the sensor-report hot path, where Django's ORM costs more
than the work, and the lock that orders zone changes against approvals."""

from django.db import connection

# The key of the advisory lock that stands for "the zones" (any constant no other lock uses).
ZONES_LOCK_KEY = 0x5A4F4E45


def server_binding_cursor():
    """A psycopg cursor on Django's connection (so inside its transaction) that sends arrays as
    bound parameters, in PostgreSQL's binary format both ways: Django's client-side binding would
    render thousands of values into the SQL text in Python, and the text format of an array quotes
    and escapes each element with regular expressions (a quarter of a batch's time)."""
    import psycopg

    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)
    cursor.format = psycopg.pq.Format.BINARY
    return cursor


def lock_zones(*, exclusive):
    """Take the zones lock until the current transaction ends: approvals share it while they check
    the zones; a zone change holds it alone. So an approval either sees a prohibited zone drawn at
    the same moment, or committed before it and is revoked by it — never neither (rows alone
    cannot say this: a new zone is a row the approval could not have locked). It is the first lock
    of both (see permits/services.py for the order). SQLite needs none: one write transaction at a
    time, and a write on a stale read fails instead of committing."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [ZONES_LOCK_KEY])
