"""PostgreSQL helpers for the sensor-report hot path, where Django's ORM costs more than the work."""

from django.db import connection


def server_binding_cursor():
    """A psycopg cursor on Django's connection (so inside its transaction) that sends arrays as
    bound parameters: Django's client-side binding would render thousands of values into the SQL
    text in Python."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)
