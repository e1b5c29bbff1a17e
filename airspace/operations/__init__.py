"""Seeing the service run: the health checks a load balancer and docker compose call, and the
Prometheus metrics at /metrics (docs/SIZING.md "Seeing it run"). On top of the domains: it reads
the outbox and the queues of all of them and writes nothing but the worker's heartbeat."""
