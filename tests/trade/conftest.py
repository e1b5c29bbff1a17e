"""Fixtures of the trade tests: dealers, shipments recorded through the service, CSV shipments."""

import itertools
from datetime import date

import pytest

from airspace import roles
from airspace.trade.services import record_shipment, sell_drone

_numbers = itertools.count(1)
CSV_HEADER = "serial_number,remote_id,manufacturer,model,category,mtow_kg"


@pytest.fixture
def dealer_user(make_user):
    return make_user(roles.DEALER, organization="Babylon Drone Imports")


@pytest.fixture
def other_dealer_user(make_user):
    return make_user(roles.DEALER, organization="Basra Trading")


def drone_row(prefix="IMP", number=None, **overrides):
    number = number if number is not None else next(_numbers)
    row = {
        "serial_number": f"{prefix}-SN-{number:05d}",
        "remote_id": f"{prefix}-RID-{number:05d}",
        "manufacturer": "DJI",
        "model": "Mini 4 Pro",
        "category": "multirotor",
        "mtow_kg": "0.249",
    }
    row.update(overrides)
    return row


@pytest.fixture
def make_shipment(db):
    """make_shipment(dealer_user, count=1, **row overrides of the first drone) -> shipment."""

    def make(user, count=1, customs_reference=None, imported_on=date(2026, 11, 2), **first):
        number = next(_numbers)
        drones = [drone_row(prefix=f"S{number}", number=i, **(first if i == 0 else {})) for i in range(count)]
        for drone in drones:
            drone["mtow_kg"] = str(drone["mtow_kg"])
        return record_shipment(
            user=user,
            customs_reference=customs_reference or f"CUS-{number:06d}",
            imported_on=imported_on,
            drones=drones,
        )

    return make


@pytest.fixture
def sold_drone(dealer_user, operator_user, make_shipment):
    """A drone imported by Babylon Drone Imports and sold to the operator_user's organization."""
    shipment = make_shipment(dealer_user)
    drone = shipment.drones.get()
    sell_drone(
        user=dealer_user,
        drone_id=drone.pk,
        buyer_name="Alpha Aerial",
        buyer_operator=operator_user.operator_membership.operator,
        sold_on=date(2026, 11, 10),
    )
    return drone


def shipment_csv(count, *, bad=None, prefix="CSV"):
    """A CSV shipment of `count` drones; `bad` maps a row index (0-based) to overrides that spoil it."""
    bad = bad or {}
    lines = [CSV_HEADER]
    for index in range(count):
        row = drone_row(prefix=prefix, number=index, **bad.get(index, {}))
        lines.append(",".join(row[name] for name in CSV_HEADER.split(",")))
    return ("\n".join(lines) + "\n").encode()
