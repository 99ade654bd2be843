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
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, false, func, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk import topics
from frontdesk.schema import (
    Command,
    Event,
    Payload,
    SchemaError,
    decode_batch,
    make_command,
    make_event,
    validate_event,
)
from frontdesk.schema.envelope import encode_event
from frontdesk.schema.system import CommandApplied, QuarantineFlooded
from frontdesk.signing import CommandSigner

from .db import engine_for, migrate
from .tables import commands, events, quarantine, quarantine_quota

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


@dataclass(frozen=True)
class QuarantineQuota:
    """How much quarantine one sending device may fill per window (central TOML [central]
    quarantine_*): past `per_device`, its rejects are counted, every `sample_every`-th is kept,
    and one quarantine.flooded event is written per window."""
    per_device: int = 1000
    window_s: float = 3600.0
    sample_every: int = 100


# The device name central's quarantine.flooded alarms are written under, in the flooding site.
QUARANTINE_DEVICE = "central-quarantine"
# A NUL character in the JSON text (an odd run of backslashes before u0000): PostgreSQL text cannot
# hold it, so an event carrying one could never be projected.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def database_unavailable(err: BaseException) -> bool:
    """True if `err` means the database is away or busy (retry later), False if it refused what a
    statement carried (content: quarantine it). Only the first may pause ingest."""
    if isinstance(err, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True
    if isinstance(err, sa_exc.DBAPIError) and err.connection_invalidated:
        return True
    if isinstance(err, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        # PostgreSQL class 54 (program limit exceeded, e.g. a value too large to index) is content.
        return not str(getattr(err.orig, "sqlstate", "") or "").startswith("54")
    return False


def _clean(text: str, limit: int) -> str:
    """`text` as something every text column can hold: no NUL, no unpaired surrogate, bounded."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")[:limit]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite drops the offset


def _sender(topic_name: Any) -> tuple[str, str]:
    """(site, device) as a topic's levels name them, however malformed, for the quota."""
    levels = topic_name.split("/") if isinstance(topic_name, str) else []
    if len(levels) >= 4:
        return _clean(levels[2], 64) or "?", _clean(levels[3], 64) or "?"
    return "?", "?"


def _quarantine_row(now: datetime, topic_name: Any, sender: tuple[str, str], event_id: str | None, reason: str,
                    raw: bytes) -> dict[str, Any]:
    return {"received_at": now, "topic": _clean(str(topic_name), 300), "sender": sender,
            "event_id": _clean(event_id, 64) if event_id else None, "reason": _clean(reason, 2000),
            "size": len(raw), "raw": bytes(raw[:QUARANTINE_KEEP_BYTES])}


def _item_id(item: Any) -> str | None:
    value = item.get("id") if isinstance(item, dict) else None
    return value[:64] if isinstance(value, str) and value else None


def _item_bytes(item: Any) -> bytes:
    """An item's bytes for the quarantine, whatever it holds (it may not survive UTF-8 encoding)."""
    try:
        return json.dumps(item, ensure_ascii=False).encode()
    except (ValueError, TypeError, RecursionError):
        return json.dumps(item).encode()  # ASCII escapes carry what UTF-8 cannot


def _unstorable(item: Any) -> tuple[str | None, bytes]:
    """(why the database could not hold `item`, or None; its bytes): text that is not valid
    Unicode or holds NUL would pass validation and fail in the database or the projections."""
    try:
        text = json.dumps(item, ensure_ascii=False)
        raw = text.encode()
    except UnicodeEncodeError:
        return "holds text that is not valid Unicode (an unpaired surrogate)", json.dumps(item).encode()
    if _NUL_ESCAPE.search(text):
        return "holds a NUL character, which no text column can store", raw
    return None, raw


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
    def __init__(self, url: str, *, run_migrations: bool = True, quota: QuarantineQuota | None = None) -> None:
        self.url = url
        self.quota = quota or QuarantineQuota()
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
        """Validate and commit a batch of (topic, payload) messages; see the module docstring.

        Nothing a message holds makes this raise: an item that fails anywhere (decoding,
        validation, the database or a projection refusing it) is quarantined with the reason and
        the rest go in. It raises only when the database is unavailable (`database_unavailable`),
        having committed nothing the caller must not retry.
        """
        result = IngestResult()
        good: dict[str, Event] = {}
        bad: list[dict[str, Any]] = []
        now = _now()
        for topic_name, payload in messages:
            self._sort(topic_name, payload, now, good, bad, result)
        try:
            with self.engine.begin() as conn:
                new_events = self._commit(conn, list(good.values()), bad, now)
        except Exception as err:
            if database_unavailable(err):
                raise
            # Something an item holds made the database or a projection refuse the whole batch:
            # commit it in halves until the items at fault are found and quarantined alone.
            log.warning("ingest: the batch was refused (%s: %s); committing it in parts",
                        type(err).__name__, str(err)[:200])
            new_events = self._commit_in_parts(good, bad, now, result)
        self._tell(new_events)
        new_ids = {e.id for e in new_events}
        result.inserted = sum(1 for e in good.values() if e.id in new_ids)
        result.duplicates = len(good) - result.inserted
        for event in good.values():
            result.acks[(event.site, event.device)].append(event.id)
        self._drop_stored_from_quarantined(result, good)
        if bad:
            log.warning("ingest: %d item(s) quarantined: %s", len(bad), "; ".join(b["reason"][:120] for b in bad[:3]))
        return result

    def quarantine(self, topic_name: str, payload: bytes, reason: str) -> None:
        """Keep one whole message in quarantine with `reason` (subject to the sender's quota); for a
        message the ingest could not handle at all. Raises only if the database is unavailable."""
        now = _now()
        row = _quarantine_row(now, topic_name, _sender(topic_name), None, reason, payload)
        with self.engine.begin() as conn:
            alarms = self._store_rejects(conn, [row], now)
        self._tell(alarms)

    def quarantine_state(self, site: str, device: str) -> dict[str, Any] | None:
        """The quota bookkeeping of one sender: window_start, count and kept (this window), total
        and alarms (ever); None if it never sent anything quarantined."""
        with self.engine.connect() as conn:
            row = conn.execute(select(quarantine_quota).where(quarantine_quota.c.site == site,
                                                              quarantine_quota.c.device == device)).mappings().first()
        return {**dict(row), "window_start": _iso(row["window_start"])} if row else None

    def _tell(self, new_events: list[Event]) -> None:
        for listener in self.listeners:
            try:
                listener(new_events)
            except Exception:
                log.exception("ingest: a listener failed (the events are committed)")

    def _commit(self, conn: Connection, good: list[Event], bad: list[dict[str, Any]], now: datetime) -> list[Event]:
        """Insert `good` (new ones only) and `bad` (into quarantine) and run the projections over the
        new events; returns the new events and those the projections or the quota wrote."""
        new_ids: set[str] = set()
        rows = [event_row(e, now) for e in good]
        if rows:
            # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs
            # ("insertmanyvalues") from one cached statement, and returns only the new ids.
            stmt = self._insert(events).on_conflict_do_nothing(index_elements=["id"]).returning(events.c.id)
            new_ids.update(conn.execute(stmt, rows).scalars())
        derived: list[Event] = self._store_rejects(conn, bad, now) if bad else []
        new_events = [e for e in good if e.id in new_ids]
        for projection in self.projections:
            derived.extend(projection(conn, new_events) or ())
        return new_events + derived

    def _commit_in_parts(self, good: dict[str, Event], bad: list[dict[str, Any]], now: datetime,
                         result: IngestResult) -> list[Event]:
        """The slow path after a refused batch: the quarantine rows alone, then the events bisected
        (O(k log n) transactions for k bad events in n); an event refused alone is quarantined and
        leaves `good`, so it is not acknowledged as stored."""
        new_events: list[Event] = []
        if bad:
            with self.engine.begin() as conn:
                new_events += self._store_rejects(conn, bad, now)
        parts = [list(good.values())]
        while parts:
            part = parts.pop()
            if not part:
                continue
            try:
                with self.engine.begin() as conn:
                    new_events += self._commit(conn, part, [], now)
                continue
            except Exception as err:
                if database_unavailable(err):
                    raise
                if len(part) > 1:
                    half = len(part) // 2
                    parts += [part[half:], part[:half]]
                    continue
                event = part[0]
                reason = f"the store refused it: {type(err).__name__}: {str(err)[:500]}"
            del good[event.id]
            bad_row = _quarantine_row(now, topics.topic(event.site, event.device, topics.EVENTS),
                                      (event.site, event.device), event.id, reason, encode_event(event))
            with self.engine.begin() as conn:
                new_events += self._store_rejects(conn, [bad_row], now)
            result.rejected += 1
            result.quarantined[(event.site, event.device)].append(event.id)
            log.error("ingest: event %s quarantined: %s", event.id, reason)
        return new_events

    def _store_rejects(self, conn: Connection, rows: list[dict[str, Any]], now: datetime) -> list[Event]:
        """Insert quarantine rows within each sender's quota; past it count them, keep every
        `sample_every`-th, and write one quarantine.flooded alarm per sender and window. Returns
        the alarm events written."""
        quota = self.quota
        by_sender: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:  # copies: a refused transaction may hand the same rows in again
            by_sender[row["sender"]].append({k: v for k, v in row.items() if k != "sender"})
        kept: list[dict[str, Any]] = []
        alarms: list[Event] = []
        for (site, device), group in by_sender.items():
            state = conn.execute(select(quarantine_quota).where(
                quarantine_quota.c.site == site, quarantine_quota.c.device == device)).mappings().first()
            total, alarmed = (state["total"], state["alarms"]) if state else (0, 0)
            start = _aware(state["window_start"]) if state else now
            count, stored = (state["count"], state["kept"]) if state else (0, 0)
            if now - start >= timedelta(seconds=quota.window_s):
                start, count, stored = now, 0, 0
            was_over = count > quota.per_device
            for row in group:
                count += 1
                past = count - quota.per_device
                if past > 0:
                    if (past - 1) % quota.sample_every:
                        continue  # counted, not kept: the flood's sample is enough to see what it was
                    row["reason"] = f"[sample: reject {past} past the quota of {quota.per_device}] {row['reason']}"
                stored += 1
                kept.append(row)
            total += len(group)
            if count > quota.per_device and not was_over:
                alarm = self._flood_alarm(conn, site, device, now)
                if alarm is not None:
                    alarmed += 1
                    alarms.append(alarm)
            values = {"window_start": start, "count": count, "kept": stored, "total": total, "alarms": alarmed}
            conn.execute(self._insert(quarantine_quota).values(site=site, device=device, **values)
                         .on_conflict_do_update(index_elements=["site", "device"], set_=values))
        if kept:
            conn.execute(self._insert(quarantine).on_conflict_do_nothing(), kept)
        return alarms

    def _flood_alarm(self, conn: Connection, site: str, device: str, now: datetime) -> Event | None:
        quota = self.quota
        log.error("ingest: %s/%s sent more than %d quarantined items in %.0f s; keeping 1 in %d from now",
                  site, device, quota.per_device, quota.window_s, quota.sample_every)
        try:
            last = conn.execute(select(func.max(events.c.seq)).where(
                events.c.site == site, events.c.device == QUARANTINE_DEVICE)).scalar()
            event = make_event(QuarantineFlooded(site=site, device=device, quota=quota.per_device,
                                                 window_s=quota.window_s, sample_every=quota.sample_every),
                               site=site, device=QUARANTINE_DEVICE, seq=(last or 0) + 1, tz="UTC", occurred_at=now)
        except SchemaError as err:  # a sender whose topic names no valid site: the log line is the alarm
            log.error("ingest: no alarm event for %s/%s: %s", site, device, err)
            return None
        conn.execute(events.insert().values(**event_row(event, now)))
        return event

    def _drop_stored_from_quarantined(self, result: IngestResult, good: dict[str, Event]) -> None:
        """An id central has stored is not reported to its edge as quarantined, though an invalid
        item claimed it too: the edge would take that as leave to forget its real event."""
        reported = {i for ids in result.quarantined.values() for i in ids}
        if not reported:
            return
        with self.engine.connect() as conn:
            stored = set(conn.execute(select(events.c.id).where(events.c.id.in_(reported))).scalars())
        for key, ids in list(result.quarantined.items()):
            result.quarantined[key] = [i for i in dict.fromkeys(ids) if i not in stored and i not in good]

    def _sort(self, topic_name: str, payload: bytes, now: datetime, good: dict[str, Event],
              bad: list[dict[str, Any]], result: IngestResult) -> None:
        where = topics.parse(topic_name) if isinstance(topic_name, str) else None
        sender = (where[0], where[1]) if where else _sender(topic_name)

        def reject(reason: str, raw: bytes, event_id: str | None = None) -> None:
            result.rejected += 1
            bad.append(_quarantine_row(now, topic_name, sender, event_id, reason, raw))
            if event_id and where:
                result.quarantined[sender].append(event_id)

        if where is None or where[2] != topics.EVENTS:
            reject("not a frontdesk events topic", payload)
            return
        try:
            items = decode_batch(payload)
        except SchemaError as err:
            reject(str(err), payload)
            return
        except Exception as err:  # the decoder is not supposed to raise anything else; if it does, same fate
            reject(f"batch unreadable: {type(err).__name__}: {str(err)[:300]}", payload)
            return
        for item in items:
            item_id = _item_id(item)
            try:
                problem, raw = _unstorable(item)
                if problem:
                    reject(problem, raw, item_id)
                    continue
                event = validate_event(item)
            except SchemaError as err:
                reject(str(err), raw, item_id)
                continue
            except Exception as err:  # whatever else an item can make validation raise: that item's problem
                reject(f"item could not be checked: {type(err).__name__}: {str(err)[:300]}", _item_bytes(item),
                       item_id)
                continue
            if (event.site, event.device) != where[:2]:
                # A device may only speak for itself: the topic (which the broker's ACL ties to the
                # client's login) must name the same site and device as the event.
                reject(f"identity mismatch: event is from {event.site}/{event.device} but arrived on "
                       f"{where[0]}/{where[1]}'s topic", raw, item_id)
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
                      device: str | None = None, type_: str | None = None, types: tuple[str, ...] | None = None,
                      limit: int = 100) -> list[dict[str, Any]]:
        """Commands, newest first; `sites` None = every site; `types` None = every type."""
        q = select(commands).order_by(commands.c.created_at.desc()).limit(limit)
        if sites is not None:
            q = q.where(commands.c.site.in_(sites))
        if types is not None:
            q = q.where(commands.c.type.in_(types))
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
                    after_seq: int = 0, limit: int = 100,
                    type_prefixes: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Stored events with seq > `after_seq` that match the filters given, ordered by site, device and
        seq, at most `limit`; `type_prefixes` (None: all) keeps the types starting with one of them."""
        q = select(events).where(events.c.seq > after_seq).order_by(events.c.site, events.c.device, events.c.seq)
        if type_prefixes is not None:
            q = q.where(or_(false(), *(events.c.type.startswith(p, autoescape=True) for p in type_prefixes)))
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
