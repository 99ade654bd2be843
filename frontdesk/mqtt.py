"""One MQTT connection that keeps itself up: shared by the edge uplink and central ingest.

paho-mqtt 2.x, MQTT v5, QoS 1, a persistent session (clean_start=False plus a session expiry), and
our own reconnect loop with randomised exponential back-off (paho's own back-off has no jitter, so
a building full of edges that lost the broker together would reconnect in lock-step).

paho keeps its session in memory only: anything it had in flight dies with the process. That is
why neither side trusts the broker for durability — the edge keeps events in its outbox until
central's application-level ack, and central PUBACKs only after its database commit.
"""
from __future__ import annotations

import logging
import os
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .config import MqttConfig
from .runtime.files import check_secret

log = logging.getLogger(__name__)


def broker_tls_context(cfg: MqttConfig) -> ssl.SSLContext:
    """TLS 1.2+ that accepts only a broker certificate issued by `cfg.tls_ca` for `cfg.host` (the
    system's CAs are not trusted: a broker with a public certificate is still the wrong broker)."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(cfg.tls_ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


@dataclass(frozen=True)
class Will:
    """The last-will message the broker publishes (QoS 1) if this client vanishes; retained by default."""

    topic: str
    payload: bytes
    retain: bool = True


class MqttLink:
    """A paho client plus the thread that connects, runs the network loop and reconnects.

    `generation` increases on every successful connection, so users can tell that whatever they
    had in flight before may not have arrived and must be sent again.
    """

    def __init__(self, cfg: MqttConfig, client_id: str, *,
                 on_connect: Callable[[MqttLink], None] | None = None,
                 on_message: Callable[[mqtt.MQTTMessage], None] | None = None,
                 manual_ack: bool = False, will: Will | None = None,
                 backoff_min_s: float = 0.5, backoff_max_s: float = 30.0, name: str = "mqtt") -> None:
        self.cfg = cfg
        self.name = name
        self.backoff_min_s, self.backoff_max_s = backoff_min_s, max(backoff_min_s, backoff_max_s)
        self._on_connect_cb = on_connect
        self._on_message_cb = on_message
        self.connected = threading.Event()
        self.generation = 0
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5,
                                  manual_ack=manual_ack, reconnect_on_failure=False)
        if cfg.username:
            self.client.username_pw_set(cfg.username, cfg.password)
        self._tls: ssl.SSLContext | None = None
        self._credentials_seen: tuple[tuple[int, int], ...] | None = None
        if cfg.tls_ca:
            self._tls = broker_tls_context(cfg)
            self.client.tls_set_context(self._tls)
        if will:
            self.client.will_set(will.topic, will.payload, qos=1, retain=will.retain)
        # Enough in flight to keep a 2-core pipeline busy; the broker queues the rest.
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        # Publishes come from other threads (the uplink, the dispatcher). Without this, paho writes
        # to the socket from the publishing thread while the network loop reads it; a TLS socket
        # cannot take that (OpenSSL errors, dropped connections). With a write-registration
        # callback paho only queues the packet and wakes the loop, which writes it.
        self.client.on_socket_register_write = lambda client, userdata, sock: None
        self.client.on_connect = self._handle_connect
        self.client.on_disconnect = self._handle_disconnect
        self.client.on_message = self._handle_message

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the connection thread (and, with a client certificate, the thread that watches its
        files); returns at once (see wait_connected())."""
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-link", daemon=True)
        self._thread.start()
        if self.cfg.tls_cert:
            threading.Thread(target=self._watch_credentials, name=f"{self.name}-credentials", daemon=True).start()

    def stop(self, timeout: float = 5.0) -> None:
        """Disconnect and stop reconnecting; waits up to `timeout` seconds for the thread to end."""
        self._stopping.set()
        try:
            self.client.disconnect()
        except Exception:  # already gone
            pass
        if self._thread:
            self._thread.join(timeout)

    def wait_connected(self, timeout: float) -> bool:
        """True once connected, False if `timeout` seconds pass first."""
        return self.connected.wait(timeout)

    def _run(self) -> None:
        delay = self.backoff_min_s
        first_failure_logged = False
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.cfg.session_expiry_s
        while not self._stopping.is_set():
            try:
                self._load_credentials()
                self.client.connect(self.cfg.host, self.cfg.port, self.cfg.keepalive_s,
                                    clean_start=False, properties=props)
            except (OSError, ValueError) as err:  # ssl.SSLError is an OSError: a refused handshake too
                self.last_error = f"broker {self.cfg.host}:{self.cfg.port} unreachable: {err}"
                (log.debug if first_failure_logged else log.warning)("%s: %s; retrying with back-off",
                                                                    self.name, self.last_error)
                first_failure_logged = True
                self._stopping.wait(random.uniform(delay / 2, delay))
                delay = min(delay * 2, self.backoff_max_s)
                continue
            started = time.monotonic()
            try:
                # loop() rather than loop_forever(): loop() gives paho the socket pair through which a
                # publish from another thread wakes select() at once. loop_forever() never makes one,
                # and with every write left to this thread (above) a publish would wait for the next
                # incoming packet or the 1 s select timeout.
                while self.client.loop(1.0) == MQTTErrorCode.MQTT_ERR_SUCCESS:
                    pass
            except Exception:
                log.exception("%s: network loop failed", self.name)
            self.connected.clear()
            if self._stopping.is_set():
                break
            # A connection that held for a while resets the back-off; one that drops at once
            # (refused CONNACK, broker restarting) keeps growing it.
            delay = self.backoff_min_s if time.monotonic() - started > 10 else min(delay * 2, self.backoff_max_s)
            self._stopping.wait(random.uniform(delay / 2, delay))

    # -- client certificate ------------------------------------------------------------------------

    def _credential_stamp(self) -> tuple[tuple[int, int], ...]:
        stamps = []
        for path in (self.cfg.tls_cert, self.cfg.tls_key):
            try:
                st = os.stat(path) if path else None
                stamps.append((st.st_mtime_ns, st.st_size) if st else (0, 0))
            except OSError:
                stamps.append((0, 0))
        return tuple(stamps)

    def _load_credentials(self) -> None:
        """(Re-)load the client certificate into the TLS context before a connection attempt; the
        next handshake presents it. An unreadable or mismatched pair is an OSError/ValueError like
        an unreachable broker: logged, retried with back-off."""
        if self._tls is None or not self.cfg.tls_cert:
            return
        self._credentials_seen = self._credential_stamp()
        if self.cfg.tls_key:
            check_secret(self.cfg.tls_key, "this client's TLS private key")  # an OSError: retried like the rest
        self._tls.load_cert_chain(str(self.cfg.tls_cert), str(self.cfg.tls_key))

    def _watch_credentials(self, interval_s: float = 1.0) -> None:
        """Reconnect when the certificate or key files change (a re-enrolment): the old connection
        goes on until then, so a device is re-credentialed without a restart or a lost event. A
        change is acted on once the files have stayed the same for one interval (both written)."""
        pending = None
        while not self._stopping.wait(interval_s):
            stamp = self._credential_stamp()
            if stamp == self._credentials_seen:
                pending = None
            elif stamp != pending:
                pending = stamp
            elif self.connected.is_set():
                log.info("%s: client certificate changed; reconnecting with it", self.name)
                pending = None
                self._credentials_seen = stamp
                self.client.disconnect()

    # -- callbacks -------------------------------------------------------------------------------

    def _handle_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.last_error = f"broker refused the connection: {reason_code}"
            log.error("%s: %s", self.name, self.last_error)
            return
        self.generation += 1
        self.last_error = None
        log.info("%s: connected to %s:%s (session present: %s)", self.name, self.cfg.host, self.cfg.port,
                 flags.session_present)
        if self._on_connect_cb:
            self._on_connect_cb(self)
        self.connected.set()

    def _handle_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self._stopping.is_set():
            self.last_error = f"disconnected: {reason_code}"
            log.warning("%s: %s", self.name, self.last_error)

    def _handle_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        if self._on_message_cb:
            try:
                self._on_message_cb(message)
            except Exception:
                log.exception("%s: message handler failed for %s", self.name, message.topic)

    # -- use ---------------------------------------------------------------------------------------

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe to `topics` at QoS 1 on the current connection; the edge uplink and central
        ingest call it from `on_connect`, so it is renewed on every connection."""
        self.client.subscribe([(t, 1) for t in topics])

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> bool:
        """Queue a QoS 1 publish; False when there is no connection to send it on."""
        if not self.connected.is_set():
            return False
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack(self, message: mqtt.MQTTMessage, generation: int) -> None:
        """PUBACK a message received with manual_ack, unless the connection it came on is gone
        (then the broker redelivers it on the new session, which is what we want)."""
        if generation == self.generation and self.connected.is_set():
            self.client.ack(message.mid, message.qos)
