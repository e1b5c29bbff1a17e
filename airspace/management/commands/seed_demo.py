"""Load the demo data (idempotent): users of every role, operators with drones, Baghdad's zones, and
the demo radar's coverage."""

import io

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from airspace import roles
from airspace.geometry import parse_area
from airspace.incidents.models import ResponseUnit
from airspace.registry.models import Aircraft, Operator
from airspace.surveillance.models import Sensor
from airspace.zones.models import RestrictedZone

DEMO_PASSWORD = "airspace-demo"

DEMO_USERS = [
    ("pilot", roles.OPERATOR, "Tigris Aerial Media"),
    ("surveyor", roles.OPERATOR, "Mesopotamia Survey Co"),
    ("officer", roles.COMMAND_STAFF, None),
    ("senior", roles.SENIOR_OFFICER, None),
    ("airdefense", roles.AIR_DEFENSE, None),
    ("radar1", roles.SENSOR, None),
    ("dealer", roles.DEALER, "Babylon Drone Imports"),
]

DEMO_AIRCRAFT = [
    ("Tigris Aerial Media", "DJI-M3P-0001", "IQ-RID-0001", "DJI", "Mavic 3 Pro", "multirotor", "0.958", True),
    ("Tigris Aerial Media", "DJI-INS3-0002", "IQ-RID-0002", "DJI", "Inspire 3", "multirotor", "3.995", True),
    ("Mesopotamia Survey Co", "WING-EBX-0003", "IQ-RID-0003", "senseFly", "eBee X", "fixed_wing", "1.600", True),
    ("Mesopotamia Survey Co", "AGR-T40-0004", "IQ-RID-0004", "DJI", "Agras T40", "multirotor", "50.000", False),
]


def _ring(*lon_lat):
    return {"type": "Polygon", "coordinates": [[list(p) for p in (*lon_lat, lon_lat[0])]]}


DEMO_ZONES = [
    (
        "Baghdad Green Zone",
        RestrictedZone.Kind.PROHIBITED,
        "International Zone: government, embassies and the presidential complex.",
        _ring((44.3780, 33.2960), (44.4050, 33.2960), (44.4120, 33.3120), (44.3900, 33.3230), (44.3740, 33.3130)),
        None,
        0,
        3000,
    ),
    (
        "Baghdad International Airport",
        RestrictedZone.Kind.RESTRICTED,
        "Control zone of BGW: flights need a senior officer's approval.",
        {"type": "Point", "coordinates": [44.2346, 33.2625]},
        8000,
        0,
        3000,
    ),
    (
        "Al-Muthanna Air Base",
        RestrictedZone.Kind.PROHIBITED,
        "Military air base.",
        {"type": "Point", "coordinates": [44.3445, 33.3375]},
        2000,
        0,
        3000,
    ),
    (
        "Tigris river corridor (Karrada)",
        RestrictedZone.Kind.RESTRICTED,
        "Low-level helicopter corridor along the river.",
        _ring((44.4100, 33.2900), (44.4350, 33.2900), (44.4350, 33.3050), (44.4100, 33.3050)),
        None,
        0,
        300,
    ),
]


DEMO_UNITS = [
    ("Falcon intercept team", ResponseUnit.Kind.INTERCEPT, 44.39, 33.31),
    ("Karkh police patrol", ResponseUnit.Kind.POLICE, 44.36, 33.33),
]


class Command(BaseCommand):
    help = "Load demo users, operators, aircraft and restricted zones (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        for username, role, organization in DEMO_USERS:
            extra = ["--organization", organization] if organization else []
            call_command(
                "adduser",
                username,
                "--role",
                role,
                "--password-stdin",
                *extra,
                stdin=io.StringIO(DEMO_PASSWORD),
                stdout=self.stdout,
            )
        for org, serial, remote_id, maker, model, category, mtow, verified in DEMO_AIRCRAFT:
            aircraft, created = Aircraft.objects.get_or_create(
                serial_number=serial,
                defaults={
                    "operator": Operator.objects.get(name=org),
                    "remote_id": remote_id,
                    "manufacturer": maker,
                    "model": model,
                    "category": category,
                    "mtow_kg": mtow,
                },
            )
            if created and verified:
                aircraft.verify()
                aircraft.save()
        for name, kind, description, geometry, radius_m, min_alt, max_alt in DEMO_ZONES:
            area = parse_area(geometry, radius_m)
            RestrictedZone.objects.update_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "description": description,
                    "area": area.geojson,
                    "radius_m": area.radius_m,
                    "boundary": area.boundary_geojson,
                    "min_altitude_m": min_alt,
                    "max_altitude_m": max_alt,
                },
            )
        # radar1 watches central Baghdad, the Green Zone included (kept if staff changed it since).
        coverage = parse_area({"type": "Point", "coordinates": [44.38, 33.31]}, 12_000)
        Sensor.objects.filter(user__username="radar1", coverage_area__isnull=True).update(
            coverage_area=coverage.geojson,
            coverage_radius_m=coverage.radius_m,
            coverage_boundary=coverage.boundary_geojson,
        )
        _seed_demo_permits()
        # Two response units air defense can send to an incident (kept if staff changed them).
        for name, kind, lon, lat in DEMO_UNITS:
            area = parse_area({"type": "Point", "coordinates": [lon, lat]}, 4000)
            ResponseUnit.objects.get_or_create(
                name=name,
                defaults={"kind": kind, "area": area.geojson, "radius_m": 4000, "boundary": area.boundary_geojson},
            )
        _seed_demo_shipment()
        self.stdout.write(
            self.style.SUCCESS(f"\nDemo data loaded. Sign in with any of these (password: {DEMO_PASSWORD}):")
        )
        for username, role, organization in DEMO_USERS:
            self.stdout.write(f"  {username:<11} {role}{f' ({organization})' if organization else ''}")


# --- demo permits (permits area): made through the permit services, as people would ------------

# (operator user, aircraft serial, purpose, description — also the key that keeps this idempotent,
#  area, radius_m, band, starts in hours, lasts hours, state to drive it to)
DEMO_PERMITS = [
    (
        "pilot",
        "DJI-M3P-0001",
        "media",
        "Demo: wedding video over Al-Mansour",
        {"type": "Point", "coordinates": [44.3300, 33.3100]},
        400,
        (0, 90),
        20,
        2,
        "submitted",
    ),
    (
        "pilot",
        "DJI-M3P-0001",
        "photography",
        "Demo: Karrada riverbank photos (touches the river corridor: senior approval)",
        {"type": "Point", "coordinates": [44.4200, 33.2880]},
        400,
        (0, 60),
        26,
        1,
        "submitted",
    ),
    (
        "surveyor",
        "WING-EBX-0003",
        "survey",
        "Demo: Dora road survey",
        _ring((44.3900, 33.2400), (44.4050, 33.2400), (44.4050, 33.2500), (44.3900, 33.2500)),
        None,
        (60, 150),
        30,
        4,
        "under_review",
    ),
    (
        "pilot",
        "DJI-INS3-0002",
        "inspection",
        "Demo: Adhamiyah mast inspection",
        {"type": "Point", "coordinates": [44.3600, 33.3700]},
        250,
        (0, 120),
        2,
        2,
        "approved",
    ),
]


def _seed_demo_permits():
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from permits import services
    from permits.models import FlightPermit

    users = get_user_model().objects
    officer, senior = users.get(username="officer"), users.get(username="senior")
    for username, serial, purpose, description, geometry, radius_m, band, starts_in, hours, state in DEMO_PERMITS:
        if FlightPermit.objects.filter(description=description).exists():
            continue
        area = parse_area(geometry, radius_m)
        starts_at = (timezone.now() + timedelta(hours=starts_in)).replace(minute=0, second=0, microsecond=0)
        owner = users.get(username=username)
        permit = services.create_permit(
            user=owner,
            aircraft=Aircraft.objects.get(serial_number=serial),
            purpose=purpose,
            description=description,
            area=area.geojson,
            radius_m=area.radius_m,
            boundary=area.boundary_geojson,
            min_altitude_m=band[0],
            max_altitude_m=band[1],
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
        )
        services.submit_permit(permit_id=permit.pk, user=owner)
        if state in ("under_review", "approved"):
            services.start_review(permit_id=permit.pk, officer=officer)
        if state == "approved":
            services.approve_permit(permit_id=permit.pk, officer=senior, reason="Demo: clear of all zones.")


# --- a demo shipment (trade area): recorded and sold through the trade services ---------------

DEMO_SHIPMENT = "IQ-CUS-2026-DEMO"


def _seed_demo_shipment():
    """Babylon Drone Imports' shipment of three drones: one sold to Tigris Aerial Media (awaiting its
    registration), one sold to a person, one in stock — its Remote ID `1581F5FKD9003`, reported by a
    sensor, raises a hostile alert that names the importer."""
    from datetime import date

    from django.contrib.auth import get_user_model

    from airspace.trade.models import Shipment
    from airspace.trade.services import record_shipment, sell_drone

    if Shipment.objects.filter(customs_reference=DEMO_SHIPMENT).exists():
        return
    dealer = get_user_model().objects.get(username="dealer")
    shipment = record_shipment(
        user=dealer,
        customs_reference=DEMO_SHIPMENT,
        imported_on=date(2026, 11, 2),
        drones=[
            {
                "serial_number": f"DJI-M3E-900{n}",
                "remote_id": f"1581F5FKD900{n}",
                "manufacturer": "DJI",
                "model": "Mavic 3 Enterprise",
                "category": Aircraft.Category.MULTIROTOR,
                "mtow_kg": "0.915",
            }
            for n in (1, 2, 3)
        ],
    )
    first, second, _ = shipment.drones.order_by("serial_number")
    tigris = Operator.objects.get(name="Tigris Aerial Media")
    sell_drone(
        user=dealer, drone_id=first.pk, buyer_name=tigris.name, buyer_operator=tigris, sold_on=date(2026, 11, 20)
    )
    sell_drone(
        user=dealer,
        drone_id=second.pk,
        buyer_name="Karim Hassan",
        buyer_national_id="IQ-19880412-77",
        sold_on=date(2026, 11, 21),
    )
