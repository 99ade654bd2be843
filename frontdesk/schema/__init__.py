"""The one contract between edge and central: events up, commands down.

Both sides validate with these same models. A payload module per domain registers its event and
command types (system.py here; later call, visitor, print... modules beside it).
"""
from .envelope import (
    MAX_BATCH_BYTES,
    MAX_EVENT_BYTES,
    SCHEMA_VERSION,
    Command,
    Event,
    SchemaError,
    command_types,
    decode_batch,
    encode_batch,
    event_types,
    make_command,
    make_event,
    register_command,
    register_event,
    validate_command,
    validate_event,
)
from . import system  # noqa: F401  (registers the system event and command types)

__all__ = [
    "MAX_BATCH_BYTES", "MAX_EVENT_BYTES", "SCHEMA_VERSION", "Command", "Event", "SchemaError",
    "command_types", "decode_batch", "encode_batch", "event_types", "make_command", "make_event",
    "register_command", "register_event", "validate_command", "validate_event",
]
