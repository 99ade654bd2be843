"""Loopback ports for the private servers the demo, the tests and the benches start."""
from __future__ import annotations

import socket
import time

_issued: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now and that this process has not handed out before: a server
    configured but not started yet (a broker brought up later in a test) keeps its port."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _issued:
            _issued.add(port)
            return port


def wait_listening(host: str, port: int, timeout: float) -> bool:
    """True once a TCP connection to `host`:`port` succeeds, False if `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False
