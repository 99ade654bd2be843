"""`frontdesk central run`: the store, its MQTT link and the HTTP API in one process."""
from __future__ import annotations

import logging
import signal
import threading

import uvicorn

from .api import create_app
from .command_keys import attach as attach_command_signer
from .config import CentralFile
from .ingest import CentralLink
from .store import QuarantineQuota, Store
from .tickets.checker import BreachChecker

log = logging.getLogger(__name__)


class CentralService:
    """Central in one process: the store, its MQTT link, the SLA checker and the HTTP API (uvicorn)."""
    def __init__(self, cfg: CentralFile) -> None:
        self.cfg = cfg
        c = cfg.central
        self.store = Store(c.database_url, quota=QuarantineQuota(c.quarantine_quota, c.quarantine_window_s,
                                                                 c.quarantine_sample_every))
        attach_command_signer(self.store, c)  # every command signed (central/command_keys.py)
        self.link = CentralLink(self.store, cfg.mqtt, cfg.central)
        self.app = create_app(self.store, on_command=self.link.wake_dispatcher,
                              status=lambda: {"broker_connected": self.link.link.connected.is_set()}, config=cfg)
        # SLA breaches become events; personal data past its period is removed (central/privacy/)
        self.privacy = self.app.state.privacy
        self.checker = BreachChecker(self.app.state.tickets, self.privacy.run_retention, cfg.privacy.run_every_s)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host=cfg.central.http_host, port=cfg.central.http_port,
                                                    log_level="warning", lifespan="off",
                                                    # the client's address is central's to decide
                                                    # ([auth] trusted_proxies, central/auth/clients.py):
                                                    # uvicorn must not rewrite it from X-Forwarded-For
                                                    proxy_headers=False, server_header=False,
                                                    # open live streams never end by themselves
                                                    timeout_graceful_shutdown=3))

    def run_forever(self) -> None:
        """Start the link and the checker and serve HTTP until SIGTERM or SIGINT (caught when called from
        the main thread); then stop them and close the store."""
        self.link.start()
        try:  # each edge hears its site's retention periods once, not on every start
            self.privacy.sync_edges()
        except Exception:
            log.exception("privacy: could not send the edges their retention periods; the checker retries")
        self.checker.start()
        log.info("central: store %s (%s), broker %s:%s, API http://%s:%s/", _safe(self.cfg.central.database_url),
                 self.store.backend, self.cfg.mqtt.host, self.cfg.mqtt.port, self.cfg.central.http_host,
                 self.cfg.central.http_port)
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: setattr(self.server, "should_exit", True))
        try:
            self.server.run()
        finally:
            self.checker.stop()
            self.link.stop()
            self.store.close()


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)
