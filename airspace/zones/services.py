"""What command staff do to the zones, one function per act."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from .formats import FORMAT_NAMES, ZoneFileError
from .models import RestrictedZone, lock_zones
from .signals import zone_changed, zone_changing


def draw_zone(*, officer, **fields):
    """Command staff draw a new zone: `fields` as the zone serializer validated them (name, kind,
    area with its boundary, altitude band)."""
    with transaction.atomic():
        lock_zones(exclusive=True)
        _check_name_is_free(fields.get("name"))
        return _save_zone(RestrictedZone(created_by=officer, **fields), officer=officer)


def change_zone(*, zone_id, officer, **changes):
    """Command staff reshape a zone, change its kind or altitude band, or re-activate it."""
    with transaction.atomic():
        lock_zones(exclusive=True)
        _check_name_is_free(changes.get("name"), zone_id=zone_id)
        zone = RestrictedZone.objects.select_for_update().get(pk=zone_id)
        for name, value in changes.items():
            setattr(zone, name, value)
        return _save_zone(zone, officer=officer)


def _check_name_is_free(name, *, zone_id=None):
    """Checked again under the zones lock: two officers naming a zone alike at the same moment both
    passed the serializer's check, and the second met the unique constraint (a 500). Zone changes
    take the lock one at a time, so here the first one's zone is already visible (a 400)."""
    if name is not None and RestrictedZone.objects.filter(name=name).exclude(pk=zone_id).exists():
        raise ValidationError({"name": "A zone with this name already exists."})


def _save_zone(zone, *, officer):
    """Save the zone and let the flights already approved feel it at once, in this transaction: a
    prohibited zone revokes the permits in effect it touches, a restricted one flags them for
    review (permits/services.py: apply_zone_to_permits_in_effect). What it did is left on the zone
    as `revoked_permits` and `permits_to_review`, for the officer's answer."""
    zone_changing.send(sender=RestrictedZone, zone=zone)
    zone.save()
    effects = [effect for _, effect in zone_changed.send(sender=RestrictedZone, zone=zone, officer=officer) if effect]
    zone.revoked_permits = [permit for effect in effects for permit in effect["revoked_permits"]]
    zone.permits_to_review = [permit for effect in effects for permit in effect["permits_to_review"]]
    return zone


def deactivate_zone(*, zone_id):
    """Zones are evidence for past decisions: they are deactivated, never deleted."""
    zone = RestrictedZone.objects.get(pk=zone_id)
    zone.active = False
    zone.save(update_fields=["active", "updated_at"])
    return zone


# --- importing zone data (ED-269, ED-318, GeoJSON, KML: zones/formats.py) --------------------------

# The zone fields an import compares and sets.
IMPORTED_FIELDS = (
    "name",
    "kind",
    "description",
    "area",
    "radius_m",
    "min_altitude_m",
    "max_altitude_m",
    "identifier",
    "schedule",
)


@dataclass
class ImportPlan:
    """What an import does, or would do: zones new, changed (with the fields that change),
    unchanged, and deactivated (imported before and absent from the file, when asked); after it
    is applied, also what the zones did to the permits in effect."""

    file_format: str
    new: list = field(default_factory=list)  # ZoneDraft
    changed: list = field(default_factory=list)  # (RestrictedZone, ZoneDraft, [field names])
    unchanged: list = field(default_factory=list)  # (RestrictedZone, ZoneDraft)
    deactivated: list = field(default_factory=list)  # RestrictedZone
    revoked_permits: list = field(default_factory=list)
    permits_to_review: list = field(default_factory=list)

    @property
    def format_name(self):
        return FORMAT_NAMES[self.file_format]


def plan_zone_import(drafts, *, file_format, deactivate_missing=False):
    """Match each draft to a zone already drawn — by identifier, else by name (a zone drawn by hand
    and now published gains its identifier) — and say what would change. Reads only."""
    zones = list(RestrictedZone.objects.order_by("pk"))
    by_identifier = {zone.identifier: zone for zone in zones if zone.identifier}
    by_name = {zone.name: zone for zone in zones}
    plan, matched, seen = ImportPlan(file_format=file_format), set(), {}
    for draft in drafts:
        for key in {draft.key, ("name", draft.name)}:
            if key in seen:
                raise ZoneFileError(
                    f"{key[1]!r} is also the {key[0]} of feature {seen[key]}", feature=draft.feature, field=key[0]
                )
            seen[key] = draft.feature
        zone = by_identifier.get(draft.identifier) if draft.identifier else None
        if zone is None:
            namesake = by_name.get(draft.name)
            if namesake is not None and (not draft.identifier or not namesake.identifier):
                zone = namesake
            elif namesake is not None:
                raise ZoneFileError(
                    f"{draft.name!r} is the name of zone {namesake.identifier}, another zone: rename one of them",
                    feature=draft.feature,
                    field="name",
                )
        if zone is None:
            plan.new.append(draft)
            continue
        matched.add(zone.pk)
        namesake = by_name.get(draft.name)
        if namesake is not None and namesake.pk != zone.pk:
            raise ZoneFileError(
                f"{draft.name!r} is already the name of another zone", feature=draft.feature, field="name"
            )
        fields = draft.fields()
        changes = [name for name in IMPORTED_FIELDS if getattr(zone, name) != fields[name]]
        if not zone.active:
            changes.append("active")
        if changes:
            plan.changed.append((zone, draft, changes))
        else:
            plan.unchanged.append((zone, draft))
    if deactivate_missing:
        # Only zones that came from a file (with an identifier): those drawn here stay.
        plan.deactivated = [zone for zone in zones if zone.active and zone.identifier and zone.pk not in matched]
    return plan


def import_zones(*, officer, drafts, file_format, deactivate_missing=False, dry_run=False):
    """Command staff load a zone file: all of it or nothing. A dry run only says what would change.
    Each zone goes through draw_zone / change_zone, so a prohibited zone revokes the permits in
    effect it covers, as one drawn by hand does."""
    if dry_run:
        return plan_zone_import(drafts, file_format=file_format, deactivate_missing=deactivate_missing)
    with transaction.atomic():
        lock_zones(exclusive=True)
        plan = plan_zone_import(drafts, file_format=file_format, deactivate_missing=deactivate_missing)
        saved = [draw_zone(officer=officer, **draft.fields()) for draft in plan.new]
        for zone, draft, _ in plan.changed:
            fields = draft.fields()
            saved.append(change_zone(zone_id=zone.pk, officer=officer, active=True, **fields))
        for zone in plan.deactivated:
            deactivate_zone(zone_id=zone.pk)
        plan.revoked_permits = [permit for zone in saved for permit in zone.revoked_permits]
        plan.permits_to_review = [permit for zone in saved for permit in zone.permits_to_review]
    return plan
