"""What command staff do to the zones, one function per act."""


def deactivate_zone(*, zone_id):
    """Zones are evidence for past decisions: they are deactivated, never deleted."""
    from .models import RestrictedZone

    zone = RestrictedZone.objects.get(pk=zone_id)
    zone.active = False
    zone.save(update_fields=["active", "updated_at"])
    return zone
