"""What trade tells the domains built on it. The permits sit above and listen here
(permits/receivers.py), inside the sender's transaction."""

from django.dispatch import Signal

# Sent with `aircraft`, `previous_operator` and `transfer` when a transfer is accepted, before the
# transaction commits: the previous owner's permits in effect for the drone are cancelled in it.
aircraft_transferred = Signal()
