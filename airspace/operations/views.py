"""The health checks (liveness, this node, everything) and /metrics.

The health answers come from a middleware placed first (middleware.py), before the host check, the
HTTPS redirect, sessions and sign-in: a load balancer probes by address, over plain HTTP, with no
account, and must get the answer and nothing else. /metrics is a plain view behind its own check
(METRICS_TOKEN or METRICS_ALLOWED_ADDRESSES), never a user's session."""

import ipaddress
import os
import secrets

import orjson
from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from .collectors import ScrapeTimeCollector
from .health import check_this_node, run_checks
from .multiprocess import forget_dead_processes


def health_response(checks):
    healthy = all(check.healthy for check in checks)
    body = {
        "status": "ok" if healthy else "failing",
        "failing": [check.name for check in checks if not check.healthy],
        "checks": {check.name: check.detail for check in checks},
    }
    # Never cached by a proxy: a stale "ok" is worse than none.
    response = HttpResponse(orjson.dumps(body), status=200 if healthy else 503, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def liveness():
    """The process answers: nothing else is asked (a restart would not mend the database)."""
    return health_response([])


def readiness():
    return health_response(check_this_node())


def health():
    return health_response(run_checks())


def metrics_allowed(request):
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if given.startswith("Bearer ") and secrets.compare_digest(
            given.removeprefix("Bearer ").encode(), token.encode()
        ):
            return True
    # The connection's own address, never X-Forwarded-For, which anyone can write. Behind a proxy
    # every request has the proxy's address: use the token there.
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics(request):
    if not metrics_allowed(request):
        return HttpResponseForbidden(
            "The metrics are for the monitoring system: send METRICS_TOKEN as a bearer token, or scrape from "
            "an address in METRICS_ALLOWED_ADDRESSES.",
            content_type="text/plain",
        )
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        # Every process's values, added up from their files (airspace/metrics.py).
        forget_dead_processes(directory)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessRegistry())
    registry.register(ScrapeTimeCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _ProcessRegistry:
    """This process's own registry (one process: the embedded demo, tests) as one collector."""

    def collect(self):
        return REGISTRY.collect()
