"""Waiting in tests: poll a condition until it holds or a deadline passes."""
from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(pred: Callable[[], object], timeout: float = 5.0, interval: float = 0.02) -> bool:
    """True as soon as `pred()` is truthy; False if it still is not after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return bool(pred())
