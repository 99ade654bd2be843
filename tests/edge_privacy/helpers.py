"""An edge's data folder filled the way its services fill it: two residents and a visitor, their
calls (events, recordings, transcripts, transcription jobs), directory lines, cards, visits,
print jobs, a refused command quoting a number, and a settings value."""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from frontdesk.drivers.audio.wavfile import write_wav
from frontdesk.edge.access.service import badge_code
from frontdesk.edge.access.store import AccessStore, handle_allowlist_replace
from frontdesk.edge.commands import CommandHandlers
from frontdesk.edge.journal import Journal, put_setting
from frontdesk.edge.phone.directory import Directory
from frontdesk.edge.printing.store import JobStore, insert_job
from frontdesk.edge.privacy.config import RetentionConfig
from frontdesk.edge.privacy.service import PrivacyService
from frontdesk.edge.services import EdgeContext
from frontdesk.edge.transcribe.jobqueue import JobQueue
from frontdesk.ids import new_id
from frontdesk.masking import mask_phone
from frontdesk.schema import Event, make_command
from frontdesk.schema.access import CardEntry, CardsAllowlistReplace, CardScanned, VisitorCheckedIn
from frontdesk.schema.call import (
    BlocklistReplace,
    CallEnded,
    CallMessageRecorded,
    CallRinging,
    DirectoryEntry,
    DirectoryReplace,
)
from frontdesk.schema.printing import PrintRequested, PrintSlip
from frontdesk.schema.system import DeskNote, SettingsUpdate
from frontdesk.schema.transcript import CallTranscribed

SITE, DEVICE = "t-site", "edge-1"


@dataclass(frozen=True)
class Person:
    name: str
    unit: str
    phone: str
    card: str


ZHANG = Person("张三", "3-201", "13800138000", "uid:04A1B2C3")
WANG = Person("王五", "5-502", "13911112222", "uid:0A0B0C0D")
VISITOR = Person("李四", "3-201", "13700137000", "")


@dataclass
class Filled:
    """Ids of what was stored, per person."""

    calls: dict[str, str] = field(default_factory=dict)        # person name -> call id
    messages: dict[str, str] = field(default_factory=dict)     # person name -> call.message_recorded event id
    recordings: dict[str, Path] = field(default_factory=dict)  # person name -> WAV file
    visit_id: str = ""
    print_jobs: dict[str, str] = field(default_factory=dict)   # person name -> job id


def _apply(journal: Journal, handlers: CommandHandlers, payload) -> dict:
    event = journal.apply_command(make_command(payload, site=SITE, device=DEVICE), handlers)
    assert event is not None
    return event.payload


def _call(journal: Journal, data_dir: Path, person: Person, filled: Filled, typed: str) -> None:
    call_id = new_id()
    caller = dict(call_id=call_id, number="+86" + person.phone, number_raw=typed, name="CALLER",
                  unit=person.unit, resident_name=person.name)
    path = data_dir / "recordings" / datetime.now(UTC).strftime("%Y-%m-%d") / f"{call_id}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, b"\x80" * 800, rate=8000, codec="u8")
    events = journal.record_many([
        CallRinging(**caller, ring=1, cadence="cn", caller_id_received=True),
        CallMessageRecorded(**caller, path=str(path), codec="pcm_u8", sample_rate=8000, duration_s=0.1, bytes=800,
                            sha256="a" * 64, stop_reason="hangup"),
        CallEnded(**caller, outcome="message", rings=1, reason="hangup", duration_s=9.0)])
    journal.record(CallTranscribed(job_id=events[1].id, call_id=call_id, category="repair",
                                   category_basis="keywords", text=f"我是{person.name}，{person.unit}厨房漏水，"
                                   f"请回电 {person.phone[:3]} {person.phone[3:7]} {person.phone[7:]}",
                                   outcome="text", confidence=0.9, model="vosk", language="zh", audio_s=0.1))
    JobQueue(data_dir / "transcribe.db").add(job_id=events[1].id, kind="call", path=str(path), call_id=call_id,
                                             state="done")
    filled.calls[person.name], filled.messages[person.name], filled.recordings[person.name] = \
        call_id, events[1].id, path


def _refusal(db: sqlite3.Connection, payload: SettingsUpdate) -> dict:
    # A handler's refusal quoting what it was given, as a careless one might.
    raise ValueError(f"cannot store {payload.values}")


def fill(journal: Journal, data_dir: Path) -> Filled:
    """Everything the edge's services would have stored for ZHANG, WANG and VISITOR."""
    filled = Filled()
    directory = Directory(journal, "cn", None)
    handlers = CommandHandlers()
    handlers.on(DirectoryReplace, directory.replace_directory)
    handlers.on(BlocklistReplace, directory.replace_blocklist)
    handlers.on(CardsAllowlistReplace, handle_allowlist_replace)
    handlers.on(SettingsUpdate, _refusal)
    access = AccessStore(journal.path)  # creates the access tables, as the access service does
    _apply(journal, handlers, DirectoryReplace(entries=[
        DirectoryEntry(number=p.phone, unit=p.unit, name=p.name) for p in (ZHANG, WANG)]))
    _apply(journal, handlers, BlocklistReplace(numbers=["+86 138-0013-8000", "95588"]))
    _apply(journal, handlers, CardsAllowlistReplace(version=1, entries=[
        CardEntry(card_id=p.card, holder=p.name, unit=p.unit) for p in (ZHANG, WANG)]))
    _apply(journal, handlers, SettingsUpdate(values={"contact": f"call {ZHANG.phone}"}))
    _call(journal, data_dir, ZHANG, filled, typed="138 0013 8000")
    _call(journal, data_dir, WANG, filled, typed=WANG.phone)
    journal.record(DeskNote(text=f"{ZHANG.unit} {ZHANG.name} 来电 138-0013-8000 报修；{WANG.name} 另案",
                            unit=ZHANG.unit))
    journal.record(CardScanned(card_id=ZHANG.card, raw=ZHANG.card, reader="wedge", decision="allow", reason="ok",
                               direction="in", post_role="gate", holder=ZHANG.name, unit=ZHANG.unit, role="resident"))
    filled.visit_id = new_id()
    visit = VisitorCheckedIn(visit_id=filled.visit_id, method="walk_in", visitor_name=VISITOR.name,
                             host_unit=VISITOR.unit, post_role="kiosk", phone=VISITOR.phone,
                             phone_masked=mask_phone(VISITOR.phone), checkout_code=badge_code(filled.visit_id))
    events = journal.record_many([visit, PrintRequested(kind="badge", data={
        "display_name": VISITOR.name, "host_unit": VISITOR.unit, "visit_id": filled.visit_id})])
    access.fold_checked_in(Event.model_validate(events[0].to_wire()), visit)
    access.close()
    _print_jobs(journal, filled)
    return filled


def _print_jobs(journal: Journal, filled: Filled) -> None:
    JobStore(journal.path).close()  # creates print_jobs, as the printing service does
    with journal.transaction() as db:
        for person in (ZHANG, WANG):
            slip = PrintSlip(job_id=f"wo-{person.phone[-4:]}", kind="workorder",
                             data={"unit": person.unit, "contact": {"name": person.name, "phone": person.phone},
                                   "content": "厨房漏水"})
            insert_job(db, job_id=slip.job_id, kind=slip.kind, language=slip.language, data=slip.data,
                       printer="engineering", source="command")
            filled.print_jobs[person.name] = slip.job_id


def make_service(journal: Journal, data_dir: Path, clock=None, **retention) -> PrivacyService:
    """The privacy service on its own, as the command line builds it (every store from the data dir)."""
    ctx = EdgeContext(journal=journal, site=SITE, device=DEVICE, tz="Asia/Shanghai", country="cn",
                      data_dir=data_dir)
    kw = {"clock": clock} if clock else {}
    return PrivacyService(RetentionConfig(**retention), ctx, **kw)


def db_files(data_dir: Path) -> list[Path]:
    """Every database file and its WAL/rollback journal under the data folder."""
    return sorted(p for p in data_dir.rglob("*") if p.is_file() and (p.suffix == ".db" or p.name.endswith(
        ("-wal", "-journal"))))


def raw_search(data_dir: Path, needles: list[bytes]) -> list[tuple[str, bytes]]:
    """(file, needle) for every database file, WAL and recording that holds one of these bytes."""
    found = []
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        if not (path.suffix in (".db", ".wav") or path.name.endswith(("-wal", "-journal"))):
            continue
        data = path.read_bytes()
        found += [(str(path.relative_to(data_dir)), n) for n in needles if n in data]
    return found


def person_bytes(person: Person) -> list[bytes]:
    return [b for b in (person.phone.encode(), person.name.encode(), person.card.encode()) if b]


def set_mtime(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def events(journal: Journal, type_: str | None = None) -> list[dict]:
    return [e for e in journal.events(0, 10**6) if type_ is None or e["type"] == type_]


__all__ = ["DEVICE", "SITE", "VISITOR", "WANG", "ZHANG", "Filled", "Person", "db_files", "events", "fill",
           "make_service", "person_bytes", "put_setting", "raw_search", "set_mtime"]
