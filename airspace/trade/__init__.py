"""A drone's life on record before and between operators: licensed dealers who import and sell
drones, the buyer's confirmation that registers it, transfers between operators, and the chain of
all of it for any serial number or Remote ID (docs/ARCHITECTURE.md: between the permits and air defense)."""
