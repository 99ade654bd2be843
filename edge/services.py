"""Device services the edge agent runs, and the contract between them and the agent.

A service adapts one kind of hardware (through frontdesk.drivers) to events: it records facts in
the journal and handles the command types it owns. It never talks to MQTT or to central: the
uplink carries its events and delivers its commands.

Each entry below is `section name -> (config model, service factory)`, both as "module:attr", so
that the agent imports only the services a site configures. A service runs when its section is
present in the edge's TOML file; the factory is called as factory(section_config, context).
"""
from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from .commands import CommandHandlers

if TYPE_CHECKING:
    from .access.service import AccessService
    from .journal import Journal
    from .privacy.base import PersonalData

SERVICES: dict[str, tuple[str, str]] = {
    "phone": ("frontdesk.edge.phone.config:PhoneConfig", "frontdesk.edge.phone.service:PhoneService"),
    "transcribe": ("frontdesk.edge.transcribe.config:TranscribeConfig", "frontdesk.edge.transcribe.service:factory"),
    "access": ("frontdesk.edge.access.config:AccessConfig", "frontdesk.edge.access.service:AccessService"),
    "kiosk": ("frontdesk.kiosk_ui.config:KioskConfig", "frontdesk.kiosk_ui.service:KioskService"),
    "printer": ("frontdesk.edge.printing.config:PrintingConfig", "frontdesk.edge.printing.service:PrintingService"),
}


def _resolve(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def section_models() -> dict[str, type[BaseModel]]:
    """Each service section's config model, by section name."""
    return {name: _resolve(model) for name, (model, _) in SERVICES.items()}


class LiveSink(Protocol):
    """One message streamed to a transcriber while it is recorded."""

    def write(self, data: bytes) -> None:
        """Raw sample bytes as recorded; never raises."""

    def close(self) -> None:
        """The message is complete."""

    def abort(self) -> None:
        """No message after all."""


class LiveTranscriber(Protocol):
    """What the phone service needs of a transcriber: a stream per message being recorded."""

    def open_live(self, *, call_id: str | None, path: str | Path | None, codec: str, rate: int,
                  language: str | None = None) -> LiveSink:
        """Start streaming one message to the recogniser; never raises."""


@dataclass
class EdgeContext:
    """What the agent hands each service.

    Services that need each other find typed references here, set by the service that provides
    them when it is built (all services are built before any starts); everything else between
    services goes through the journal.
    """

    journal: Journal
    site: str
    device: str
    tz: str
    country: str
    data_dir: Path
    # The site's name for people (the [site] name), e.g. on the kiosk screens.
    site_name: str = ""
    stopping: threading.Event = field(default_factory=threading.Event)
    # Command types this edge applies: `ctx.commands.on(PayloadModel, handler)`.
    commands: CommandHandlers = field(default_factory=CommandHandlers)
    # Set by the transcription service: the phone streams each message to it as it is recorded.
    transcriber: LiveTranscriber | None = None
    # Set by the access service: the kiosk and gate screens show and feed its decisions.
    access: AccessService | None = None
    # Stores of residents' personal data, each added by the service that owns it; the privacy
    # service (built after every other) erases and expires through them (edge/privacy/base.py).
    personal_data: list[PersonalData] = field(default_factory=list)

    def logger(self, name: str) -> logging.Logger:
        """The logger of one service."""
        return logging.getLogger(f"frontdesk.edge.{name}")


class EdgeService(Protocol):
    """What the agent asks of a device service: a name, start() and stop()."""
    name: str

    def start(self) -> None:
        """Start threads and return; failures of the hardware are events and retries, not raises."""

    def stop(self) -> None:
        """Stop and release the hardware; called once, from the agent's shutdown."""


def build_services(sections: dict[str, BaseModel], ctx: EdgeContext) -> list[EdgeService]:
    """Build (not start) the configured services, in the order SERVICES lists them."""
    return [_resolve(SERVICES[name][1])(cfg, ctx) for name, cfg in sections.items()]
