"""Every model of the `airspace` app, gathered from the domain packages so that Django finds them.

The domains are sub-packages of one Django app (docs/ARCHITECTURE.md says why): their models keep the
app label `airspace`, so the tables and the migration history are those of the single app they
grew from. Code imports a model from its domain (`airspace.registry.models`), never from here."""

from .air_defense.models import AirDefenseNotification, WebhookDelivery, WebhookSubscription
from .c2.models import TakDelivery, TakEndpoint
from .incidents.models import (
    Incident,
    IncidentTrack,
    IncidentTransitionLog,
    ResponseUnit,
    UnitAssignment,
    UnknownDrone,
    Violation,
)
from .notices.models import OperatorNotice
from .registry.models import Aircraft, Operator, OperatorMembership
from .surveillance.models import (
    HOSTILE_CLASSIFICATIONS,
    AirspaceChange,
    AirspaceVersion,
    Classification,
    PositionReport,
    Sensor,
    Track,
)
from .trade.models import Dealer, DealerMembership, ImportedDrone, Sale, Shipment, Transfer, TransferTransitionLog
from .zones.models import RestrictedZone

__all__ = [
    "HOSTILE_CLASSIFICATIONS",
    "AirDefenseNotification",
    "Aircraft",
    "AirspaceChange",
    "AirspaceVersion",
    "Classification",
    "Dealer",
    "DealerMembership",
    "ImportedDrone",
    "Incident",
    "IncidentTrack",
    "IncidentTransitionLog",
    "Operator",
    "OperatorMembership",
    "OperatorNotice",
    "PositionReport",
    "ResponseUnit",
    "RestrictedZone",
    "Sale",
    "Sensor",
    "Shipment",
    "Track",
    "Transfer",
    "TransferTransitionLog",
    "TakDelivery",
    "TakEndpoint",
    "Track",
    "UnitAssignment",
    "UnknownDrone",
    "Violation",
    "WebhookDelivery",
    "WebhookSubscription",
]
