"""Privacy at central in one object, as the API, the command line and the service's checker use it:
erasure requests (requests.py) and the retention rounds with the edges' retention.set (retention.py,
edges.py)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..auth.accounts import Accounts
from ..store import Store
from .edges import sync_retention
from .requests import PrivacyRequests
from .retention import apply_retention
from .settings import PrivacyConfig

log = logging.getLogger(__name__)


class Privacy:
    """Erasure and retention over one store, with [privacy]'s periods."""

    def __init__(self, store: Store, accounts: Accounts, config: PrivacyConfig | None = None,
                 on_command: Callable[[], None] | None = None) -> None:
        self.store, self.config, self.on_command = store, config or PrivacyConfig(), on_command
        self.requests = PrivacyRequests(store, accounts, on_command)

    def sync_edges(self) -> list[str]:
        """retention.set to every device whose delivered periods differ (edges.sync_retention)."""
        made = sync_retention(self.store, self.config)
        if made and self.on_command:
            self.on_command()
        return made

    def run_retention(self) -> dict[str, Any]:
        """One retention round at central, then the edges' periods brought up to date: the one place
        retention runs (the service's checker thread calls it every [privacy] run_every_s)."""
        changed = apply_retention(self.store, self.config)
        sent = self.sync_edges()
        return {"changed": changed, "retention_set_sent": len(sent)}
