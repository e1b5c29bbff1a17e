"""The embedded demo's Celery beat: runs the periodic jobs of settings.CELERY_BEAT_SCHEDULE in this
process, in a loop, until SIGTERM or SIGINT (the demo has no broker, so beat cannot send them)."""

import logging
import signal
import threading
import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

logger = logging.getLogger("airspace.clock")


def _seconds(schedule):
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    if isinstance(schedule, int | float):
        return float(schedule)
    raise TypeError(f"run_clock only runs fixed-interval jobs, not {schedule!r}")


class Command(BaseCommand):
    help = "Run the periodic jobs (permit clock, notification sweep) in-process until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args, once=False, **options):
        from django.conf import settings

        from config.celery import app

        app.loader.import_default_modules()  # registers the tasks of every app
        jobs = [
            (name, app.tasks[entry["task"]], _seconds(entry["schedule"]))
            for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        ]
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        logger.info("Clock started: %s", ", ".join(f"{name} every {every:g}s" for name, _, every in jobs))

        due = {name: 0.0 for name, _, _ in jobs}
        while not stop.is_set():
            for name, task, every in jobs:
                if stop.is_set() or time.monotonic() < due[name]:
                    continue
                due[name] = time.monotonic() + every
                self._run(name, task)
            if once:
                break
            stop.wait(max(min(due.values()) - time.monotonic(), 0.1))
        logger.info("Clock stopped")

    def _run(self, name, task):
        # A long-running process must drop connections the database closed or that outlived their age
        # (not when a caller holds a transaction open around us, as the tests do).
        if not connection.in_atomic_block:
            close_old_connections()
        try:
            result = task()
        except Exception:
            logger.exception("Periodic job %s failed; it runs again at its next tick", name)
            return
        if result and (not isinstance(result, dict) or any(result.values())):
            logger.info("%s: %s", name, result)
