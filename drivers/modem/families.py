"""Modem families and their voice dialects.

The same V.253 voice commands mean slightly different things per chipset: the AT+VSM codec ids
differ, and so does the caller-ID switch. Families are told apart by what ATI, ATI3, AT+FMI and
AT+GMM say.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Family:
    name: str
    label: str
    patterns: tuple[str, ...]
    # Codec name -> AT+VSM id.
    codecs: dict[str, int] = field(default_factory=dict)
    # Caller-ID switches to try in order, for formatted (1) output.
    cid_commands: tuple[str, ...] = ("AT+VCID=1", "AT-SCID=1", "AT#CID=1")
    # After <DLE><ETX> ends playback, the modem answers with this result code.
    playback_end: str = "OK"


USR5637 = Family("usr5637", "USRobotics 5637", (r"U\.?S\.? ?ROBOTICS", r"USR", r"5637"),
                 {"pcm_u8": 128, "mulaw": 131}, ("AT+VCID=1", "AT#CID=1"))
CX93001 = Family("cx93001", "Conexant CX93001", (r"CX93001", r"CONEXANT", r"ZOOM"),
                 {"pcm_u8": 1, "mulaw": 131}, ("AT+VCID=1", "AT-SCID=1", "AT#CID=1"))
GENERIC = Family("generic", "V.253 voice modem", (), {"pcm_u8": 128, "mulaw": 131})
FAMILIES = {f.name: f for f in (USR5637, CX93001, GENERIC)}


def detect(identity: str) -> Family:
    text = identity.upper()
    for fam in (CX93001, USR5637):
        if any(re.search(p, text) for p in fam.patterns):
            return fam
    return GENERIC


_VSM_RE = re.compile(r'^\s*(\d+)\s*,\s*"([^"]*)"')


def parse_vsm_list(lines: list[str]) -> dict[int, str]:
    """`AT+VSM=?` answers one codec per line: id,"NAME",...; returns id -> name."""
    out: dict[int, str] = {}
    for line in lines:
        m = _VSM_RE.match(line)
        if m:
            out[int(m.group(1))] = m.group(2).upper()
    return out


def codec_id(fam: Family, codec: str, offered: dict[int, str] | None = None) -> int:
    """The AT+VSM id for `codec`, preferring what the modem itself lists."""
    if offered:
        want = ("LINEAR", "PCM") if codec == "pcm_u8" else ("ULAW", "U-LAW", "MU-LAW", "µ-LAW")
        for cid, name in sorted(offered.items()):
            if codec == "pcm_u8" and "SIGNED" in name and "UNSIGNED" not in name:
                continue
            if "8" in name and any(w in name for w in want) or (codec == "mulaw" and any(w in name for w in want)):
                return cid
    return fam.codecs[codec]


# ITU T.35 country codes for AT+GCI.
T35 = {"us": "B5", "ca": "B5", "gb": "B4", "uk": "B4", "cn": "26", "hk": "50", "sg": "9C", "jp": "00",
       "de": "FD", "fr": "FD", "au": "09"}
