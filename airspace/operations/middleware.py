"""Answers the health checks before any other middleware runs (first in settings.MIDDLEWARE)."""

from . import views

HEALTH_CHECKS = {"/health/": views.health, "/health/ready/": views.readiness, "/health/live/": views.liveness}


class HealthCheckMiddleware:
    """A load balancer probes a node by its address (not a name in ALLOWED_HOSTS), over plain HTTP
    (no HTTPS redirect), with no cookie or token: answered here, those checks never see the probe.
    The answers hold no secret, only which check fails and why in words."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        check = HEALTH_CHECKS.get(request.path_info) if request.method in ("GET", "HEAD") else None
        if check is not None:
            return check()
        return self.get_response(request)
