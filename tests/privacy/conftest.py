"""The privacy tests run on central as tests/central/ sets it up (each backend, or SQLite alone)."""
from __future__ import annotations

from ..central.conftest import central, central_sqlite  # noqa: F401  (fixtures, shared)
