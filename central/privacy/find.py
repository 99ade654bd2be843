"""`frontdesk central privacy find TEXT`: every place central still stores TEXT.

Looked for in every column of every central table that can hold text (strings, JSON at any depth,
raw bytes), as typed and in its \\u-escaped JSON form; a phone number also however it is written
(the same whole-number rule as erasure, matching.py). On SQLite the database file and its -wal are
also searched byte by byte, and hits are told apart: in a page in use (what rows hold, or remnants
in them) or in a free page or the write-ahead log (what deleted rows left behind).
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, Table, Text, cast, false, or_, select
from sqlalchemy.engine import make_url

from frontdesk.schema.privacy import Subject

from ..auth import tables as _auth  # noqa: F401  (every table module, so metadata knows them all)
from ..directory import tables as _directory  # noqa: F401
from ..fleet import tables as _fleet  # noqa: F401
from ..residents import tables as _residents  # noqa: F401
from ..store import Store
from ..tables import metadata
from ..tickets import tables as _tickets  # noqa: F401
from .matching import PHONE_RUN, Matcher, escaped

PAGE = 500
EXCERPT = 80


@dataclass
class Place:
    """One stored value that holds the text: table, row key, column, JSON path (or byte offset)."""
    table: str
    key: str
    column: str
    path: str
    excerpt: str


@dataclass
class FileHit:
    """A raw byte hit: file, offset, page (or WAL frame), and whether that page is free / the WAL."""
    file: str
    offset: int
    page: int
    where: str  # "page in use" | "free page" | "WAL"


class Needle:
    """What to look for: the text, its escaped form, and the phone number however written."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.forms = list(dict.fromkeys([text, escaped(text)]))
        digits = sum(ch.isdigit() for ch in text)
        phone = digits >= 3 and PHONE_RUN.fullmatch(text.strip()) is not None
        self.m = Matcher.of(Subject(phone=text.strip())) if phone and len(text.strip()) >= 3 else None

    def in_text(self, value: str) -> bool:
        return any(f in value for f in self.forms) or (self.m is not None and bool(self.m.numbers_in(value)))

    def in_bytes(self, value: bytes) -> list[int]:
        offsets = {m.start() for f in self.forms for m in re.finditer(re.escape(f.encode()), value)}
        if self.m is not None:
            offsets |= {start for start, _ in self.m.numbers_in(value.decode("latin-1"))}
        return sorted(offsets)

    def sql(self, col: Any) -> Any:
        text = cast(col, Text)
        conds = [text.contains(f, autoescape=True) for f in self.forms]
        if self.m is not None and (pattern := self.m.like_pattern()):
            conds.append(text.like(pattern))
        return or_(*conds)


def _excerpt(value: str, needle: Needle) -> str:
    at = max((value.find(f) for f in needle.forms), default=-1)
    start = max(0, at - 20) if at >= 0 else 0
    return value[start:start + EXCERPT]


def _walk(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def _places_in(table: Table, key: str, column: str, value: Any, needle: Needle) -> list[Place]:
    out = []
    if isinstance(value, (bytes, memoryview)):
        raw = bytes(value)
        for offset in needle.in_bytes(raw)[:20]:
            text = raw[max(0, offset - 20):offset + 60].decode("utf-8", "replace")
            out.append(Place(table.name, key, column, f"{table.name}[{key}].{column}@{offset}", text))
    elif isinstance(value, (dict, list)):
        for path, s in _walk(value, f"{table.name}[{key}].{column}"):
            if needle.in_text(s):
                out.append(Place(table.name, key, column, path, _excerpt(s, needle)))
    elif isinstance(value, str) and needle.in_text(value):
        out.append(Place(table.name, key, column, f"{table.name}[{key}].{column}", _excerpt(value, needle)))
    return out


def _scan_table(store: Store, table: Table, needle: Needle) -> list[Place]:
    cols = [c for c in table.columns if isinstance(c.type, (String, Text, JSON, LargeBinary))]
    if not cols:
        return []
    pk = list(table.primary_key.columns) or list(table.columns)[:1]
    textual = [c for c in cols if not isinstance(c.type, LargeBinary)]
    binary = [c for c in cols if isinstance(c.type, LargeBinary)]
    # Text and JSON are filtered in SQL (a superset); raw bytes are read and searched here.
    cond = or_(*[needle.sql(c) for c in textual]) if textual else false()
    if binary:
        cond = or_(cond, *[c.is_not(None) for c in binary])
    out: list[Place] = []
    offset = 0
    with store.engine.connect() as conn:
        while True:
            rows = conn.execute(select(*pk, *cols).where(cond).order_by(*pk).limit(PAGE).offset(offset)).all()
            for row in rows:
                key = "/".join(str(getattr(row, c.name)) for c in pk)
                for c in cols:
                    out += _places_in(table, key, c.name, getattr(row, c.name), needle)
            if len(rows) < PAGE:
                return out
            offset += PAGE


def _free_pages(data: bytes) -> tuple[int, set[int]]:
    """(page size, the free page numbers) from a SQLite file's header and freelist."""
    size = int.from_bytes(data[16:18], "big")
    size = 65536 if size == 1 else size
    free: set[int] = set()
    trunk = int.from_bytes(data[32:36], "big")
    while trunk and trunk not in free and (trunk - 1) * size < len(data):
        free.add(trunk)
        page = data[(trunk - 1) * size:trunk * size]
        count = int.from_bytes(page[4:8], "big")
        free.update(int.from_bytes(page[8 + 4 * i:12 + 4 * i], "big") for i in range(min(count, size // 4 - 2)))
        trunk = int.from_bytes(page[0:4], "big")
    return size, free


def search_files(db_path: Path, needle: Needle) -> list[FileHit]:
    """Raw byte hits in the SQLite file and its -wal."""
    hits: list[FileHit] = []
    size = 4096
    if db_path.exists():
        data = db_path.read_bytes()
        if len(data) >= 100:
            size, free = _free_pages(data)
            for offset in needle.in_bytes(data):
                page = offset // size + 1
                hits.append(FileHit(str(db_path), offset, page, "free page" if page in free else "page in use"))
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        data = wal.read_bytes()
        for offset in needle.in_bytes(data):
            hits.append(FileHit(str(wal), offset, max(0, offset - 32) // (size + 24) + 1, "WAL"))
    return hits


def find(store: Store, text: str) -> dict[str, Any]:
    """Where `text` is stored: {"stored": [Place...], "files": [FileHit...] or None (PostgreSQL),
    "found": bool}."""
    needle = Needle(text)
    stored = [asdict(p) for t in metadata.sorted_tables for p in _scan_table(store, t, needle)]
    files = None
    if store.backend == "sqlite":
        database = make_url(store.url).database
        if database and database != ":memory:":
            files = [asdict(h) for h in search_files(Path(database), needle)]
    found = bool(stored) or bool(files)
    return {"text": text, "phone_key": needle.m.key if needle.m else None, "stored": stored, "files": files,
            "found": found}


def describe(result: dict[str, Any]) -> str:
    """The human-readable report of find()."""
    lines = []
    for p in result["stored"]:
        lines.append(f"stored  {p['path']}  {json.dumps(p['excerpt'], ensure_ascii=False)}")
    if result["files"] is None:
        lines.append("files   (PostgreSQL: the table files are not searched byte by byte; see VACUUM in the README)")
    else:
        in_use = [h for h in result["files"] if h["where"] == "page in use"]
        freed = [h for h in result["files"] if h["where"] != "page in use"]
        for h in in_use:
            lines.append(f"file    {h['file']} offset {h['offset']} (page {h['page']}, in use)")
        for h in freed:
            lines.append(f"free pages / WAL  {h['file']} offset {h['offset']} ({h['where']} {h['page']})")
    n_files = len(result["files"] or [])
    lines.append(f"{len(result['stored'])} stored value(s), {n_files} raw byte hit(s)" if result["found"]
                 else "not found")
    return "\n".join(lines)
