"""The operator's notices: what the authority tells an organization that flies (a drone verified or
suspended, a permit decided or revoked, a flight of theirs outside its volume). A low layer, so that
the registry, the permits and surveillance can each write one in the transaction of the change."""
