"""Modem families and their voice dialects: the one description the driver and the emulator share.

The same V.253 voice commands mean slightly different things per chipset: the AT+VSM codec ids
differ, and so does the caller-ID switch. Families are told apart by what ATI, ATI3, AT+FMI and
AT+GMM say. Each Family holds what the driver needs to detect and drive it (patterns, codec ids,
caller-ID commands) and what the emulator needs to be it (identity answers, the AT+VSM=? list,
how a ring shows in voice class), so the two cannot drift apart.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# ITU T.35 country codes for AT+GCI.
T35 = {"us": "B5", "ca": "B5", "gb": "B4", "uk": "B4", "cn": "26", "hk": "50", "sg": "9C", "jp": "00",
       "de": "FD", "fr": "FD", "au": "09"}


@dataclass(frozen=True)
class Family:
    """One chipset family: how to recognise it and drive it, and how the emulator answers as it."""

    name: str
    label: str
    patterns: tuple[str, ...]
    # Codec name -> AT+VSM id, used when the modem does not list its codecs.
    codecs: dict[str, int] = field(default_factory=dict)
    # Caller-ID switches the modem accepts, tried in this order, for formatted (1) output.
    cid_commands: tuple[str, ...] = ("AT+VCID=1", "AT-SCID=1", "AT#CID=1")
    # What the chipset answers to the identity queries (ATI, ATI3, AT+FMI, AT+GMM).
    identity: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Its AT+VSM=? answer: codec id -> the line describing it.
    vsm: dict[int, str] = field(default_factory=dict)
    # In voice class (+FCLASS=8) a ring arrives as <DLE>R instead of a RING line.
    dle_ring: bool = False
    # AT+GCI country codes it accepts.
    countries: frozenset[str] = frozenset(T35.values())

    @property
    def cid_switches(self) -> tuple[str, ...]:
        """The caller-ID commands without their argument ("AT+VCID", ...)."""
        return tuple(c.partition("=")[0] for c in self.cid_commands)


USR5637 = Family(
    "usr5637", "USRobotics 5637", (r"U\.?S\.? ?ROBOTICS", r"USR", r"5637"),
    codecs={"pcm_u8": 128, "mulaw": 131}, cid_commands=("AT+VCID=1", "AT#CID=1"),
    identity={"ATI": ("5601",), "ATI3": ("U.S. Robotics 56K FAX USB V1.2.23",), "AT+FMI": ("U.S. Robotics",),
              "AT+GMM": ("USR5637",)},
    vsm={128: '128,"8-BIT LINEAR",(7200,8000,11025),0,(0),(0)',
         129: '129,"16-BIT LINEAR",(7200,8000,11025),0,(0),(0)',
         131: '131,"U-LAW",(8000),0,(0),(0)'})
CX93001 = Family(
    "cx93001", "Conexant CX93001", (r"CX93001", r"CONEXANT", r"ZOOM"),
    codecs={"pcm_u8": 1, "mulaw": 131}, cid_commands=("AT+VCID=1", "AT-SCID=1", "AT#CID=1"),
    identity={"ATI": ("56000",), "ATI3": ("CX93001-EIS_V0.2002-V92",), "AT+FMI": ("CONEXANT",), "AT+GMM": ("V92",)},
    vsm={0: '0,"SIGNED PCM",8,0,(7200,8000,11025),(0),(0)',
         1: '1,"UNSIGNED PCM",8,0,(7200,8000,11025),(0),(0)',
         130: '130,"UNSIGNED PCM",8,0,(7200,8000,11025),(0),(0)',
         131: '131,"G.711U",8,0,(8000),(0),(0)'},
    dle_ring=True)
GENERIC = Family("generic", "V.253 voice modem", (), {"pcm_u8": 128, "mulaw": 131})
FAMILIES = {f.name: f for f in (USR5637, CX93001, GENERIC)}
# Families the emulator can be: those whose answers are described.
EMULATED = {name: f for name, f in FAMILIES.items() if f.identity}


def detect(identity: str) -> Family:
    """The family whose patterns match the modem's identity answers (case-insensitive); GENERIC if none does."""
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

