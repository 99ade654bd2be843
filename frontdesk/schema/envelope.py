"""Event and command envelopes, the payload registries and the wire encoding."""
from __future__ import annotations

import builtins
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..ids import is_uuid7, new_id
from ..topics import ID_PATTERN

SCHEMA_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
# One event must fit comfortably in a batch; larger facts (audio, images) travel as references.
MAX_EVENT_BYTES = 64 * 1024
MAX_BATCH_BYTES = 1024 * 1024
# Nesting deeper than this is refused before json.loads sees it: deeper documents would hit
# RecursionError in the decoder, in pydantic or in json.dumps, and no real event nests past ~10.
MAX_JSON_DEPTH = 64
# Times outside [MIN_TIME, MAX_TIME) are refused: no real event or command is that old or that far
# ahead, and near datetime's own limits converting an offset to UTC overflows (year 9999 at -05:00).
MIN_TIME = datetime(2000, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2200, 1, 1, tzinfo=UTC)
# seq lands in a signed 64-bit column on both backends.
MAX_SEQ = 2**63 - 1

TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"

_EVENT_PAYLOADS: dict[str, type[BaseModel]] = {}
_COMMAND_PAYLOADS: dict[str, type[BaseModel]] = {}

M = TypeVar("M", bound="type[Payload]")
P = TypeVar("P", bound="Payload")


class SchemaError(ValueError):
    """An event, command or batch that does not match the contract; the message says why."""


def _register(table: dict[str, type[BaseModel]], kind: str, name: str) -> Callable[[M], M]:
    if not re.match(TYPE_PATTERN, name):
        raise ValueError(f"{kind} type {name!r} must look like 'domain.what'")

    def decorate(model: M) -> M:
        if name in table and table[name] is not model:
            raise ValueError(f"{kind} type {name!r} is registered twice")
        if "TYPE" in model.__dict__:
            raise ValueError(f"{model.__name__} is already the payload of {model.TYPE!r}")
        table[name] = model
        # The type name is spelled once, here; code everywhere else says `CallRinging.TYPE`.
        model.TYPE = name
        return model

    return decorate


def register_event(name: str) -> Callable[[M], M]:
    """Class decorator: `model` is the payload of events of type `name`."""
    return _register(_EVENT_PAYLOADS, "event", name)


def register_command(name: str) -> Callable[[M], M]:
    """Class decorator: `model` is the payload of commands of type `name`."""
    return _register(_COMMAND_PAYLOADS, "command", name)


def event_types() -> dict[str, type[BaseModel]]:
    """A copy of the event registry: event type name -> payload model."""
    return dict(_EVENT_PAYLOADS)


def command_types() -> dict[str, type[BaseModel]]:
    """A copy of the command registry: command type name -> payload model."""
    return dict(_COMMAND_PAYLOADS)


def parse_event_payload(type_: str, data: Any) -> Payload:
    """A payload that arrived as a type name and a dict (a form, a file, the wire), as its model."""
    return _parse(_EVENT_PAYLOADS, "event", type_, data)


def parse_command_payload(type_: str, data: Any) -> Payload:
    """A command payload that arrived as a type name and a dict (an HTTP body, a file), as its model."""
    return _parse(_COMMAND_PAYLOADS, "command", type_, data)


class Payload(BaseModel):
    """Base for payload models: unknown fields are an error, values are immutable.

    A registered payload class knows its own type name (`TYPE`), so events and commands are made
    from the model alone: `journal.record(CallRinging(...))`, `make_command(DirectoryReplace(...))`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    TYPE: ClassVar[str]


def _parse(table: dict[str, type[BaseModel]], kind: str, type_: str, data: Any,
           model: type[P] | None = None) -> P:
    """`data` as the payload model of `type_` (or as `model`, which must be that type's)."""
    registered = table.get(type_)
    if registered is None:
        raise SchemaError(f"unknown {kind} type {type_!r}")
    if model is not None and registered is not model:
        raise SchemaError(f"{kind} {type_} does not carry a {model.__name__} payload")
    try:
        return registered.model_validate(data)  # type: ignore[return-value]
    except ValidationError as err:
        raise SchemaError(f"{kind} {type_} payload: {_describe(err)}") from None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a UTC offset")
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        # pydantic only turns ValueError into a validation error; an OverflowError would escape.
        raise ValueError(f"must lie between {MIN_TIME:%Y-%m-%d} and {MAX_TIME:%Y-%m-%d} (UTC)") from None
    if not MIN_TIME <= utc < MAX_TIME:
        raise ValueError(f"must lie between {MIN_TIME:%Y-%m-%d} and {MAX_TIME:%Y-%m-%d} (UTC)")
    return utc


def _check_tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    _KIND: ClassVar[str]
    _TABLE: ClassVar[dict[str, type[BaseModel]]]

    id: str
    type: str = Field(pattern=TYPE_PATTERN, max_length=64)
    # Whole numbers on the wire, not "7" or true: lax parsing would store what the edge never sent.
    schema_version: int = Field(strict=True)
    site: str = Field(pattern=f"^{ID_PATTERN}$")
    device: str = Field(pattern=f"^{ID_PATTERN}$")
    payload: dict[str, Any]

    @field_validator("id")
    @classmethod
    def _id_is_uuid7(cls, value: str) -> str:
        if not is_uuid7(value):
            raise ValueError("must be a UUIDv7 in canonical form")
        return value

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value not in SUPPORTED_VERSIONS:
            raise ValueError(f"schema version {value} is not supported (supported: {sorted(SUPPORTED_VERSIONS)})")
        return value

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def payload_as(self, model: builtins.type[P]) -> P:  # `type` is a field's name in this class
        """The payload as `model`; SchemaError if this event or command is not of `model`'s type."""
        return _parse(self._TABLE, self._KIND, self.type, self.payload, model)

    def typed_payload(self) -> Payload:
        """The payload as whatever model its type registered (for dispatch by class)."""
        return _parse(self._TABLE, self._KIND, self.type, self.payload)


class Event(_Envelope):
    """An immutable fact observed at an edge.

    `seq` is the edge journal's own order (1, 2, 3 ... per device): central orders a device's
    events by it. `occurred_at` is UTC; `tz` is the site's zone, for showing local time.
    """

    _KIND = "event"
    _TABLE = _EVENT_PAYLOADS

    seq: int = Field(ge=1, le=MAX_SEQ, strict=True)
    occurred_at: datetime
    tz: str

    @field_validator("occurred_at")
    @classmethod
    def _occurred_utc(cls, value: datetime) -> datetime:
        return _utc(value)

    @field_validator("tz")
    @classmethod
    def _known_tz(cls, value: str) -> str:
        return _check_tz(value)


class Command(_Envelope):
    """An instruction from central to one edge; applied at most once there (by id).

    Central signs every command (frontdesk/signing.py): `key_id` names the Ed25519 key, `signature`
    covers id, type, site, device, issued_at, expires_at and payload. The three fields are optional
    here so that an edge can parse an unsigned or expiry-less command and refuse it with that reason.
    """

    _KIND = "command"
    _TABLE = _COMMAND_PAYLOADS

    issued_at: datetime
    expires_at: datetime | None = None
    key_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{8,64}$")
    # base64 of the 64-byte Ed25519 signature (88 characters); a little slack, no more
    signature: str | None = Field(default=None, max_length=100)

    @field_validator("issued_at", "expires_at")
    @classmethod
    def _times_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _utc(value)

    @classmethod
    def parse_envelope(cls, raw: Any) -> Command:
        """The envelope of a command as received, its payload NOT yet checked against its type (an edge
        verifies the signature first, so a payload it cannot use is that authentic command's rejection).
        SchemaError says what is wrong."""
        if not isinstance(raw, dict):
            raise SchemaError(f"command: must be a JSON object, not {type(raw).__name__}")
        try:
            return cls.model_validate(raw)
        except ValidationError as err:
            raise SchemaError(f"command envelope: {_describe(err)}") from None


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(root)"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)


E = TypeVar("E", bound=_Envelope)


def _validate(envelope: type[E], raw: Any) -> E:
    kind = envelope._KIND
    if not isinstance(raw, dict):
        raise SchemaError(f"{kind}: must be a JSON object, not {type(raw).__name__}")
    try:
        item = envelope.model_validate(raw)
    except ValidationError as err:
        raise SchemaError(f"{kind} envelope: {_describe(err)}") from None
    item.typed_payload()
    return item


def validate_event(raw: Any) -> Event:
    """Validate an event as received (a dict from JSON); SchemaError says what is wrong."""
    return _validate(Event, raw)


def validate_command(raw: Any) -> Command:
    """Validate a command as received (a dict from JSON); SchemaError says what is wrong."""
    return _validate(Command, raw)


def _registered(table: dict[str, type[BaseModel]], kind: str, payload: Payload) -> str:
    type_ = getattr(type(payload), "TYPE", None)
    if type_ is None or table.get(type_) is not type(payload):
        raise SchemaError(f"{type(payload).__name__} is not a registered {kind} payload")
    return type_


def make_event(payload: Payload, *, site: str, device: str, seq: int, tz: str,
               occurred_at: datetime | None = None, event_id: str | None = None) -> Event:
    """Build and validate a new event (the journal calls this; it assigns `seq`)."""
    type_ = _registered(_EVENT_PAYLOADS, "event", payload)
    data = payload.model_dump(mode="json")
    try:
        event = Event(id=event_id or new_id(), type=type_, schema_version=SCHEMA_VERSION, site=site,
                      device=device, seq=seq, occurred_at=occurred_at or datetime.now(UTC),
                      tz=tz, payload=data)
    except ValidationError as err:
        raise SchemaError(f"event envelope: {_describe(err)}") from None
    if len(encode_event(event)) > MAX_EVENT_BYTES:
        raise SchemaError(f"event {type_} is larger than {MAX_EVENT_BYTES} bytes")
    return event


def make_command(payload: Payload, *, site: str, device: str, command_id: str | None = None,
                 valid_for: timedelta | None = None) -> Command:
    """A command envelope for `payload` (new UUIDv7 id unless `command_id` is given, issued now,
    UTC, expiring `valid_for` later when given), not yet signed (frontdesk.signing.sign_command);
    SchemaError if the payload type is not registered or the envelope does not validate."""
    type_ = _registered(_COMMAND_PAYLOADS, "command", payload)
    data = payload.model_dump(mode="json")
    issued_at = datetime.now(UTC)
    expires_at = issued_at + valid_for if valid_for is not None else None
    try:
        return Command(id=command_id or new_id(), type=type_, schema_version=SCHEMA_VERSION, site=site,
                       device=device, issued_at=issued_at, expires_at=expires_at, payload=data)
    except ValidationError as err:
        raise SchemaError(f"command envelope: {_describe(err)}") from None


def encode_event(event: Event) -> bytes:
    """The event's wire form as compact UTF-8 JSON."""
    return json.dumps(event.to_wire(), ensure_ascii=False, separators=(",", ":")).encode()


def encode_batch(items: list[dict[str, Any]] | list[bytes]) -> bytes:
    """A batch on the wire: {"v":1,"items":[...]} as UTF-8 JSON. Items may be pre-encoded."""
    if items and isinstance(items[0], (bytes, bytearray)):
        body = b",".join(items)
        return b'{"v":1,"items":[' + body + b"]}"
    return json.dumps({"v": 1, "items": items}, ensure_ascii=False, separators=(",", ":")).encode()


# A JSON string (closed or running to the end of the input: the pattern always matches from a quote
# on, so a scan never backtracks over the same bytes twice), for blanking strings out of a depth scan.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+"?')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(data: bytes) -> int:
    """How deep `data` nests arrays and objects, found without parsing it (linear, C-speed scans
    except the last loop over the brackets alone). Malformed input can only be over-estimated."""
    skeleton = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in skeleton:
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    break  # deep enough to refuse; no need to read on
        else:
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def decode_json(data: bytes, *, limit: int = MAX_BATCH_BYTES, what: str = "message") -> Any:
    """`data` as JSON, refusing with SchemaError (never anything else) what is too large, nested
    deeper than MAX_JSON_DEPTH, not UTF-8, not JSON, or holds numbers no store can keep (NaN,
    Infinity, a float that overflows, an integer of over 4300 digits)."""
    if not isinstance(data, (bytes, bytearray)):
        raise SchemaError(f"{what} must be bytes, not {type(data).__name__}")
    if len(data) > limit:
        raise SchemaError(f"{what} of {len(data)} bytes exceeds the {limit}-byte limit")
    if json_depth(bytes(data)) > MAX_JSON_DEPTH:
        raise SchemaError(f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float)
    except UnicodeDecodeError as err:
        raise SchemaError(f"{what} is not UTF-8 JSON: {err}") from None
    except (ValueError, RecursionError) as err:  # JSONDecodeError is a ValueError; so are huge ints
        raise SchemaError(f"{what} is not usable JSON: {str(err)[:200]}") from None


def decode_batch(data: bytes) -> list[Any]:
    """The raw items of a batch; SchemaError if the batch itself is unreadable, oversized, too deep
    or not of the batch shape."""
    doc = decode_json(data, what="batch")
    if not isinstance(doc, dict) or doc.get("v") != 1 or not isinstance(doc.get("items"), list):
        raise SchemaError('batch must be {"v": 1, "items": [...]}')
    return doc["items"]
