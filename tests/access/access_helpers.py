from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from frontdesk.central.passes import issue_pass
from frontdesk.edge.access import AccessConfig, AccessService
from frontdesk.edge.journal import Journal
from frontdesk.edge.services import EdgeContext
from frontdesk.passes import public_text
from frontdesk.schema import make_command, parse_command_payload

SITE = "sunrise"


class Post:
    """A real journal and access service in a temp dir, as the edge agent builds them."""

    def __init__(self, root: Path, key, device="kiosk-1", **cfg):
        self.root, self.key, self.device, self.cfg = root, key, device, cfg
        self.journal = Journal(root / "journal.db", site=SITE, device=device, tz="Asia/Shanghai")
        self.svc = self._build()

    def _build(self) -> AccessService:
        self.ctx = EdgeContext(journal=self.journal, site=SITE, device=self.device, tz="Asia/Shanghai",
                               country="cn", data_dir=self.root)
        cfg = AccessConfig(site_public_keys=[public_text(self.key)], **self.cfg)
        svc = AccessService(cfg, self.ctx)
        svc.start()
        return svc

    def restart(self) -> None:
        self.svc.stop()
        self.journal.close()
        self.journal = Journal(self.root / "journal.db", site=SITE, device=self.device, tz="Asia/Shanghai")
        self.svc = self._build()

    def command(self, type_: str, payload: dict):
        cmd = make_command(parse_command_payload(type_, payload), site=SITE, device=self.device)
        return self.journal.apply_command(cmd, self.ctx.commands)

    def events(self, type_: str | None = None) -> list[dict]:
        evs = self.journal.events()
        return [e for e in evs if type_ is None or e["type"] == type_]

    def close(self) -> None:
        self.svc.stop()
        self.journal.close()


def a_pass(key, **kw):
    now = datetime.now(UTC)
    args = dict(site=SITE, host_unit="3-1502", visitor_name="王小明", valid_from=now - timedelta(minutes=5),
                valid_until=now + timedelta(hours=4), single_use=True)
    args.update(kw)
    return issue_pass(key, **args)

