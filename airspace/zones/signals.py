"""What the zones tell the domains built on them. The zones sit below the permits and cannot import
them; the permits listen here instead (permits/receivers.py), inside the zone change's transaction."""

from django.dispatch import Signal

# Sent with `zone` (its changes applied, not yet saved) when command staff draw or change a zone:
# receivers lock what they will change now, before the save takes the airspace version row, the
# last lock of the order every act keeps (permits/services.py).
zone_changing = Signal()

# Sent with `zone` (saved) and `officer` in the same transaction. Each receiver returns what the zone
# did to the flights already approved: {"revoked_permits": [...], "permits_to_review": [...]}.
zone_changed = Signal()
