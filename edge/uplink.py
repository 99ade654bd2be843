"""The uplink: ships the journal's outbox to central and brings central's commands down.

Publisher thread   reads the outbox in seq order, publishes batches (QoS 1) to .../events, keeps
                   at most `window_events` unconfirmed; after a reconnect, or when no ack has come
                   for `ack_timeout_s`, it starts again from the oldest unconfirmed event (central
                   ignores ids it already has, so a resend is harmless, a gap never happens).
Ack thread         central's .../acks name the event ids it committed: only then do they leave
                   the outbox (a broker PUBACK proves nothing about central's disk).
Command thread     .../commands are verified (central's signature, address, expiry: command_gate.py)
                   and applied through the journal, once per id; the journaled `command.applied`
                   event is the acknowledgement central waits for.
Watchdog thread    restarts any of the three that died (none should: each catches what a message
                   can make it raise) and journals an `uplink.thread_restarted` event saying so.

Order per device: one publisher, seq order, one MQTT connection — central receives in order.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from functools import cached_property

from frontdesk import topics
from frontdesk.config import MqttConfig
from frontdesk.ids import is_uuid7
from frontdesk.mqtt import MqttLink, Will
from frontdesk.schema import MAX_BATCH_BYTES, SchemaError, decode_json, encode_batch
from frontdesk.schema.system import UplinkThreadRestarted

from .command_gate import CommandGate
from .commands import CommandHandlers
from .config import UplinkConfig
from .journal import Journal, JournalError, Pending

log = logging.getLogger(__name__)

# The uplink's threads: name -> the Uplink method it runs; the watchdog restarts any that dies.
THREADS = {"publish": "_publish_loop", "acks": "_ack_loop", "commands": "_command_loop"}
# Central's acks name at most a batch's events; anything far larger is not one.
ACK_MAX_BYTES = 4 * MAX_BATCH_BYTES


class Uplink:
    """One edge's link to central over MQTT: the publisher, ack and command threads described above."""
    def __init__(self, journal: Journal, mqtt_cfg: MqttConfig, cfg: UplinkConfig,
                 commands: CommandHandlers | None = None) -> None:
        self.journal = journal
        self.cfg = cfg
        self.site, self.device = journal.site, journal.device
        self.commands = commands if commands is not None else CommandHandlers()
        self.events_topic = topics.topic(self.site, self.device, topics.EVENTS)
        self.acks_topic = topics.topic(self.site, self.device, topics.ACKS)
        self.commands_topic = topics.topic(self.site, self.device, topics.COMMANDS)
        self.status_topic = topics.topic(self.site, self.device, topics.STATUS)
        self.link = MqttLink(mqtt_cfg, client_id=f"edge-{self.site}-{self.device}",
                             on_connect=self._on_connect, on_message=self._on_message,
                             will=Will(self.status_topic, b"offline"),
                             backoff_min_s=cfg.backoff_min_s, backoff_max_s=cfg.backoff_max_s,
                             name=f"uplink {self.device}")
        self._stopping = threading.Event()
        self.watchdog_interval_s = 1.0
        self._acks: queue.Queue[bytes] = queue.Queue()
        self._commands: queue.Queue[bytes] = queue.Queue()
        self._lock = threading.Lock()
        # event id -> when it was (last) published, oldest first: an event whose ack is overdue
        # is noticed even while acks for later events keep arriving.
        self._inflight: OrderedDict[str, float] = OrderedDict()
        # Consecutive ack timeouts: each doubles the wait before the next resend, so a central that
        # is away for hours is not sent the whole window again every ack_timeout_s.
        self._stalls = 0
        self._progress = threading.Condition(self._lock)
        self._threads: dict[str, threading.Thread] = {}
        self._deaths: dict[str, str] = {}  # thread name -> what killed it last, for the watchdog's event
        self._watchdog: threading.Thread | None = None
        self.published_batches = 0
        self.resends = 0
        self.restarts = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start connecting (in the background), the three threads and their watchdog; returns at once."""
        self.link.start()
        for name in THREADS:
            self._start_thread(name)
        watchdog = threading.Thread(target=self._watchdog_loop, name="uplink-watchdog", daemon=True)
        watchdog.start()
        self._watchdog = watchdog

    def _start_thread(self, name: str) -> None:
        # The loop is looked up on each start, so a restarted thread runs the same method again.
        loop = getattr(self, THREADS[name])

        def run() -> None:
            try:
                loop()
            except BaseException as err:
                self._deaths[name] = f"{type(err).__name__}: {err}"[:500]
                log.exception("uplink: the %s thread died", name)
                raise

        t = threading.Thread(target=run, name=f"uplink-{name}", daemon=True)
        t.start()
        self._threads[name] = t

    def _watchdog_loop(self) -> None:
        while not self._stopping.wait(self.watchdog_interval_s):
            for name, thread in list(self._threads.items()):
                if thread.is_alive() or self._stopping.is_set():
                    continue
                try:
                    self._start_thread(name)
                    self.restarts += 1
                    error = self._deaths.pop(name, "ended without an error")
                    log.error("uplink: restarted the %s thread (%s)", name, error)
                    self.journal.record(UplinkThreadRestarted(thread=name, error=error, restarts=self.restarts))
                except Exception:
                    # The restart itself happened or will be tried next round; the event is best effort.
                    log.exception("uplink: restarting the %s thread or recording it failed", name)

    def stop(self) -> None:
        """Publish 'offline' (if connected), stop the threads (up to 5 s each) and disconnect."""
        self._stopping.set()
        with self._progress:
            self._progress.notify_all()
        self.journal.wake()
        if self.link.connected.is_set():
            self.link.publish(self.status_topic, b"offline", retain=True)
        for t in [*self._threads.values(), self._watchdog]:
            if t is not None:
                t.join(5)
        self.link.stop()

    @property
    def connected(self) -> bool:
        """True while the MQTT connection is up."""
        return self.link.connected.is_set()

    def _on_connect(self, link: MqttLink) -> None:
        link.subscribe([self.acks_topic, self.commands_topic])
        link.client.publish(self.status_topic, b"online", qos=1, retain=True)

    def _on_message(self, message) -> None:
        if message.topic == self.acks_topic:
            self._acks.put(message.payload)
        elif message.topic == self.commands_topic:
            self._commands.put(message.payload)

    # -- publishing ------------------------------------------------------------------------------

    def _rewind(self, why: str) -> None:
        with self._lock:
            if self._inflight:
                self.resends += 1
                log.info("uplink: %s; resending %d unconfirmed events", why, len(self._inflight))
            self._inflight.clear()

    def _publish_loop(self) -> None:
        cursor = 0
        generation = -1
        while not self._stopping.is_set():
            if not self.link.connected.wait(0.2):
                continue
            if generation != self.link.generation:
                generation = self.link.generation
                self._rewind("reconnected")
                cursor = 0
            with self._lock:
                oldest = next(iter(self._inflight.values()), None)
                timeout = self.cfg.ack_timeout_s * 2 ** min(self._stalls, 5)
                stalled = oldest is not None and time.monotonic() - oldest > timeout
                room = self.cfg.window_events - len(self._inflight)
            if stalled:
                self._stalls += 1
                self._rewind(f"no ack for {timeout:.0f} s")
                cursor = 0
                continue
            if room <= 0:
                with self._progress:
                    self._progress.wait(0.1)
                continue
            seen = self.journal.generation
            try:
                rows = self.journal.pending(cursor, min(self.cfg.batch_max_events, room))
                if 0 < len(rows) < self.cfg.batch_max_events and self.cfg.batch_linger_ms:
                    # A short linger turns a burst of single events into one batch.
                    time.sleep(self.cfg.batch_linger_ms / 1000)
                    rows += self.journal.pending(rows[-1].seq, min(self.cfg.batch_max_events, room) - len(rows))
            except JournalError as err:
                log.error("uplink: cannot read the outbox: %s", err)
                self._stopping.wait(1)
                continue
            if not rows:
                self.journal.wait_appended(seen, self.cfg.poll_ms / 1000)
                continue
            for batch in _split(rows):
                payload = encode_batch([p.body for p in batch])
                now = time.monotonic()
                with self._lock:
                    for p in batch:
                        self._inflight[p.event_id] = now
                        self._inflight.move_to_end(p.event_id)
                if not self.link.publish(self.events_topic, payload):
                    break  # connection gone; the reconnect rewinds
                cursor = batch[-1].seq
                self.published_batches += 1

    # -- acknowledgements and commands -----------------------------------------------------------

    def _ack_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self._acks.get(timeout=0.2)
            except queue.Empty:
                continue
            messages = [first]
            while True:
                try:
                    messages.append(self._acks.get_nowait())
                except queue.Empty:
                    break
            ids: list[str] = []
            for raw in messages:
                try:
                    ids += self._read_ack(raw)
                except Exception as err:  # whatever a message holds, it is that message's problem
                    log.warning("uplink: unreadable ack ignored (%s): %r", err, raw[:200])
            if not ids:
                continue
            try:
                self.journal.acknowledge(ids)
            except Exception as err:
                # The events stay in the outbox and are sent again: a duplicate, never a loss.
                log.error("uplink: could not clear acknowledged events: %s", err)
                continue
            with self._progress:
                for event_id in ids:
                    self._inflight.pop(event_id, None)
                self._stalls = 0
                self._progress.notify_all()

    def _read_ack(self, raw: bytes) -> list[str]:
        """The event ids an ack message lets this edge forget; SchemaError if it is not an ack.

        Ids central stored are forgotten. Ids it quarantined are forgotten only while they are in
        flight, i.e. this edge really sent them and is waiting: an ack naming ids we never sent
        (or sent long ago) must not make us drop events central does not have.
        """
        doc = decode_json(raw, limit=ACK_MAX_BYTES, what="ack")
        if not isinstance(doc, dict):
            raise SchemaError("ack must be a JSON object")
        stored, quarantined = doc.get("ids", []), doc.get("quarantined", [])
        if not isinstance(stored, list) or not isinstance(quarantined, list):
            raise SchemaError("ack ids must be lists")
        ids = [i for i in stored if isinstance(i, str) and is_uuid7(i)]
        gone = [i for i in quarantined if isinstance(i, str) and is_uuid7(i)]
        if gone:
            with self._lock:
                gone = [i for i in gone if i in self._inflight]
            if gone:
                log.error("uplink: central quarantined %d events of ours (see its quarantine table): %s",
                          len(gone), ", ".join(gone[:5]))
        return ids + gone

    def _command_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                raw = self._commands.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self.apply(raw)
            except JournalError as err:
                # Not recorded as applied: central sends it again and we try again then.
                log.error("uplink: command not applied, will be retried by central: %s", err)
            except Exception:
                # A fault in applying one command must not stop the next (revocations among them).
                log.exception("uplink: applying a command failed: %r", raw[:200])

    @cached_property
    def _command_gate(self) -> CommandGate:
        # Made on first use, so the gate is part of apply() alone: signature checks, refusals, trust.
        return CommandGate(self.journal, self.commands, self.cfg.command_public_keys)

    def apply(self, raw: bytes) -> None:
        """Check one command message — signed by a trusted key, for this site and device, not expired,
        not applied before — and apply it through the journal, once per id; anything else is refused
        with a `command.rejected` event naming the reason (edge/command_gate.py)."""
        self._command_gate.apply(raw)


def _split(rows: list[Pending]) -> list[list[Pending]]:
    """Cut rows into batches that stay under the broker-side and central-side size limit."""
    batches: list[list[Pending]] = [[]]
    size = 0
    budget = MAX_BATCH_BYTES - 64
    for row in rows:
        if batches[-1] and size + len(row.body) + 1 > budget:
            batches.append([])
            size = 0
        batches[-1].append(row)
        size += len(row.body) + 1
    return batches
