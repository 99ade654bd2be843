"""Slip layouts are data: one template file per kind and language (templates/KIND.LANG.slip),
turned into ESC/POS bytes for a printer profile here.

Template lines:
    # comment
    text with {field} and {field|filter}      a text line (wrapped to the paper)
    @center @right @bold @2x @2w @2h TEXT     style prefixes for one line (any order)
    @pair LEFT | RIGHT                        left text, right text at the line's end (" | " splits)
    @rule [CHAR]                              a full-width rule
    @feed N                                   N blank lines
    @qr {field}                               native QR code (GS ( k), centred
    @code128 {field}                          Code 128 (GS k) with its text below
    @cut                                      cut (or feed to tear on printers without cutter)
    @if field ... @end                        lines kept only when field is non-empty
    @each field ... @end                      repeat for each item of a list (item keys as fields)
    @require f1 f2 ...                        the slip cannot be printed without these fields

Filters: mask (phone, by frontdesk.masking: 138****5678), time (ISO time -> local YYYY-MM-DD
HH:MM), hm (local HH:MM), count (length of a list), upper.

Directives are read from the template before any value is substituted, so data can never add a
directive or a printer command: values are text only (sanitised again by the printer driver).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from frontdesk.drivers.printer import Composer, PrinterProfile
from frontdesk.drivers.printer.textcodec import sanitize
from frontdesk.masking import mask_phone

TEMPLATES = Path(__file__).with_name("templates")
KINDS = ("workorder", "mail", "badge", "handover")
LANGS = ("zh", "en")
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)(?:\|([a-z_]+))?\}")
_STYLES = {"@center", "@right", "@left", "@bold", "@2x", "@2w", "@2h"}


class SlipError(ValueError):
    """A slip that cannot be laid out (unknown kind, missing field, broken template)."""


@dataclass(frozen=True)
class Node:
    """One parsed template line, or an @if/@each block whose lines are in `body`; `line` is its number."""
    kind: str              # text, pair, rule, feed, qr, code128, cut, if, each
    arg: str = ""
    style: tuple = ()
    body: tuple = ()
    line: int = 0


def _parse(lines: list[tuple[int, str]], name: str, until_end: bool = False) -> tuple[list[Node], list[str], int]:
    nodes: list[Node] = []
    required: list[str] = []
    i = 0
    while i < len(lines):
        no, raw = lines[i]
        i += 1
        line = raw.rstrip("\n")
        if not line.strip() and not line:
            nodes.append(Node("text", "", (), (), no))
            continue
        if line.lstrip().startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "@end":
            if until_end:
                return nodes, required, i
            raise SlipError(f"{name}:{no}: @end without @if or @each")
        if word in ("@if", "@each"):
            body, req, used = _parse(lines[i:], name, until_end=True)
            if used == 0:
                raise SlipError(f"{name}:{no}: {word} without @end")
            required += req
            i += used
            nodes.append(Node(word[1:], rest.strip(), (), tuple(body), no))
            continue
        if word == "@require":
            required += rest.split()
            continue
        style = []
        while word in _STYLES:
            style.append(word[1:])
            word, _, rest = rest.partition(" ")
        if word in ("@pair", "@rule", "@feed", "@qr", "@code128", "@cut"):
            nodes.append(Node(word[1:], rest.strip(), tuple(style), (), no))
        elif word.startswith("@"):
            raise SlipError(f"{name}:{no}: unknown directive {word}")
        else:
            text = (word + " " + rest) if rest else word
            nodes.append(Node("text", text, tuple(style), (), no))
    if until_end:
        return nodes, required, 0
    return nodes, required, i


@lru_cache(maxsize=64)
def _load(path: str, mtime: float) -> tuple[tuple[Node, ...], tuple[str, ...]]:
    text = Path(path).read_text(encoding="utf-8")
    nodes, required, _ = _parse(list(enumerate(text.splitlines(), 1)), Path(path).name)
    return tuple(nodes), tuple(required)


def template_path(kind: str, lang: str, extra_dir: Path | None = None) -> Path:
    """The template file of a slip kind and language: extra_dir's if it has one, else the built-in.
    Raises SlipError for an unknown kind or language, or no template."""
    if kind not in KINDS:
        raise SlipError(f"unknown slip kind {kind!r} (one of {', '.join(KINDS)})")
    if lang not in LANGS:
        raise SlipError(f"unknown language {lang!r} (zh or en)")
    for d in ([extra_dir] if extra_dir else []) + [TEMPLATES]:
        p = Path(d) / f"{kind}.{lang}.slip"
        if p.exists():
            return p
    raise SlipError(f"no template for {kind}.{lang}")


class _Values:
    def __init__(self, data: dict[str, Any], tz: str) -> None:
        self.data, self.tz = data, ZoneInfo(tz)

    def get(self, name: str, scope: dict[str, Any] | None = None) -> Any:
        for src in ((scope or {}), self.data):
            cur: Any = src
            ok = True
            for part in name.split("."):
                if isinstance(cur, dict) and part in cur:
                    cur = cur[part]
                else:
                    ok = False
                    break
            if ok:
                return cur
        return None

    def fmt(self, value: Any, flt: str | None) -> str:
        if value is None:
            return ""
        if flt == "count":
            return str(len(value)) if isinstance(value, (list, tuple, dict)) else "0"
        if isinstance(value, (list, dict)):
            value = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        text = str(value)
        if flt == "mask":
            return mask_phone(text)
        if flt in ("time", "hm"):
            try:
                dt = datetime.fromisoformat(text)
            except ValueError:
                return text
            if dt.tzinfo is not None:
                dt = dt.astimezone(self.tz)
            return dt.strftime("%Y-%m-%d %H:%M" if flt == "time" else "%H:%M")
        if flt == "upper":
            return text.upper()
        if flt:
            raise SlipError(f"unknown filter |{flt}")
        return text

    def sub(self, text: str, scope: dict[str, Any] | None) -> str:
        return _FIELD.sub(lambda m: sanitize(self.fmt(self.get(m.group(1), scope), m.group(2)), keep_newlines=True),
                          text)


def compose_slip(kind: str, lang: str, data: dict[str, Any], profile: PrinterProfile, *, tz: str = "Asia/Shanghai",
                 reprint: bool = False, templates_dir: Path | None = None) -> bytes:
    """The ESC/POS bytes of one slip for `profile`. SlipError if the data lacks a required field."""
    path = template_path(kind, lang, templates_dir)
    nodes, required = _load(str(path), path.stat().st_mtime)
    values = _Values(dict(data), tz)
    missing = [f for f in required if values.get(f) in (None, "", [])]
    if missing:
        raise SlipError(f"{kind} slip needs {', '.join(missing)}")
    out = Composer(profile)
    if reprint:
        out.line("** 补打 REPRINT **" if lang == "zh" else "** REPRINT **", align="center", bold=True)
    _emit(out, nodes, values, None)
    return out.job()


def _emit(out: Composer, nodes, values: _Values, scope: dict[str, Any] | None) -> None:
    for n in nodes:
        align = "center" if "center" in n.style else "right" if "right" in n.style else "left"
        bold = "bold" in n.style
        w = 2 if ("2x" in n.style or "2w" in n.style) else 1
        h = 2 if ("2x" in n.style or "2h" in n.style) else 1
        if n.kind == "text":
            out.line(values.sub(n.arg, scope), align=align, bold=bold, w=w, h=h)
        elif n.kind == "pair":
            left, _, right = n.arg.partition(" | ")  # spaced, since {field|filter} has a bare '|'

            out.columns_line(values.sub(left.strip(), scope), values.sub(right.strip(), scope), bold=bold)
        elif n.kind == "rule":
            out.rule(n.arg[:1] or "-")
        elif n.kind == "feed":
            out.feed(int(n.arg or 1))
        elif n.kind == "qr":
            data = values.sub(n.arg, scope)
            if data:
                out.qr_code(data, size=6 if out.fp.dots >= 576 else 5)
        elif n.kind == "code128":
            data = values.sub(n.arg, scope)
            if data:
                out.barcode128(data, module=2 if out.fp.dots >= 576 else 2)
        elif n.kind == "cut":
            out.cut_paper()
        elif n.kind == "if":
            if values.get(n.arg, scope) not in (None, "", [], 0, False):
                _emit(out, n.body, values, scope)
        elif n.kind == "each":
            items = values.get(n.arg, scope) or []
            if not isinstance(items, list):
                raise SlipError(f"@each {n.arg}: not a list")
            for item in items[:200]:
                _emit(out, n.body, values, item if isinstance(item, dict) else {"item": item})


@lru_cache(maxsize=1)
def samples() -> dict[str, dict[str, Any]]:
    """Sample data for previews and tests (templates/samples.toml)."""
    return tomllib.loads((TEMPLATES / "samples.toml").read_text(encoding="utf-8"))
