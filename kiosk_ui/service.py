"""The [kiosk] edge service: serves the kiosk or gate-post screen from the edge agent.

    [kiosk]
    role = "kiosk"          # or "gate"
    language = "zh-Hans"    # or "en"; visitors may switch, the screen returns to this one
    host = "127.0.0.1"
    port = 8410

The screens show what the access service (section [access], ctx.access) decides and
journals, and hand it walk-in registrations. The kiosk service keeps no table and no file of its
own: every fact it shows is already in the journal.
"""
from __future__ import annotations

import logging

from frontdesk.edge.services import EdgeContext

from . import catalogs
from .access_link import AccessLink
from .app import Screens, create_app
from .config import KioskConfig
from .feed import LiveFeed
from .ratelimit import ScreenLimits
from .server import ScreenServer

log = logging.getLogger("frontdesk.edge.kiosk")


class KioskService:
    """The kiosk or gate-post screen of this edge, fed by its access service."""

    name = "kiosk"

    def __init__(self, cfg: KioskConfig, ctx: EdgeContext) -> None:
        self.cfg, self.ctx = cfg, ctx
        catalogs.check()  # a broken catalogue is a packaging error: refuse to start with it
        self.feed = LiveFeed(keep=max(50, cfg.recent_scans))
        # The limits live as long as this process: reloading the page does not reset them.
        self.limits = ScreenLimits(registration=(cfg.registration_burst, cfg.registration_every_s),
                                   prints=(cfg.print_burst, cfg.print_every_s), post_role=cfg.role,
                                   event_gap_s=cfg.rate_event_gap_s, record=ctx.journal.record)
        self.link = AccessLink(lambda: ctx.access, self.feed, ctx.journal, limits=self.limits)
        screens = Screens(config=cfg, feed=self.feed, registrar=self.link.current, device=ctx.device,
                          site_name=ctx.site_name, tz=ctx.tz, limits=self.limits)
        self.app = create_app(screens)
        self.server = ScreenServer(self.app, cfg.host, cfg.port)

    @property
    def url(self) -> str:
        """Where the screens are served (the bound port once listening)."""
        return self.server.url

    def start(self) -> None:
        """Attach to the access service (if any) and serve the screens."""
        # All services are built before any starts, so ctx.access is set now if there is one.
        if not self.link.attach() or self.link.service is None:
            log.warning("kiosk: no [access] service on this edge: the %s screen cannot show scans or register "
                        "visitors", self.cfg.role)
        elif self.link.service.cfg.role != self.cfg.role:
            log.warning("kiosk: [kiosk] role is %r but [access] role is %r", self.cfg.role, self.link.service.cfg.role)
        if self.cfg.host.strip() in ("0.0.0.0", "::", "[::]") and not self.cfg.allowed_hosts:
            log.warning("kiosk: listening on every address (%s) but [kiosk] allowed_hosts is empty: only "
                        "http://127.0.0.1 / localhost are served; list the names screens use", self.cfg.host)
        self.server.start()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """True once the screen server listens; False if it does not within `timeout` seconds."""
        return self.server.wait_ready(timeout)

    def stop(self) -> None:
        """Stop relaying and serving."""
        self.link.detach()
        # Ending every open live stream first lets the web server shut down at once.
        self.feed.close()
        self.server.stop()


__all__ = ["KioskService"]
