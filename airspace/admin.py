"""The admin of every domain (Django discovers `airspace.admin` only)."""

from .air_defense import admin as air_defense_admin  # noqa: F401
from .c2 import admin as c2_admin  # noqa: F401
from .incidents import admin as incidents_admin  # noqa: F401
from .notices import admin as notices_admin  # noqa: F401
from .registry import admin as registry_admin  # noqa: F401
from .surveillance import admin as surveillance_admin  # noqa: F401
from .trade import admin as trade_admin  # noqa: F401
from .zones import admin as zones_admin  # noqa: F401
