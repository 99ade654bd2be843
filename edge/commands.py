"""Command handlers of one edge, registered by payload class.

A service owns a command type by registering its payload model and a handler:

    ctx.commands.on(PrintSlip, self._on_slip)      # _on_slip(db, payload: PrintSlip) -> dict | None

The journal applies a command inside the transaction that records its acknowledgement
(`Journal.apply_command(command, ctx.commands)`), handing the handler the journal's connection and
the payload already parsed into the registered model, so a handler never reads string keys.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from frontdesk.schema import Command, Payload, command_types

P = TypeVar("P", bound=Payload)

# What a handler returns is the `result` of the command.applied acknowledgement.
CommandResult = dict[str, Any] | None
CommandHandler = Callable[[sqlite3.Connection, Any], CommandResult]
BoundHandler = Callable[[sqlite3.Connection], CommandResult]


class CommandHandlers:
    """The command types this edge applies, each with its payload model and one handler."""

    def __init__(self) -> None:
        self._by_type: dict[str, tuple[type[Payload], CommandHandler]] = {}

    def on(self, model: type[P], handler: Callable[[sqlite3.Connection, P], CommandResult]) -> None:
        """Own the command type of `model`; a second owner is a wiring error."""
        if command_types().get(model.TYPE) is not model:
            raise ValueError(f"{model.__name__} is not a registered command payload")
        if model.TYPE in self._by_type:
            raise ValueError(f"command type {model.TYPE!r} already has a handler")
        self._by_type[model.TYPE] = (model, handler)

    def types(self) -> list[str]:
        """The command types handled here, sorted."""
        return sorted(self._by_type)

    def bind(self, command: Command) -> BoundHandler | None:
        """The handler for `command` with its typed payload, or None when nobody owns its type.

        The payload is parsed when the bound handler runs, so a payload the model refuses is
        that command's rejection, not the caller's exception.
        """
        entry = self._by_type.get(command.type)
        if entry is None:
            return None
        model, handler = entry
        return lambda db: handler(db, command.payload_as(model))


__all__ = ["BoundHandler", "CommandHandler", "CommandHandlers", "CommandResult"]
