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

if TYPE_CHECKING:
    from .journal import CommandHandler, Journal

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
    return {name: _resolve(model) for name, (model, _) in SERVICES.items()}


@dataclass
class EdgeContext:
    """What the agent hands each service."""

    journal: Journal
    site: str
    device: str
    tz: str
    country: str
    data_dir: Path
    stopping: threading.Event = field(default_factory=threading.Event)
    command_handlers: dict[str, CommandHandler] = field(default_factory=dict)
    # Services may share read-only facts with each other (e.g. the resident directory).
    shared: dict[str, Any] = field(default_factory=dict)

    def handle_command(self, command_type: str, handler: CommandHandler) -> None:
        """Own a command type: `handler(db, payload)` runs inside the journal transaction."""
        if command_type in self.command_handlers:
            raise ValueError(f"command type {command_type!r} already has a handler")
        self.command_handlers[command_type] = handler

    def logger(self, name: str) -> logging.Logger:
        return logging.getLogger(f"frontdesk.edge.{name}")


class EdgeService(Protocol):
    name: str

    def start(self) -> None:
        """Start threads and return; failures of the hardware are events and retries, not raises."""

    def stop(self) -> None:
        """Stop and release the hardware; called once, from the agent's shutdown."""


def build_services(sections: dict[str, BaseModel], ctx: EdgeContext) -> list[EdgeService]:
    return [_resolve(SERVICES[name][1])(cfg, ctx) for name, cfg in sections.items()]
