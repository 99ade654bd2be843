"""A fleet on loopback: the fleet CA, the generated TLS broker, and enrolled devices.

`frontdesk demo`, the spine tests and the benches run the production path with it: central's
registry issues every certificate, Mosquitto runs the configuration `frontdesk central
broker-config` writes, and every edge is installed from its enrolment bundle.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..central.fleet.registry import Fleet
from ..central.fleet.settings import FleetConfig
from ..central.store import Store
from ..config import MqttConfig, SiteConfig, section_toml
from ..edge.enroll import enroll, mqtt_section
from ..enrolment import Bundle
from ..runtime.mosquitto import Mosquitto
from ..runtime.ports import free_port


@dataclass
class LocalFleet:
    """The fleet of one central under `root`, its broker on a free loopback port. `pass_keys`
    (site -> private key file, central's [tickets.pass_keys]) sign a site's passes instead of a
    key the registry makes, so bundles carry the public key of passes signed elsewhere."""
    root: Path
    database_url: str
    command_public_keys: list[str]
    port: int = field(default_factory=free_port)
    broker: Mosquitto | None = None
    pass_keys: dict[str, Path] = field(default_factory=dict)

    @property
    def config(self) -> FleetConfig:
        """The [fleet] section central's file carries (fleet_toml() is the same as text)."""
        return FleetConfig(dir=self.root / "fleet", organisation="frontdesk demo", broker_host="127.0.0.1",
                           broker_port=self.port, listen="127.0.0.1", persistence_dir=self.root / "broker",
                           broker_user="root" if os.geteuid() == 0 else "mosquitto",
                           broker_log=self.root / "broker" / "mosquitto.log")

    def fleet_toml(self) -> str:
        """[fleet] for central's file; once the broker runs, with the reload command that signals it
        (what a site sets to ["pkill", "-HUP", ...])."""
        fleet = self.config
        if self.broker and self.broker.proc:
            fleet = FleetConfig(**fleet.model_dump(exclude_unset=True),
                                reload_command=["kill", "-HUP", str(self.broker.proc.pid)])
        return section_toml("fleet", fleet)

    def central_mqtt_toml(self) -> str:
        """Central's [mqtt]: the TLS listener, with central's own certificate."""
        return self.mqtt_toml(*self.registry().central_credentials())

    def mqtt_toml(self, ca: Path, cert: Path, key: Path) -> str:
        """[mqtt] for a client of this fleet's broker presenting `cert`/`key`."""
        return section_toml("mqtt", MqttConfig(host="127.0.0.1", port=self.port, tls_ca=ca, tls_cert=cert,
                                               tls_key=key))

    @cached_property
    def _registry(self) -> Fleet:
        return Fleet(Store(self.database_url), self.config, dict(self.pass_keys), self.command_public_keys)

    def registry(self) -> Fleet:
        """The registry over central's database (one store, migrated when first used)."""
        return self._registry

    def start_broker(self) -> Mosquitto:
        """Write the broker's configuration from the registry and start Mosquitto on it."""
        (self.root / "broker").mkdir(parents=True, exist_ok=True)
        conf = self.registry().write_broker_config()
        self.broker = Mosquitto(self.root / "broker", port=self.port, config=conf).start()
        return self.broker

    def reload_broker(self) -> None:
        """What `[fleet] reload_command` does at a site: SIGHUP, so the broker re-reads ACL and CRL."""
        assert self.broker
        self.broker.reload()

    def add_site(self, site: str, name: str = "", timezone: str = "Asia/Shanghai") -> None:
        """Register `site` (and make its pass key)."""
        self.registry().add_site(SiteConfig(id=site, name=name, timezone=timezone))

    def enroll(self, site: str, device: str, directory: Path, *, role: str = "agent",
               data_dir: Path | None = None, bundle: bytes | None = None) -> Bundle:
        """Register the device (unless `bundle` is given: one already issued), tell the broker,
        and install the bundle in `directory` as `frontdesk edge enroll` does."""
        raw = bundle if bundle is not None else self.registry().add_device(site, device, role)
        if self.broker:
            self.reload_broker()
        parsed = Bundle.model_validate(json.loads(raw))
        enroll(parsed, directory, data_dir or directory / "data")
        return parsed

    def edge_mqtt_toml(self, bundle: Bundle, directory: Path) -> str:
        """The [mqtt] section of an edge enrolled into `directory`."""
        return mqtt_section(bundle, directory / "tls")

    def broker_log(self) -> str:
        """The broker's log so far (connections, refusals)."""
        log = self.config.broker_log
        return log.read_text(errors="replace") if log and log.exists() else ""

    def stop(self) -> None:
        """Stop the broker and close the registry's database connections."""
        if self.broker:
            self.broker.stop()
        if "_registry" in self.__dict__:
            self._registry.store.close()
