"""What the registry tells the domains built on it. The registry sits below the permits and cannot
import them; they listen here instead (permits/receivers.py), inside the sender's transaction."""

from django.dispatch import Signal

# Sent with `aircraft` and `officer` when command staff suspend an aircraft, before the transaction
# commits: its approved and active permits are revoked in that same transaction.
aircraft_grounded = Signal()
