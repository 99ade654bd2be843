"""MQTT clients for the fleet tests: whoever an attacker could be, with or without a certificate."""
from __future__ import annotations

import ssl
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from frontdesk.demo.brokercheck import tls_context


class Probe:
    """A paho client on the fleet broker: with a certificate (`cert`, `key`), none, or a plain TCP
    connection (`ca` None). Records the CONNACK, SUBACKs and every message it receives."""

    def __init__(self, port: int, ca: Path | None, cert: Path | None = None, key: Path | None = None,
                 client_id: str = "probe") -> None:
        self.port = port
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if ca is not None:  # what an edge's link trusts, with this probe's certificate if it has one
            self.client.tls_set_context(tls_context(ca, "127.0.0.1", cert, key))
        self.connack: str | None = None
        self.granted: list[list[str]] = []
        self.received: list[tuple[str, bytes]] = []
        self.connected = threading.Event()
        self.answered = threading.Event()
        self.subscribed = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = lambda c, u, m: self.received.append((m.topic, m.payload))

    def _on_connect(self, client, userdata, flags, reason, props) -> None:
        self.connack = str(reason)
        if not reason.is_failure:
            self.connected.set()
        self.answered.set()

    def _on_subscribe(self, client, userdata, mid, reasons, props) -> None:
        self.granted.append([str(r) for r in reasons])
        self.subscribed.set()

    def connect(self, timeout: float = 5.0) -> bool:
        """True once the broker accepted this client; False if it refused (TLS or CONNACK) or hung up."""
        try:
            self.client.connect("127.0.0.1", self.port, keepalive=30)
        except (OSError, ssl.SSLError):
            return False
        self.client.loop_start()
        self.answered.wait(timeout)
        return self.connected.is_set()

    def subscribe(self, topic: str, timeout: float = 5.0) -> list[str]:
        """The broker's SUBACK reason for `topic`."""
        self.subscribed.clear()
        self.client.subscribe(topic, qos=1)
        assert self.subscribed.wait(timeout), "no SUBACK"
        return self.granted[-1]

    def publish(self, topic: str, payload: bytes) -> None:
        """QoS 1 publish; waits for the PUBACK (which the broker sends even when the ACL drops it)."""
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.loop_stop()
        try:
            self.client.disconnect()
        except Exception:
            pass
