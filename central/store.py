"""The central store: idempotent event ingest, quarantine, and commands to edges.

Ingest takes a batch of MQTT messages and, in ONE transaction: validates every item, inserts the
good events with INSERT ... ON CONFLICT DO NOTHING (a resend is a no-op), keeps everything else in
`quarantine` with the reason, and runs the projections (read models such as command delivery
state) over the events that were new. Only after the commit does the caller PUBACK the messages
and send the edges their acks, so an acknowledged event is always on central's disk.
"""
from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk import topics
from frontdesk.schema import (
    Command,
    Event,
    Payload,
    SchemaError,
    decode_batch,
    make_command,
    validate_event,
)
from frontdesk.schema.system import CommandApplied
from frontdesk.signing import CommandSigner

from .db import engine_for, migrate
from .tables import commands, events, quarantine

log = logging.getLogger(__name__)

# Quarantined payloads larger than this keep only their head: the reason says how large they were.
QUARANTINE_KEEP_BYTES = 256 * 1024

# A projection folds new events into read models inside the ingest transaction; it returns the
# events it wrote itself in that transaction (the ticket rules' ticket.opened ...), if any, so the
# listeners hear of them too.
Projection = Callable[[Connection, list[Event]], "list[Event] | None"]
Listener = Callable[[list[Event]], None]


@dataclass
class IngestResult:
    """What one ingest batch did: per (site, device) the event ids to acknowledge and those
    quarantined, and how many were inserted, duplicates, rejected."""
    # (site, device) -> event ids committed (new or already there): what each edge may forget
    acks: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    # (site, device) -> event ids kept in quarantine
    quarantined: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


def _project_command_acks(conn: Connection, new_events: list[Event]) -> None:
    for event in new_events:
        if event.type != CommandApplied.TYPE:
            continue
        p = event.payload_as(CommandApplied)
        conn.execute(update(commands).where(commands.c.id == p.command_id, commands.c.site == event.site,
                                            commands.c.device == event.device)
                     .values(state="delivered" if p.status == "applied" else "rejected",
                             acked_at=event.occurred_at, detail=p.detail, result=p.result))


class Store:
    """The central database (SQLite or PostgreSQL, migrated on open unless told not to), with the
    projections run inside ingest and the listeners told after each ingest commits."""
    def __init__(self, url: str, *, run_migrations: bool = True) -> None:
        self.url = url
        self.engine: Engine = engine_for(url)
        if run_migrations:
            migrate(self.engine)
        self.backend = self.engine.dialect.name
        # Projections run inside the ingest transaction (read models stay consistent with events);
        # listeners run after the commit (live screens), and must not raise or block for long.
        self.projections: list[Projection] = [_project_command_acks]
        self.listeners: list[Listener] = []

    def close(self) -> None:
        self.engine.dispose()

    # -- ingest ----------------------------------------------------------------------------------

    def _insert(self, table):
        return (postgresql.insert(table) if self.backend == "postgresql" else sqlite.insert(table))

    def ingest(self, messages: Iterable[tuple[str, bytes]]) -> IngestResult:
        """Validate and commit a batch of (topic, payload) messages; see the module docstring."""
        result = IngestResult()
        good: dict[str, Event] = {}
        bad: list[dict[str, Any]] = []
        now = _now()
        for topic_name, payload in messages:
            self._sort(topic_name, payload, now, good, bad, result)
        with self.engine.begin() as conn:
            new_ids: set[str] = set()
            rows = [event_row(e, now) for e in good.values()]
            if rows:
                # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs
                # ("insertmanyvalues") from one cached statement, and returns only the new ids.
                stmt = self._insert(events).on_conflict_do_nothing(index_elements=["id"]).returning(events.c.id)
                new_ids.update(conn.execute(stmt, rows).scalars())
            if bad:
                conn.execute(self._insert(quarantine).on_conflict_do_nothing(), bad)
            new_events = [e for e in good.values() if e.id in new_ids]
            derived: list[Event] = []
            for projection in self.projections:
                derived.extend(projection(conn, new_events) or ())
        new_events += derived
        for listener in self.listeners:
            try:
                listener(new_events)
            except Exception:
                log.exception("ingest: a listener failed (the events are committed)")
        result.inserted = len(new_ids)
        result.duplicates = len(good) - len(new_ids)
        for event in good.values():
            result.acks[(event.site, event.device)].append(event.id)
        if bad:
            log.warning("ingest: %d item(s) quarantined: %s", len(bad), "; ".join(b["reason"][:120] for b in bad[:3]))
        return result

    def _sort(self, topic_name: str, payload: bytes, now: datetime, good: dict[str, Event],
              bad: list[dict[str, Any]], result: IngestResult) -> None:
        def reject(reason: str, raw: bytes, event_id: str | None = None) -> None:
            result.rejected += 1
            bad.append({"received_at": now, "topic": topic_name[:300], "event_id": event_id,
                        "reason": reason, "size": len(raw), "raw": bytes(raw[:QUARANTINE_KEEP_BYTES])})
            if event_id and where:
                result.quarantined[where[:2]].append(event_id)

        where = topics.parse(topic_name)
        if where is None or where[2] != topics.EVENTS:
            reject("not a frontdesk events topic", payload)
            return
        site, device, _ = where
        try:
            items = decode_batch(payload)
        except SchemaError as err:
            reject(str(err), payload)
            return
        for item in items:
            raw = json.dumps(item, ensure_ascii=False).encode() if not isinstance(item, bytes) else item
            item_id = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
            item_id = item_id[:64] if item_id else None
            try:
                event = validate_event(item)
            except SchemaError as err:
                reject(str(err), raw, item_id)
                continue
            if (event.site, event.device) != (site, device):
                # A device may only speak for itself: the topic (which the broker's ACL ties to the
                # client's login) must name the same site and device as the event.
                reject(f"identity mismatch: event is from {event.site}/{event.device} but arrived on "
                       f"{site}/{device}'s topic", raw, item_id)
                continue
            good.setdefault(event.id, event)

    # -- commands ----------------------------------------------------------------------------------

    # Who signs commands (central/command_keys.py attaches the keyring named in [central]) and how
    # long a command stays valid. The dispatcher resends the stored body as it is, so a resend keeps
    # its signature and expiry: the validity must outlast an edge that is offline for a while (see
    # CentralConfig.command_valid_h). Without a signer (tools, tests of central alone) commands are
    # stored unsigned, and every edge refuses them.
    command_signer: CommandSigner | None = None
    command_valid_for: timedelta = timedelta(days=7)

    def create_command(self, site: str, device: str, payload: Payload, *,
                       signer: CommandSigner | None = None) -> Command:
        """Validate, sign (with `signer`, else the store's) and store a command (state pending); the
        dispatcher sends it."""
        command = make_command(payload, site=site, device=device, valid_for=self.command_valid_for)
        signer = signer or self.command_signer
        if signer is not None:
            command = signer.sign(command)
        with self.engine.begin() as conn:
            conn.execute(commands.insert().values(
                id=command.id, site=site, device=device, type=command.type, body=command.to_wire(), state="pending",
                created_at=command.issued_at, attempts=0))
        return command

    def due_commands(self, retry_after_s: float, limit: int = 200) -> list[dict[str, Any]]:
        """Pending commands never sent, or last sent over `retry_after_s` seconds ago, oldest first
        (as stored rows, with the wire `body`)."""
        cutoff = _now() - timedelta(seconds=retry_after_s)
        with self.engine.connect() as conn:
            rows = conn.execute(select(commands).where(
                commands.c.state == "pending",
                (commands.c.last_sent_at.is_(None)) | (commands.c.last_sent_at < cutoff))
                .order_by(commands.c.created_at).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def mark_sent(self, command_ids: list[str]) -> None:
        """Count one more attempt for each of these commands and note when it was sent."""
        if not command_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(update(commands).where(commands.c.id.in_(command_ids))
                         .values(attempts=commands.c.attempts + 1, last_sent_at=_now()))

    def list_commands(self, *, state: str | None = None, sites: tuple[str, ...] | None = None,
                      device: str | None = None, type_: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Commands, newest first; `sites` None = every site."""
        q = select(commands).order_by(commands.c.created_at.desc()).limit(limit)
        if sites is not None:
            q = q.where(commands.c.site.in_(sites))
        for col, value in ((commands.c.state, state), (commands.c.device, device), (commands.c.type, type_)):
            if value is not None:
                q = q.where(col == value)
        with self.engine.connect() as conn:
            return [_command_view(r) for r in conn.execute(q).mappings()]

    def get_command(self, command_id: str) -> dict[str, Any] | None:
        """One command as list_commands shows it, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(commands).where(commands.c.id == command_id)).mappings().first()
        return _command_view(row) if row else None

    # -- reading -------------------------------------------------------------------------------------

    def list_events(self, *, site: str | None = None, device: str | None = None, type_: str | None = None,
                    after_seq: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Stored events with seq > `after_seq` that match the filters given, ordered by site, device and
        seq, at most `limit`."""
        q = select(events).where(events.c.seq > after_seq).order_by(events.c.site, events.c.device, events.c.seq)
        for col, value in ((events.c.site, site), (events.c.device, device), (events.c.type, type_)):
            if value is not None:
                q = q.where(col == value)
        with self.engine.connect() as conn:
            return [_event_view(r) for r in conn.execute(q.limit(limit)).mappings()]

    def count_events(self, **where: str) -> int:
        """How many stored events have these column values (e.g. site=..., device=...)."""
        q = select(func.count()).select_from(events)
        for key, value in where.items():
            q = q.where(events.c[key] == value)
        with self.engine.connect() as conn:
            return conn.execute(q).scalar_one()

    def event_ids(self, site: str, device: str) -> list[str]:
        """The ids of one device's stored events, in seq order."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(events.c.id).where(events.c.site == site, events.c.device == device)
                                     .order_by(events.c.seq)).scalars())

    def list_quarantine(self, limit: int = 100) -> list[dict[str, Any]]:
        """What ingest could not accept, newest first: id, received_at, topic, event_id, reason, size
        (not the body)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(quarantine.c.id, quarantine.c.received_at, quarantine.c.topic,
                                       quarantine.c.event_id, quarantine.c.reason, quarantine.c.size)
                                .order_by(quarantine.c.id.desc()).limit(limit)).mappings().all()
        return [{**dict(r), "received_at": _iso(r["received_at"])} for r in rows]


def event_row(event: Event, now: datetime) -> dict[str, Any]:
    """The `events` table row of `event`, received at `now`."""
    return {"id": event.id, "site": event.site, "device": event.device, "seq": event.seq, "type": event.type,
            "schema_version": event.schema_version, "occurred_at": event.occurred_at, "tz": event.tz,
            "received_at": now, "payload": event.payload}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _event_view(row) -> dict[str, Any]:
    return {"id": row["id"], "site": row["site"], "device": row["device"], "seq": row["seq"], "type": row["type"],
            "schema_version": row["schema_version"], "occurred_at": _iso(row["occurred_at"]), "tz": row["tz"],
            "received_at": _iso(row["received_at"]), "payload": row["payload"]}


def _command_view(row) -> dict[str, Any]:
    return {"id": row["id"], "site": row["site"], "device": row["device"], "type": row["type"],
            "payload": row["body"]["payload"], "state": row["state"], "attempts": row["attempts"],
            "created_at": _iso(row["created_at"]), "last_sent_at": _iso(row["last_sent_at"]),
            "acked_at": _iso(row["acked_at"]), "detail": row["detail"], "result": row["result"]}
