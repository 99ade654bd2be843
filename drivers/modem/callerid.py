"""Caller ID as voice modems report it.

Formatted (`AT+VCID=1`): lines like `DATE = 0321`, `TIME = 1405`, `NMBR = 5551234`, `NAME = ...`,
one line per field, possibly split across reads and with a `RING` in the middle of the block.
Unformatted (`AT+VCID=2`): the raw Bellcore/ETSI message as hex, SDMF (type 0x04) or MDMF (0x80),
with a checksum byte (two's complement of the byte sum).

Every input is accepted: what cannot be understood is kept raw and logged, never raised.
"""
from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field

log = logging.getLogger(__name__)

PRIVATE_MARKS = {"P", "PRIVATE", "RESTRICTED", "R", "WITHHELD", "ANONYMOUS", "BLOCKED"}
UNAVAILABLE_MARKS = {"O", "OUT OF AREA", "OUT-OF-AREA", "UNAVAILABLE", "UNKNOWN", "NOT AVAILABLE"}

_FIELD_RE = re.compile(r"^\s*([A-Za-z_ ]{3,14}?)\s*[=:]\s?(.*?)\s*$")
_KEYS = {"DATE": "date", "TIME": "time", "NMBR": "number", "DDN_NMBR": "number", "DDN NMBR": "number",
         "NAME": "name", "MESG": "mesg", "CALLER NUMBER": "number", "CALLER NAME": "name"}
_HEX_RE = re.compile(r"^(?:MESG\s*=\s*)?((?:04|80)(?:[0-9A-Fa-f]{2}){3,})$")


@dataclass
class CallerId:
    """One caller-ID block as parsed: number and name (or why each is absent), date, time, the raw
    lines, and `error` when the block could not be read."""

    number: str | None = None
    name: str | None = None
    number_absent_reason: str | None = None  # "private" | "unavailable" | None
    name_absent_reason: str | None = None
    date: str | None = None  # "MM-DD"
    time: str | None = None  # "HH:MM"
    mesg: str | None = None
    format: str = "formatted"  # formatted | sdmf | mdmf
    raw: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def has_identity(self) -> bool:
        """True when the block parsed and says a number, or why there is none."""
        return self.error is None and (self.number is not None or self.number_absent_reason is not None)

    def to_json(self) -> dict:
        """The fields as a dict, with `raw` joined into one newline-separated string."""
        d = asdict(self)
        d["raw"] = "\n".join(self.raw)
        return d


def _absent(value: str) -> str | None:
    v = value.strip().upper()
    if v in PRIVATE_MARKS:
        return "private"
    if v in UNAVAILABLE_MARKS or v == "" or set(v) == {"0"}:
        return "unavailable"
    return None


def _set_number(cid: CallerId, value: str) -> None:
    reason = _absent(value)
    if reason:
        cid.number, cid.number_absent_reason = None, reason
        return
    digits = "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if not digits or len(digits) > 32:
        cid.number, cid.number_absent_reason = None, "unavailable"
        return
    cid.number, cid.number_absent_reason = digits, None


def _set_name(cid: CallerId, value: str) -> None:
    v = value.strip().upper()
    reason = "private" if v in PRIVATE_MARKS else "unavailable" if (v in UNAVAILABLE_MARKS or not v) else None
    if reason:
        cid.name, cid.name_absent_reason = None, reason
    else:
        cid.name = value.strip()[:120] or None


def _date(value: str) -> str | None:
    v = value.strip()
    if len(v) == 4 and v.isdigit() and 1 <= int(v[:2]) <= 12 and 1 <= int(v[2:]) <= 31:
        return f"{v[:2]}-{v[2:]}"
    return None  # empty, 5-digit, letters: keep only in raw


def _time(value: str) -> str | None:
    v = value.strip()
    if len(v) == 4 and v.isdigit() and int(v[:2]) < 24 and int(v[2:]) < 60:
        return f"{v[:2]}:{v[2:]}"
    return None


# -- unformatted (hex) ---------------------------------------------------------------------------

def checksum(body: bytes) -> int:
    """The SDMF/MDMF checksum byte of `body` (type, length and parameters): the two's complement of their sum."""
    return (-sum(body)) & 0xFF


def parse_hex(text: str) -> CallerId:
    """One SDMF/MDMF message written as hex; a bad message gives CallerId(error=...)."""
    cid = CallerId(raw=[text])
    m = _HEX_RE.match(text.strip())
    if not m or len(m.group(1)) % 2:
        cid.error = "not an SDMF/MDMF hex message"
        return cid
    data = bytes.fromhex(m.group(1))
    kind, length = data[0], data[1]
    cid.format = "sdmf" if kind == 0x04 else "mdmf"
    if len(data) < length + 3:
        cid.error = f"truncated: header says {length} bytes, {len(data) - 3} present"
        return cid
    body, csum = data[:length + 2], data[length + 2]
    if checksum(body) != csum:
        cid.error = f"bad checksum {csum:02X} (expected {checksum(body):02X})"
        return cid
    payload = body[2:]
    try:
        if kind == 0x04:
            if len(payload) < 8:
                cid.error = "SDMF message shorter than its date/time"
                return cid
            stamp = payload[:8].decode("ascii", "replace")
            cid.date, cid.time = _date(stamp[:4]), _time(stamp[4:])
            _set_number(cid, payload[8:].decode("ascii", "replace"))
        else:
            i = 0
            while i < len(payload):
                if i + 2 > len(payload) or i + 2 + payload[i + 1] > len(payload):
                    cid.error = "MDMF parameter runs past the message"
                    return cid
                ptype, plen = payload[i], payload[i + 1]
                value = payload[i + 2:i + 2 + plen]
                text_value = value.decode("utf-8", "replace")
                if ptype == 0x01:
                    cid.date, cid.time = _date(text_value[:4]), _time(text_value[4:8])
                elif ptype in (0x02, 0x03):
                    _set_number(cid, text_value)
                elif ptype == 0x04:
                    cid.number, cid.number_absent_reason = None, _absent(text_value) or "unavailable"
                elif ptype == 0x07:
                    _set_name(cid, text_value)
                elif ptype == 0x08:
                    cid.name, cid.name_absent_reason = None, _absent(text_value) or "unavailable"
                i += 2 + plen
    except Exception as err:  # defensive: never let a message crash the line
        cid.error = f"unreadable message: {err}"
    return cid


def build_sdmf(number: str, date: str = "0321", time: str = "1405") -> str:
    """An SDMF message for `number` at `date` ("MMDD") and `time` ("HHMM"), as upper-case hex with its checksum."""
    body = (date + time + number).encode("ascii")
    msg = bytes([0x04, len(body)]) + body
    return (msg + bytes([checksum(msg)])).hex().upper()


def build_mdmf(number: str | None, name: str | None = None, date: str = "0321", time: str = "1405",
               number_absent: str | None = None, name_absent: str | None = None) -> str:
    """An MDMF message as upper-case hex with its checksum; parameters that are None are left out
    (`number_absent`/`name_absent` are the reason codes, e.g. "P" or "O")."""
    params = b""
    for ptype, value in ((0x01, date + time), (0x02, number), (0x04, number_absent), (0x07, name),
                         (0x08, name_absent)):
        if value is not None:
            raw = value.encode("utf-8")
            params += bytes([ptype, len(raw)]) + raw
    msg = bytes([0x80, len(params)]) + params
    return (msg + bytes([checksum(msg)])).hex().upper()


# -- line-by-line parser -------------------------------------------------------------------------

class CallerIdParser:
    """Feed complete text lines; get CallerId blocks when they are complete.

    A formatted block is complete when it has a number (or absence mark) and a name, when a field
    repeats (a new block has begun), or when `flush()` is called (the line went quiet). Lines that
    are not caller ID (RING, OK, noise) pass through untouched and do not end a block.
    """

    def __init__(self) -> None:
        self._block: CallerId | None = None
        self._seen: set[str] = set()

    @staticmethod
    def is_cid_line(line: str) -> bool:
        """True if `line` is a caller-ID field or a hex SDMF/MDMF message."""
        s = line.strip()
        if _HEX_RE.match(s):
            return True
        m = _FIELD_RE.match(s)
        return bool(m and m.group(1).strip().upper() in _KEYS)

    def feed(self, line: str) -> list[CallerId]:
        """The blocks that `line` completes (often none); lines that are not caller ID are ignored."""
        s = line.strip()
        if not s:
            return []
        if _HEX_RE.match(s):
            return self.flush() + [parse_hex(s)]
        m = _FIELD_RE.match(s)
        if not m or m.group(1).strip().upper() not in _KEYS:
            return []
        key = _KEYS[m.group(1).strip().upper()]
        value = m.group(2)
        out: list[CallerId] = []
        if self._block is not None and key in self._seen:
            out = self.flush()
        if self._block is None:
            self._block = CallerId()
            self._seen = set()
        cid = self._block
        cid.raw.append(s)
        self._seen.add(key)
        if key == "date":
            cid.date = _date(value)
        elif key == "time":
            cid.time = _time(value)
        elif key == "number":
            _set_number(cid, value)
        elif key == "name":
            _set_name(cid, value)
        elif key == "mesg":
            cid.mesg = value[:200]
        if "number" in self._seen and "name" in self._seen:
            out += self.flush()
        return out

    def pending(self) -> CallerId | None:
        """The block being collected, or None; it stays pending."""
        return self._block

    def flush(self) -> list[CallerId]:
        """End the block being collected and return it ([] if none); a block with neither number
        nor name gets an error, or "unavailable" when it carried a message."""
        block, self._block, self._seen = self._block, None, set()
        if block is None:
            return []
        if block.number is None and block.number_absent_reason is None and block.name is None:
            if block.mesg is None:
                block.error = "caller-ID block without a number"
            else:
                block.number_absent_reason = "unavailable"
        return [block]


def parse_capture(data: bytes) -> list[CallerId]:
    """Every caller-ID block in a raw capture of modem output (used by `frontdesk phone parse-cid`)."""
    from .dle import ModemStream

    parser = CallerIdParser()
    blocks: list[CallerId] = []
    stream = ModemStream()
    for kind, value in stream.feed(data) + stream.flush():
        if kind == "line":
            blocks += parser.feed(str(value))
    return blocks + parser.flush()


# -- numbers ------------------------------------------------------------------------------------

COUNTRY_CODES = {"cn": "86", "us": "1", "ca": "1", "gb": "44", "uk": "44", "hk": "852", "sg": "65"}


def normalise(number: str | None, country: str = "cn", area_code: str | None = None) -> str | None:
    """E.164 for the site's country where the shape is known; otherwise the digits as given."""
    if not number:
        return None
    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits:
        return None
    cc = COUNTRY_CODES.get(country.lower())
    if number.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if cc is None:
        return digits
    if cc == "86":
        if digits.startswith("86") and len(digits) in (12, 13):  # 86 + mobile / 86 + landline
            return "+" + digits
        if len(digits) == 11 and digits.startswith("1"):
            return "+86" + digits  # mobile
        if digits.startswith("0") and 10 <= len(digits) <= 12:
            return "+86" + digits[1:]  # area code + local number
        if 7 <= len(digits) <= 8 and area_code:
            return "+86" + area_code.lstrip("0") + digits
        return digits  # short service numbers (95xxx, 12345) stay as they are
    if cc == "1":
        if len(digits) == 10:
            return "+1" + digits
        if len(digits) == 11 and digits.startswith("1"):
            return "+" + digits
        if len(digits) == 7 and area_code:
            return "+1" + area_code + digits
        return digits
    if cc == "44":
        if digits.startswith("44") and len(digits) >= 11:
            return "+" + digits
        if digits.startswith("0") and len(digits) in (10, 11):
            return "+44" + digits[1:]
        return digits
    if digits.startswith("0"):
        return "+" + cc + digits[1:]
    return digits
