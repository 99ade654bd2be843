"""Every store of personal data on this edge, whether or not its service runs here.

A running service adds its own store to `ctx.personal_data` (with what it knows: the phone
service its live directory and area code); a store whose service is not configured (any more) may
still hold data from before, so it is added here from the data folder. The journal comes first
and the stores that add identifiers (directory, access) next: the links they find are what the
others search for.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..access.personal_data import AccessPersonalData
from ..journal_personal_data import JournalPersonalData
from ..phone.personal_data import DirectoryPersonalData, RecordingsPersonalData
from ..printing.personal_data import PrintJobsPersonalData
from ..transcribe.personal_data import TranscriptionPersonalData
from .base import PersonalData

ORDER = ("journal", "directory", "access", "recordings", "print_jobs", "transcription")


def all_places(registered: Sequence[PersonalData], journal_path: Path, data_dir: Path) -> list[PersonalData]:
    """The registered stores, plus a plain one for each store nobody registered, in ORDER."""
    by_name: dict[str, PersonalData] = {}
    for place in registered:
        by_name.setdefault(place.name, place)
    defaults: dict[str, PersonalData] = {
        "journal": JournalPersonalData(journal_path),
        "directory": DirectoryPersonalData(),
        "access": AccessPersonalData(),
        "recordings": RecordingsPersonalData(data_dir),
        "print_jobs": PrintJobsPersonalData(),
        "transcription": TranscriptionPersonalData(data_dir),
    }
    for name, place in defaults.items():
        by_name.setdefault(name, place)
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(by_name.values(), key=lambda p: rank.get(p.name, len(ORDER)))


__all__ = ["ORDER", "all_places"]
