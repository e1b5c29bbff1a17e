"""The service's own Prometheus counters, written where the work happens (the report endpoint, the
alert delivery, the live stream's slots) and read at /metrics (airspace/operations/).

A low layer with no Django, so that surveillance and air_defense may call it, and so that each call
stays what it is: a few additions to prometheus_client's values. With `PROMETHEUS_MULTIPROC_DIR` set
(it must be before this is imported: prometheus_client chooses its storage then), every process
— each gunicorn worker, each Celery worker — writes its values to files in that directory and
/metrics adds them up; without it (the embedded demo: one process) they stay in the process.

What is cheaper read from the database or Redis when scraped (the outbox backlog, the queues'
depths) is not counted here but by airspace/operations/collectors.py.
"""

import time
from collections import Counter as Tally

from prometheus_client import Counter, Gauge, Histogram

# Seconds. A batch of 1,000 reports takes 30-60 ms of CPU; an alert reaches the stream in tens of ms
# and must within 250 ms at p99 (docs/PERFORMANCE.md): buckets fine there, coarse past a second.
BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10)
DELIVERY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

report_batches = Counter("airspace_report_batches", "Batches of position reports classified and stored.")
reports_classified = Counter(
    "airspace_reports_classified", "Position reports classified and stored, by classification.", ["classification"]
)
report_batch_seconds = Histogram(
    "airspace_report_batch_seconds",
    "Time of a report batch in the web process, from the view's start to its answer (parse, classify, store).",
    buckets=BATCH_BUCKETS,
)
alerts_delivered = Counter("airspace_alerts_delivered", "Air defense notifications marked delivered.")
alert_delivery_seconds = Histogram(
    "airspace_alert_delivery_seconds",
    "From a notification's creation (the outbox row) to its delivery (published to the stream, marked delivered).",
    buckets=DELIVERY_BUCKETS,
)
# livesum: the sum over the processes alive now (a dead web process's streams are gone with it).
stream_connections = Gauge(
    "airspace_stream_connections", "Live air defense streams held open.", multiprocess_mode="livesum"
)


def record_report_batch(results, *, started):
    """A batch answered: `results` are its reports' outcomes (each with its `classification`),
    `started` the view's `time.perf_counter()` at its start."""
    report_batch_seconds.observe(time.perf_counter() - started)
    report_batches.inc()
    # One increment per classification present (four at most), not one per report.
    for classification, count in Tally(result["classification"] for result in results).items():
        reports_classified.labels(classification).inc(count)


def record_alerts_delivered(created_at, *, delivered_at):
    """Notifications marked delivered at `delivered_at`; `created_at` their creation times."""
    for created in created_at:
        alert_delivery_seconds.observe(max(0.0, (delivered_at - created).total_seconds()))
    alerts_delivered.inc(len(created_at))


def stream_opened():
    stream_connections.inc()


def stream_closed():
    stream_connections.dec()
