"""The [retention] section of the edge TOML: how long each kind of personal data is kept here
until central sends the site's own periods (`retention.set`, which replaces these kind by kind)."""
from __future__ import annotations

from pydantic import Field

from frontdesk.config import Section


class RetentionConfig(Section):
    """Days per kind (frontdesk.schema.privacy.RETENTION_KINDS; 0 = keep for ever), and how often the
    agent applies them."""

    visits: int = Field(default=90, ge=0, le=3650)        # visitor check-ins/outs, card scans at the posts
    calls: int = Field(default=180, ge=0, le=3650)        # callers' numbers and names in the call events
    recordings: int = Field(default=30, ge=0, le=3650)    # voice messages and dictated notes (WAV files)
    transcripts: int = Field(default=180, ge=0, le=3650)  # the text of those messages and notes
    commands: int = Field(default=30, ge=0, le=3650)      # what answered commands left (refusal details)
    quarantine: int = Field(default=30, ge=0, le=3650)    # central's; nothing of it lives on an edge
    print_jobs: int = Field(default=30, ge=0, le=3650)    # slips as queued for a printer
    every_s: float = Field(default=3600.0, gt=0)    # how often retention runs (hourly)

    def days(self) -> dict[str, int]:
        """Days per kind, as configured."""
        return {k: getattr(self, k) for k in ("visits", "calls", "recordings", "transcripts", "commands",
                                              "quarantine", "print_jobs")}


__all__ = ["RetentionConfig"]
