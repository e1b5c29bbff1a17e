"""Cursor on Target to TAK endpoints (docs/C2.md)."""

import warnings

# PyTAK warns at import that aiohttp (for its TAK Server enrolment client) is missing; the service
# does not use that client, and the warning would be printed by every process at start.
warnings.filterwarnings("ignore", message="The 'aiohttp' package is required", category=UserWarning)
