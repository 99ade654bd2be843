"""Central's MQTT side: ingest edge events, acknowledge them, and send commands down.

Ingest: messages on frontdesk/v1/+/+/events are queued as they arrive (paho with manual_ack, so
nothing is PUBACKed yet); one thread takes up to `batch_max_messages` at a time, has the store
commit them, then PUBACKs them and publishes each edge's ack (the event ids it may now forget).
Killed mid-batch, nothing was acknowledged: the broker redelivers, the edges resend, and the
store's ON CONFLICT DO NOTHING makes the repeats harmless.

Commands: every pending command is (re)sent until the edge's command.applied event arrives; the
store marks it delivered in the same transaction that ingests that event.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from frontdesk import topics
from frontdesk.config import MqttConfig
from frontdesk.mqtt import MqttLink

from .config import CentralConfig
from .store import IngestResult, Store, database_unavailable

T = TypeVar("T")

log = logging.getLogger(__name__)


class CentralLink:
    """Central's MQTT link: the ingest thread and the command dispatcher described above."""
    def __init__(self, store: Store, mqtt_cfg: MqttConfig, cfg: CentralConfig) -> None:
        self.store = store
        self.cfg = cfg
        self.link = MqttLink(mqtt_cfg, client_id=cfg.client_id, manual_ack=True, on_connect=self._on_connect,
                             on_message=self._on_message, name="central")
        self._incoming: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._wake_dispatch = threading.Event()
        self._threads: list[threading.Thread] = []
        self.ingested = 0

    def start(self) -> None:
        """Start connecting (in the background) and the ingest and dispatch threads; returns at once."""
        self.link.start()
        for target, name in ((self._ingest_loop, "ingest"), (self._dispatch_loop, "commands")):
            t = threading.Thread(target=target, name=f"central-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        """Stop the threads (up to 10 s each) and disconnect."""
        self._stopping.set()
        self._wake_dispatch.set()
        for t in self._threads:
            t.join(10)
        self.link.stop()

    def wake_dispatcher(self) -> None:
        """Have the dispatcher look for due commands now (e.g. one just stored), not at its next round."""
        self._wake_dispatch.set()

    def _on_connect(self, link: MqttLink) -> None:
        link.subscribe([topics.wildcard(topics.EVENTS)])
        self._wake_dispatch.set()  # resend what is due on a fresh connection

    def _on_message(self, message) -> None:
        self._incoming.put((message, self.link.generation))

    # -- ingest ------------------------------------------------------------------------------------

    def _ingest_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self._incoming.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = [first]
            deadline = time.monotonic() + self.cfg.batch_linger_ms / 1000
            while len(batch) < self.cfg.batch_max_messages:
                try:
                    batch.append(self._incoming.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            try:
                self._ingest(batch)
            except Exception:
                # Not expected (the store handles content, _ingest waits out the database): the loop
                # must outlive it. The batch stays unacknowledged; the broker redelivers it.
                log.exception("central: ingesting a batch of %d messages failed unexpectedly", len(batch))

    def _ingest(self, batch) -> None:
        result = self._store(batch)
        if result is None:
            return  # stopping: nothing acknowledged
        self.ingested += result.inserted
        for message, generation in batch:
            # Quarantined content is acknowledged too: redelivering it would only quarantine it again.
            self.link.ack(message, generation)
        devices = set(result.acks) | set(result.quarantined)
        for site, device in devices:
            body = {"ids": result.acks.get((site, device), []),
                    "quarantined": result.quarantined.get((site, device), [])}
            if not body["ids"] and not body["quarantined"]:
                continue
            self.link.publish(topics.topic(site, device, topics.ACKS), json.dumps(body).encode())
        if any(m.topic.endswith("/events") for m, _ in batch):
            self._wake_dispatch.set()

    def _store(self, batch) -> IngestResult | None:
        """The batch committed; None if stopping first. Waits out an unavailable database; anything
        else (a fault the store did not contain) is narrowed to single messages, and a message that
        still fails alone goes to quarantine whole: its content never holds ingest up."""
        result = self._retrying(lambda: self.store.ingest([(m.topic, m.payload) for m, _ in batch]))
        if not isinstance(result, Exception):
            return result
        log.error("central: a batch of %d messages failed (%r); storing them one by one", len(batch), result)
        merged = IngestResult()
        for message, _ in batch:
            one = self._retrying(partial(self.store.ingest, [(message.topic, message.payload)]))
            if isinstance(one, Exception):
                reason = f"ingest failed on this message: {type(one).__name__}: {str(one)[:500]}"
                done = self._retrying(partial(self.store.quarantine, message.topic, message.payload, reason))
                if isinstance(done, Exception):
                    log.error("central: message on %s could not even be quarantined: %r", message.topic, done)
                continue
            if one is None:
                return None
            merged.inserted += one.inserted
            for key, ids in one.acks.items():
                merged.acks[key] += ids
            for key, ids in one.quarantined.items():
                merged.quarantined[key] += ids
        return merged

    def _retrying(self, attempt: Callable[[], T]) -> T | Exception | None:
        """`attempt()`, repeated each second while the database is unavailable; None if stopping
        first; the exception if it failed for any other reason."""
        while not self._stopping.is_set():
            try:
                return attempt()
            except Exception as err:
                if not database_unavailable(err):
                    return err
                # Database away or failing: nothing was acknowledged, so nothing is lost; try again.
                log.warning("central: the database is unavailable (%s); retrying", str(err)[:200])
                self._stopping.wait(1.0)
        return None

    # -- commands ----------------------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake_dispatch.wait(min(1.0, self.cfg.command_retry_s))
            self._wake_dispatch.clear()
            if not self.link.connected.is_set():
                continue
            try:
                due = self.store.due_commands(self.cfg.command_retry_s)
                sent = [c["id"] for c in due if self.link.publish(
                    topics.topic(c["site"], c["device"], topics.COMMANDS),
                    json.dumps(c["body"], ensure_ascii=False).encode())]
                self.store.mark_sent(sent)
            except Exception:
                log.exception("central: sending commands failed; will retry")
