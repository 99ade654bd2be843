"""The edge agent: journal + uplink + the device services a site configures."""
from __future__ import annotations

import logging
import signal
import sqlite3
import threading
from types import FrameType
from typing import Any

from frontdesk import __version__
from frontdesk.schema.system import EdgeStarted, EdgeStopped, Ping, SettingsUpdate

from .config import EdgeFileBase
from .journal import Journal, put_setting
from .privacy.service import Clock, PrivacyService, utc_now
from .services import EdgeContext, EdgeService, build_services
from .uplink import Uplink

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600


def _ping(db: sqlite3.Connection, payload: Ping) -> dict[str, Any]:
    return {"pong": True}


def _settings_update(db: sqlite3.Connection, payload: SettingsUpdate) -> dict[str, Any]:
    for key, value in payload.values.items():
        put_setting(db, key, value)
    return {"updated": sorted(payload.values)}


class EdgeAgent:
    """Journal, uplink and the configured device services of one edge, started and stopped together."""

    def __init__(self, cfg: EdgeFileBase, *, clock: Clock = utc_now) -> None:
        self.cfg = cfg
        self.journal = Journal(cfg.edge.journal_path, site=cfg.site.id, device=cfg.edge.device, tz=cfg.site.timezone)
        self.ctx = EdgeContext(journal=self.journal, site=cfg.site.id, device=cfg.edge.device, tz=cfg.site.timezone,
                               country=cfg.site.country, data_dir=cfg.edge.data_dir, site_name=cfg.site.name)
        self.ctx.commands.on(Ping, _ping)
        self.ctx.commands.on(SettingsUpdate, _settings_update)
        self.services: list[EdgeService] = build_services(cfg.service_sections(), self.ctx)
        # After every device service: each has added its store of personal data to ctx by now.
        self.privacy = PrivacyService(cfg.retention, self.ctx, clock=clock)
        self.services.append(self.privacy)
        self.uplink = Uplink(self.journal, cfg.mqtt, cfg.uplink, self.ctx.commands)
        self._stopped = threading.Event()

    def start(self, connect_wait_s: float = 3.0) -> None:
        """Connect the uplink (waiting briefly), journal the start, start every service."""
        self.uplink.start()
        reachable = self.uplink.link.wait_connected(connect_wait_s)
        backlog = self.journal.backlog()
        if reachable:
            log.info("edge %s/%s: broker %s:%s connected; %d events waiting to sync", self.ctx.site,
                     self.ctx.device, self.cfg.mqtt.host, self.cfg.mqtt.port, backlog)
        else:
            log.warning("edge %s/%s: %s — journaling locally in %s (%d events waiting); will sync when it is back",
                        self.ctx.site, self.ctx.device, self.uplink.link.last_error or "broker not reachable yet",
                        self.journal.path, backlog)
        self.journal.record(EdgeStarted(version=__version__, broker_reachable=reachable, outbox_backlog=backlog))
        for service in self.services:
            log.info("edge: starting %s", service.name)
            service.start()
        threading.Thread(target=self._housekeeping, name="edge-housekeeping", daemon=True).start()

    def _housekeeping(self) -> None:
        while not self.ctx.stopping.wait(PRUNE_EVERY_S):
            try:
                self.journal.prune(self.cfg.edge.keep_days)
            except Exception:
                log.exception("edge: pruning the journal failed")

    def stop(self, reason: str = "shutdown") -> None:
        """Stop the services (in reverse), journal the stop, stop the uplink; once."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.ctx.stopping.set()
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:
                log.exception("edge: stopping %s failed", service.name)
        try:
            self.journal.record(EdgeStopped(reason=reason))
        except Exception:
            log.exception("edge: could not journal the stop")
        self.uplink.stop()
        self.journal.close()

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT."""
        done = threading.Event()

        def _signal(signum: int, frame: FrameType | None) -> None:
            done.set()

        signal.signal(signal.SIGTERM, _signal)
        signal.signal(signal.SIGINT, _signal)
        self.start()
        done.wait()
        self.stop("signal")
