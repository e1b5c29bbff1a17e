"""CPU the metrics add to one report batch (docs/SIZING.md "Seeing it run"): the report endpoint's
`record_report_batch` on a batch's 1,000 outcomes, and django-prometheus's two middlewares around
one request, each timed alone with time.process_time() over many repetitions, with prometheus_client
in multiprocess mode (files in a temporary directory, as gunicorn and Celery run it) or in memory.

    .venv/bin/python bench/metrics_overhead.py [--multiprocess] [--repeat 2000]

Compare with the CPU of a whole batch in docs/PERFORMANCE.md (30-60 ms per 1,000 reports).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

parser = argparse.ArgumentParser()
parser.add_argument("--multiprocess", action="store_true")
parser.add_argument("--repeat", type=int, default=2000)
arguments = parser.parse_args()
if arguments.multiprocess:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metrics-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django_prometheus.middleware import PrometheusAfterMiddleware, PrometheusBeforeMiddleware  # noqa: E402

from airspace.metrics import record_report_batch  # noqa: E402

CLASSES = ["authorized", "nonconforming", "unauthorized", "unregistered"]
results = [{"classification": CLASSES[i % 4], "index": i} for i in range(1000)]


def per_call_us(call, repeat):
    call()
    started = time.process_time()
    for _ in range(repeat):
        call()
    return (time.process_time() - started) / repeat * 1e6


record = per_call_us(lambda: record_report_batch(results, started=time.perf_counter()), arguments.repeat)

request = RequestFactory().post("/api/v1/tracks/reports/", data=b"{}", content_type="application/json")
after = PrometheusAfterMiddleware(lambda r: HttpResponse(b"{}"))
before = PrometheusBeforeMiddleware(after)
plain = per_call_us(lambda: HttpResponse(b"{}"), arguments.repeat)
wrapped = per_call_us(lambda: before(request), arguments.repeat)

mode = "multiprocess (files)" if arguments.multiprocess else "in memory"
print(f"prometheus_client {mode}, {arguments.repeat} repetitions, CPU per call:")
print(f"  record_report_batch(1,000 outcomes): {record:7.1f} µs")
print(f"  django-prometheus middlewares:       {wrapped - plain:7.1f} µs")
print(f"  together, per batch:                 {record + wrapped - plain:7.1f} µs")
