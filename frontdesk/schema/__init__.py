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
    Payload,
    SchemaError,
    command_types,
    decode_batch,
    decode_json,
    encode_batch,
    event_types,
    make_command,
    make_event,
    parse_command_payload,
    parse_event_payload,
    register_command,
    register_event,
    validate_command,
    validate_event,
)


def _register_domains() -> None:
    # Every other module in this package declares one domain's payloads (system, call, print...)
    # and registers them on import; loading them all here means edge and central always agree.
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if info.name != "envelope":
            importlib.import_module(f"{__name__}.{info.name}")


_register_domains()

__all__ = [
    "MAX_BATCH_BYTES", "MAX_EVENT_BYTES", "SCHEMA_VERSION", "Command", "Event", "SchemaError",
    "command_types", "decode_batch", "decode_json", "encode_batch", "event_types", "make_command", "make_event",
    "Payload",
    "parse_command_payload", "parse_event_payload",
    "register_command", "register_event", "validate_command", "validate_event",
]
