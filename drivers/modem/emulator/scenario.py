"""Scenario files for the emulator (TOML or JSON).

    family = "cx93001"        # or "usr5637"
    time_scale = 0.05         # 1.0 = real time
    [[calls]]
    at = 1.0                  # seconds after start (scaled like everything else)
    cadence = "cn"
    number = "13800138000"
    name = "ZHANG SAN"
    cid_format = "formatted"  # formatted | sdmf | mdmf | none
    cid_position = "between"  # before | between | none
    message_wav = "hello.wav" # 8 kHz mono 8-bit WAV, relative to the scenario file
    message_seconds = 2.0     # or: a generated tone of this length
    end = "l"                 # l | b | silence | none
    [[faults]]
    at = 30.0
    kind = "wedge"            # wedge | unplug | replug | garbage
    until = "reopen"
"""
from __future__ import annotations

import json
import math
import tomllib
import wave
from dataclasses import fields
from pathlib import Path
from typing import Any

from .core import CallSpec

_SPEC_FIELDS = {f.name for f in fields(CallSpec)}


class ScenarioError(ValueError):
    """A scenario file (or a call in it) that cannot be used; str() says why."""
    pass


def tone(seconds: float, freq: float = 440.0, seed: int = 0) -> bytes:
    """Unsigned 8-bit audio that includes 0x10 bytes (so DLE shielding is exercised)."""
    n = int(seconds * 8000)
    out = bytearray(
        max(0, min(255, int(128 + 100 * math.sin(2 * math.pi * freq * i / 8000 + seed)))) for i in range(n))
    for i in range(seed % 97, n, 97):
        out[i] = 0x10
    return bytes(out)


def read_message_wav(path: Path) -> bytes:
    """The frames of an 8 kHz mono 8-bit WAV file; ScenarioError for any other format."""
    with wave.open(str(path), "rb") as w:
        if w.getframerate() != 8000 or w.getnchannels() != 1 or w.getsampwidth() != 1:
            raise ScenarioError(f"{path}: message audio must be 8 kHz mono 8-bit WAV")
        return w.readframes(w.getnframes())


def call_spec(raw: dict[str, Any], base: Path) -> CallSpec:
    """A CallSpec from one scenario call table (`message_wav` relative to `base`, `message_seconds` a
    tone, `garbage` in hex); ScenarioError for an unknown key."""
    raw = dict(raw)
    raw.pop("at", None)
    if "message_wav" in raw:
        raw["message"] = read_message_wav(base / raw.pop("message_wav"))
    if "message_seconds" in raw:
        raw["message"] = tone(float(raw.pop("message_seconds")))
    if isinstance(raw.get("garbage"), str):
        raw["garbage"] = bytes.fromhex(raw["garbage"])
    unknown = set(raw) - _SPEC_FIELDS
    if unknown:
        raise ScenarioError(f"unknown call keys: {', '.join(sorted(unknown))}")
    return CallSpec(**raw)


def load_scenario(path: str | Path) -> dict[str, Any]:
    """Read a TOML (or .json) scenario: {"family", "time_scale", "calls": [(at_s, CallSpec)], "faults"};
    ScenarioError for anything unreadable or unknown."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
        doc = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as err:
        raise ScenarioError(f"{path}: {err}") from None
    calls = [(float(c.get("at", 0.0)), call_spec(c, path.parent)) for c in doc.get("calls", [])]
    faults = [dict(f) for f in doc.get("faults", [])]
    for f in faults:
        if f.get("kind") not in ("wedge", "unplug", "replug", "garbage"):
            raise ScenarioError(f"{path}: unknown fault kind {f.get('kind')!r}")
        if f["kind"] == "garbage":
            try:
                f["data"] = bytes.fromhex(str(f.get("data", "ff00")))
            except ValueError:
                raise ScenarioError(f"{path}: garbage fault data {f.get('data')!r} is not hex") from None
    return {"family": doc.get("family", "usr5637"), "time_scale": float(doc.get("time_scale", 1.0)),
            "calls": calls, "faults": faults}
