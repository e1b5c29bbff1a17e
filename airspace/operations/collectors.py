"""What /metrics reads when it is scraped rather than counting as it happens: the outbox backlog and
its oldest undelivered notification (one query on the partial index of undelivered rows), and the
depth of each Celery queue (one Redis round trip for all of them). Counted in the web process, so
scraped once per scrape, whatever the number of workers."""

from django.conf import settings
from prometheus_client.core import GaugeMetricFamily

from .health import outbox_backlog
from .redis_client import redis_client


class ScrapeTimeCollector:
    def collect(self):
        count, age = outbox_backlog()
        yield GaugeMetricFamily(
            "airspace_outbox_undelivered", "Air defense notifications not delivered yet (the outbox backlog).", count
        )
        yield GaugeMetricFamily(
            "airspace_outbox_oldest_undelivered_seconds",
            "Age of the oldest undelivered air defense notification (0 when none).",
            age or 0.0,
        )
        client = redis_client()
        if client is None:
            return  # the embedded demo: no queues, tasks run in the process
        queues = [queue.name for queue in settings.CELERY_TASK_QUEUES]
        # On Redis a Celery queue is a list named after it; LLEN of each, in one round trip.
        with client.pipeline(transaction=False) as pipeline:
            for name in queues:
                pipeline.llen(name)
            depths = pipeline.execute()
        family = GaugeMetricFamily("airspace_queue_depth", "Tasks waiting in each Celery queue.", labels=["queue"])
        for name, depth in zip(queues, depths, strict=True):
            family.add_metric([name], depth)
        yield family
