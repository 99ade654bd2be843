"""The transcription service's part of erasure and retention (edge/privacy/base.py PersonalData):
the job queue (transcribe.db: which recording, which call) and dictated notes' WAV files. The
transcripts' text is in the journal's call.transcribed / note.transcribed events (redacted there)."""
from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from .. import dbfile
from ..phone.personal_data import expire_files, remove
from ..privacy.base import Outcome, inside
from ..privacy.match import Match


class TranscriptionPersonalData:
    """<data_dir>/transcribe.db jobs and <data_dir>/dictation/*.wav."""

    name: str = "transcription"
    keys: tuple[str, ...] = ("transcribe_jobs",)

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / "transcribe.db"

    def _open(self) -> sqlite3.Connection | None:
        """The queue's file, or None where transcription never ran (it is not created here)."""
        if not self.path.exists():
            return None
        db = dbfile.connect(self.path)
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").fetchone() is None:
            db.close()
            return None
        return db

    def link(self, db: sqlite3.Connection, match: Match) -> None:
        """Jobs name calls the journal already linked; nothing new here."""

    def erase(self, db: sqlite3.Connection, match: Match, done: Outcome) -> None:
        queue = self._open()
        if queue is None:
            return
        try:
            rows = queue.execute("SELECT job_id, kind, path, call_id FROM jobs").fetchall()
            doomed = [(job_id, kind, path) for job_id, kind, path, call_id in rows
                      if call_id in match.call_ids or job_id in match.message_ids]
            queue.execute("BEGIN IMMEDIATE")
            queue.executemany("DELETE FROM jobs WHERE job_id = ?", [(j,) for j, _, _ in doomed])
            queue.execute("COMMIT")
        finally:
            queue.close()
        done.count("transcribe_jobs", len(doomed))
        done.touched(self.path)
        for _job, kind, path in doomed:
            # A dictated note about the call is the desk's voice about the person: its file goes too
            # (a call's recording is the recordings store's).
            file = inside(path, self.data_dir / "dictation") if kind == "note" else None
            if file is not None and file.is_file():
                remove(file, self.data_dir, "recordings", done)

    def expire(self, db: sqlite3.Connection, kind: str, cutoff: datetime, done: Outcome) -> None:
        if kind == "recordings" and (self.data_dir / "dictation").is_dir():
            expire_files(self.data_dir / "dictation", "*.wav", cutoff, self.data_dir, "recordings", done)
        if kind != "transcripts":
            return
        queue = self._open()
        if queue is None:
            return
        try:
            cur = queue.execute("DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated_at < ?",
                                (cutoff.isoformat(),))
            done.count("transcribe_jobs", cur.rowcount)
        finally:
            queue.close()
        done.touched(self.path)


__all__ = ["TranscriptionPersonalData"]
