"""How big polygons weigh on the review queue and on the first sensor batch after an approval
(issue 10, item 8): polygons of ~95k vertices made the queue take 11.6 s and that batch 8 s.

In-process (Django's test client, no server), on a PostgreSQL database of its own at 127.0.0.1
that it migrates and fills: `--permits` applications waiting for review, each a polygon of
`--vertices` vertices (written straight to the database, as the API now refuses more than
MAX_AREA_VERTICES), then measures, as a person or a sensor would meet them:

- the review queue: `GET /api/v1/permits/queue/` (the API) and `GET /review/` (the page);
- the first sensor batch after approvals (`POST /api/v1/tracks/reports/`), which rebuilds the
  classification index with the new permits' polygons, then the batch after one more approval.

    createdb -h 127.0.0.1 -U postgres airspace_polygons
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/airspace_polygons .venv/bin/python bench/big_polygons.py \\
        --permits 20 --vertices 1000
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-any-deployment-0123456789")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--permits", type=int, default=20)
    parser.add_argument("--vertices", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="queue requests to time")
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of this benchmark's own (it is emptied).")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from rest_framework.test import APIClient

    from airspace import roles
    from airspace.accounts.services import add_user_with_role, get_api_token
    from airspace.geometry import circle_polygon
    from airspace.registry.models import Aircraft
    from airspace.zones.models import RestrictedZone
    from permits import services
    from permits.models import FlightPermit, State

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    operator_user, _ = add_user_with_role(username="bench-pilot", role=roles.OPERATOR, password="bench-pw-123!")
    officer, _ = add_user_with_role(username="bench-senior", role=roles.SENIOR_OFFICER, password="bench-pw-123!")
    sensor_user, _ = add_user_with_role(username="bench-radar", role=roles.SENSOR, password="bench-pw-123!")
    operator = operator_user.operator_membership.operator

    for number in range(3):  # zones elsewhere: every application is checked against them
        zone = circle_polygon(45.0 + 0.1 * number, 34.0, 5000)
        zone_geojson = {"type": "Polygon", "coordinates": [[list(xy) for xy in zone.exterior.coords]]}
        RestrictedZone.objects.create(
            name=f"Bench zone {number}",
            kind="restricted",
            area=zone_geojson,
            boundary=zone_geojson,
            max_altitude_m=3000,
        )

    starts_at = timezone.now() + timedelta(hours=1)
    permits = []
    for number in range(args.permits):
        aircraft = Aircraft(
            operator=operator,
            serial_number=f"BIG-{number}",
            remote_id=f"RID-BIG-{number}",
            manufacturer="Bench",
            model="Polygon",
            category="multirotor",
            mtow_kg="1",
            status=Aircraft.Status.REGISTERED,
        )
        aircraft.save()
        lon, lat = 44.0 + 0.05 * number, 33.0
        ring = [list(xy) for xy in circle_polygon(lon, lat, 2000, vertices=args.vertices).exterior.coords]
        polygon = {"type": "Polygon", "coordinates": [ring]}
        permit = FlightPermit(
            operator=operator,
            aircraft=aircraft,
            created_by=operator_user,
            purpose="survey",
            area=polygon,
            boundary=polygon,
            min_altitude_m=0,
            max_altitude_m=120,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            state=State.SUBMITTED,
        )
        permit.save()
        permits.append((permit, aircraft, lon, lat))
    size_mb = len(str(permits[0][0].area)) / 1e6
    print(f"{args.permits} applications of {args.vertices:,} vertices (~{size_mb:.2f} MB of GeoJSON each)")

    staff = APIClient(HTTP_HOST="127.0.0.1")
    staff.credentials(HTTP_AUTHORIZATION=f"Token {get_api_token(user=officer).key}")
    page = APIClient(HTTP_HOST="127.0.0.1")
    page.force_login(officer)

    def timed(call):
        started = time.perf_counter()
        response = call()
        return (time.perf_counter() - started) * 1000, response

    api_times, page_times = [], []
    for _ in range(args.repeat):
        elapsed, response = timed(lambda: staff.get("/api/v1/permits/queue/"))
        assert response.status_code == 200, response.content[:300]
        api_times.append(elapsed)
        api_bytes = len(response.content)
        elapsed, response = timed(lambda: page.get("/review/"))
        assert response.status_code == 200
        page_times.append(elapsed)
    print(
        f"review queue, API:  median {statistics.median(api_times):8.1f} ms  ({api_bytes / 1e3:,.0f} kB)"
        f"  runs {', '.join(f'{t:.0f}' for t in api_times)}"
    )
    print(
        f"review queue, page: median {statistics.median(page_times):8.1f} ms"
        f"  runs {', '.join(f'{t:.0f}' for t in page_times)}"
    )

    sensor = APIClient(HTTP_HOST="127.0.0.1")
    sensor.credentials(HTTP_AUTHORIZATION=f"Token {get_api_token(user=sensor_user).key}")

    def batch():
        now = timezone.now().isoformat()
        reports = [
            {"sensor_track_id": f"b-{n}", "observed_at": now, "lat": lat, "lon": lon, "altitude_m": 50,
             "remote_id": aircraft.remote_id}
            for n, (_, aircraft, lon, lat) in enumerate(permits)
        ]  # fmt: skip
        return sensor.post("/api/v1/tracks/reports/", {"reports": reports}, format="json")

    elapsed, response = timed(batch)
    assert response.status_code == 200, response.content[:300]
    print(f"sensor batch before any approval (index of nothing): {elapsed:8.1f} ms")
    approve_first = max(args.permits - 1, 1)
    for permit, *_ in permits[:approve_first]:
        services.start_review(permit_id=permit.pk, officer=officer)
        services.approve_permit(permit_id=permit.pk, officer=officer)
    elapsed, response = timed(batch)
    assert response.status_code == 200
    print(f"first sensor batch after {approve_first} approvals:        {elapsed:8.1f} ms")
    elapsed, response = timed(batch)
    print(f"the next batch (index unchanged):                 {elapsed:8.1f} ms")
    if args.permits > 1:
        last = permits[-1][0]
        services.start_review(permit_id=last.pk, officer=officer)
        services.approve_permit(permit_id=last.pk, officer=officer)
        elapsed, response = timed(batch)
        print(f"first sensor batch after one more approval:       {elapsed:8.1f} ms")
    connection.close()


if __name__ == "__main__":
    main()
