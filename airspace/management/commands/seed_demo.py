"""Load the demo data (idempotent): users of every role, operators with drones, and Baghdad's zones."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from airspace import roles
from airspace.geometry import parse_area
from airspace.models import Aircraft, Operator, RestrictedZone

DEMO_PASSWORD = "airspace-demo"

DEMO_USERS = [
    ("pilot", roles.OPERATOR, "Tigris Aerial Media"),
    ("surveyor", roles.OPERATOR, "Mesopotamia Survey Co"),
    ("officer", roles.COMMAND_STAFF, None),
    ("senior", roles.SENIOR_OFFICER, None),
    ("airdefense", roles.AIR_DEFENSE, None),
    ("radar1", roles.SENSOR, None),
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


class Command(BaseCommand):
    help = "Load demo users, operators, aircraft and restricted zones (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        for username, role, organization in DEMO_USERS:
            extra = ["--organization", organization] if organization else []
            call_command("adduser", username, "--role", role, "--password", DEMO_PASSWORD, *extra, stdout=self.stdout)
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
        self.stdout.write(
            self.style.SUCCESS(f"\nDemo data loaded. Sign in with any of these (password: {DEMO_PASSWORD}):")
        )
        for username, role, organization in DEMO_USERS:
            self.stdout.write(f"  {username:<11} {role}{f' ({organization})' if organization else ''}")
