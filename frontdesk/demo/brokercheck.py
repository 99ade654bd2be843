"""Is the demo's broker the production one? Knock as strangers and see them turned away.

The demo's broker runs the configuration central generates for a site (TLS only, a fleet
certificate required), so a plain MQTT client and a TLS client without a certificate must both
be refused before the broker accepts a single packet from them. `frontdesk demo --tour` checks
both on the running demo; the tests also check that an enrolled device's certificate is accepted,
so a broker that refuses everyone (or is not there) cannot pass.
"""
from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from pathlib import Path

from ..config import MqttConfig
from ..mqtt import broker_tls_context
from .tour import Step

CONNACK_ACCEPTED = b"\x20\x02"  # CONNACK, remaining length 2; then session-present and return code 0


def connect_packet(client_id: str) -> bytes:
    """An MQTT 3.1.1 CONNECT with a clean session and no user name: the least a client can say."""
    cid = client_id.encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(cid).to_bytes(2, "big") + cid
    return bytes([0x10, len(body)]) + body  # a short client id keeps the length in one byte


def tls_context(ca: Path, host: str, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """What an edge's link uses: trust only the fleet CA, present `cert`/`key` if given."""
    ctx = broker_tls_context(MqttConfig(host=host, tls_ca=ca))
    if cert and key:
        ctx.load_cert_chain(str(cert), str(key))
    return ctx


def mqtt_connect(host: str, port: int, tls: ssl.SSLContext | None = None, *,
                 client_id: str = "demo-stranger", timeout: float = 5.0) -> tuple[bool, str]:
    """Connect, send CONNECT and read the answer: (True, "accepted") for a CONNACK that accepts,
    else (False, what happened): the handshake failed, the connection closed, or a refusing CONNACK."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            conn = tls.wrap_socket(raw, server_hostname=host) if tls else raw
            with conn:
                conn.sendall(connect_packet(client_id))
                answer = _read(conn, 4)
    except OSError as err:  # ssl.SSLError is an OSError: a refused handshake, a TLS alert
        return False, f"{type(err).__name__}: {err}"
    if answer[:2] == CONNACK_ACCEPTED and answer[3:4] == b"\x00":
        return True, "accepted"
    if not answer:
        return False, "the broker closed the connection without a CONNACK"
    return False, f"answered {answer.hex()} (not an accepting CONNACK)"


def _read(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def stranger_steps(host: str, port: int, ca: Path, say: Callable[[str], None] = print) -> list[Step]:
    """Knock on the broker as a plain MQTT client and as a TLS client without a certificate;
    each is a step that is ok when the broker refused it."""
    steps = []
    for name, tls in (("a plain MQTT client is refused", None),
                      ("a TLS client without a fleet certificate is refused", tls_context(ca, host))):
        accepted, detail = mqtt_connect(host, port, tls)
        steps.append(Step(name, not accepted, detail if not accepted else "ACCEPTED: the broker let a stranger in"))
        say(f"  {'ok ' if not accepted else 'FAIL'} {name}: {steps[-1].detail}")
    return steps
