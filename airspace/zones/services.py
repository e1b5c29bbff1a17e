"""What command staff do to the zones, one function per act."""

from django.core.exceptions import ValidationError
from django.db import transaction

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
