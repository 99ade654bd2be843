"""Where a text is still stored on this edge (`frontdesk edge privacy find TEXT`).

Three searches, reported apart:
  rows   every table of every SQLite file in the data folder, read through SQLite: database,
         table, row key, column, and the JSON path inside the value where it holds JSON;
  files  files whose name holds the text (recordings are named by call id), and text files whose
         content does (WAV and database files are not read as text);
  raw    the bytes of every database file and its -wal, searched as they lie on disk: a hit in a
         page no row owns (a free page, unused space in a page) or in the WAL is data SQLite no
         longer shows but a disk image still holds; hits in pages that hold a matching row are
         reported as "live".
A phone number is found however it is typed (digits compare, as in erasure: match.py).
"""
from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from frontdesk.schema.privacy import Subject

from .match import Match, digits

DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")
SIDE_FILES = ("-wal", "-journal")
TEXT_SUFFIXES = (".txt", ".json", ".jsonl", ".log", ".toml", ".csv", ".slip", ".escpos", ".ndjson", ".md")
MAX_TEXT_BYTES = 20 * 1024 * 1024
# Shorter digit strings are everywhere in a file's bytes (times, counters); only the text as typed.
RAW_PHONE_MIN_DIGITS = 7
_PHONE_LIKE = re.compile(r"^\s*\+?[\d\s\-.()/]+$")


@dataclass
class Report:
    """What `find` found; empty lists mean the text is nowhere on this edge."""

    text: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    raw_live: list[dict[str, Any]] = field(default_factory=list)
    raw_unused: list[dict[str, Any]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.rows or self.files or self.raw_live or self.raw_unused)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "found": self.found}


class Needle:
    """The text as searched: as a substring (case-insensitive), and as a phone number when it is one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = text.casefold()
        self.phone: Match | None = None
        if _PHONE_LIKE.match(text) and len(digits(text)) >= 3:
            try:
                self.phone = Match.of(Subject(phone=text.strip()))
            except ValidationError:
                self.phone = None

    def matches(self, value: str) -> bool:
        if self.folded and self.folded in value.casefold():
            return True
        return self.phone is not None and (self.phone.is_phone(value) or self.phone.scrub(value, False) != value)

    def byte_forms(self) -> list[bytes]:
        """What a raw read looks for: the text as UTF-8, JSON-escaped when it is not ASCII, and the
        phone number's digit forms."""
        forms = {self.text.encode()}
        if not self.text.isascii():
            forms.add(json.dumps(self.text).strip('"').encode())
        if self.phone is not None:
            forms |= {p.encode() for p in self.phone.phones if len(p) >= RAW_PHONE_MIN_DIGITS}
        return sorted(f for f in forms if f)


def _json_paths(value: Any, needle: Needle, path: str = "$") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if needle.matches(str(k)):
                yield f"{path}.{k} (key)"
            yield from _json_paths(v, needle, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _json_paths(v, needle, f"{path}[{i}]")
    elif isinstance(value, str) and needle.matches(value):
        yield path


def _open_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def database_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*") if p.is_file() and p.suffix in DB_SUFFIXES)


def _row_hits(db: sqlite3.Connection, name: str, table: str, needle: Needle) -> Iterator[dict[str, Any]]:
    info = db.execute(f'PRAGMA table_info("{table}")').fetchall()
    columns = [c[1] for c in info]
    keys = [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5]] or ["rowid"]
    select = ", ".join(f'"{c}"' for c in columns)
    key_select = ", ".join("rowid" if k == "rowid" else f'"{k}"' for k in keys)
    for row in db.execute(f'SELECT {key_select}, {select} FROM "{table}"'):
        key = dict(zip(keys, row[:len(keys)], strict=True))
        for column, value in zip(columns, row[len(keys):], strict=True):
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            if not isinstance(value, str) or not needle.matches(value):
                continue
            paths: list[str | None] = [None]
            if value[:1] in "{[":
                try:
                    paths = list(_json_paths(json.loads(value), needle)) or [None]
                except ValueError:
                    pass
            for path in paths:
                yield {"database": name, "table": table, "key": key, "column": column, "path": path}


def find_rows(data_dir: Path, needle: Needle) -> list[dict[str, Any]]:
    """Every row value holding the text, in every database of the data folder."""
    hits: list[dict[str, Any]] = []
    for path in database_files(data_dir):
        name = path.relative_to(data_dir).as_posix()
        try:
            db = _open_ro(path)
            try:
                tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                                   "name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")]
                for table in tables:
                    hits.extend(_row_hits(db, name, table, needle))
            finally:
                db.close()
        except sqlite3.Error as err:
            hits.append({"database": name, "table": None, "key": None, "column": None,
                         "path": None, "error": f"cannot read: {err}"})
    return hits


def find_files(data_dir: Path, needle: Needle) -> list[dict[str, Any]]:
    """Files whose name holds the text, and text files whose content does."""
    hits: list[dict[str, Any]] = []
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(data_dir).as_posix()
        if needle.matches(path.name):
            hits.append({"file": rel, "where": "name"})
        if path.suffix.lower() in TEXT_SUFFIXES:
            try:
                if path.stat().st_size <= MAX_TEXT_BYTES and needle.matches(path.read_text("utf-8", "replace")):
                    hits.append({"file": rel, "where": "content"})
            except OSError as err:
                hits.append({"file": rel, "where": "unreadable", "error": err.strerror})
    return hits


def raw_hits(path: Path, needles: list[bytes]) -> list[tuple[Path, int]]:
    """(file, offset) of every occurrence of these bytes in a database file and its -wal/-journal."""
    found = []
    for file in [path, *(path.with_name(path.name + s) for s in SIDE_FILES)]:
        try:
            data = file.read_bytes()
        except OSError:
            continue
        for needle in needles:
            start = data.find(needle)
            while start != -1:
                found.append((file, start))
                start = data.find(needle, start + 1)
    return sorted(set(found))


def _page_owners(path: Path) -> tuple[int, dict[int, str]]:
    """The page size and page -> table/index name of a database (pages absent are free)."""
    db = _open_ro(path)
    try:
        size = db.execute("PRAGMA page_size").fetchone()[0]
        try:
            owners = dict((pageno, name) for name, pageno in db.execute("SELECT name, pageno FROM dbstat"))
        except sqlite3.Error:
            owners = {}
        tables = dict(db.execute("SELECT name, tbl_name FROM sqlite_master"))
    finally:
        db.close()
    return size, {page: str(tables.get(name, name)) for page, name in owners.items()}


Hits = list[dict[str, Any]]


def classify_raw(data_dir: Path, needle: Needle, rows: Hits) -> tuple[Hits, Hits]:
    """Raw hits split into those in pages of tables where a matching row lives, and the rest
    (WAL, free pages, unused space in a page)."""
    live: Hits = []
    unused: Hits = []
    live_tables = {(r["database"], r["table"]) for r in rows}
    for path in database_files(data_dir):
        name = path.relative_to(data_dir).as_posix()
        hits = raw_hits(path, needle.byte_forms())
        if not hits:
            continue
        try:
            page_size, owners = _page_owners(path)
        except sqlite3.Error:
            page_size, owners = 0, {}
        for file, offset in hits:
            entry: dict[str, Any] = {"file": file.relative_to(data_dir).as_posix(), "offset": offset}
            if file != path:
                # The WAL holds the newest pages too: with a matching row in this database a hit there
                # may be that row; without one it is a leftover.
                where = "wal" if file.name.endswith("-wal") else "rollback journal"
                (live if any(db == name for db, _ in live_tables) else unused).append({**entry, "where": where})
                continue
            table = owners.get(offset // page_size + 1) if page_size else None
            if table is not None and (name, table) in live_tables:
                live.append({**entry, "where": f"page of {table}"})
            else:
                unused.append({**entry, "where": f"unused space in a page of {table}" if table else "free page"})
    return live, unused


def find(text: str, data_dir: str | Path) -> Report:
    """Everywhere `text` is still stored under the edge's data folder."""
    root = Path(data_dir)
    needle = Needle(text)
    report = Report(text=text)
    if not root.is_dir():
        return report
    report.rows = find_rows(root, needle)
    report.files = find_files(root, needle)
    report.raw_live, report.raw_unused = classify_raw(root, needle, report.rows)
    return report


__all__ = ["Needle", "Report", "database_files", "find", "raw_hits"]
