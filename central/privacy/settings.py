"""[privacy] in the central TOML file: how long each kind of personal data is kept, per site.

    [privacy]
    visits = 180            # days per kind (frontdesk.schema.privacy.RETENTION_KINDS); 0 = keep for ever
    calls = 180
    recordings = 30
    transcripts = 90
    commands = 30
    quarantine = 30
    print_jobs = 7
    run_every_s = 3600      # how often central applies them (and checks the edges' retention.set)

    [privacy.sites.garden-court]   # a site's own periods; kinds not named keep the defaults above
    calls = 90

The old `[tickets] visit_retention_days` is a deprecated alias of `[privacy] visits`: used when
[privacy] does not name visits, refused when both are given and differ.
"""
from __future__ import annotations

from pydantic import Field, model_validator

from frontdesk.config import Section
from frontdesk.schema.privacy import RETENTION_KINDS
from frontdesk.topics import ID_PATTERN

# Days: 0 = keep for ever; the upper bound 3650 is the contract's (RetentionSet).
DEFAULTS = {"visits": 180, "calls": 180, "recordings": 30, "transcripts": 90, "commands": 30, "quarantine": 30,
            "print_jobs": 7}
assert set(DEFAULTS) == set(RETENTION_KINDS)


class SitePeriods(Section):
    """[privacy.sites.<site>]: that site's periods; kinds not given fall back to [privacy]'s."""
    visits: int | None = Field(default=None, ge=0, le=3650)
    calls: int | None = Field(default=None, ge=0, le=3650)
    recordings: int | None = Field(default=None, ge=0, le=3650)
    transcripts: int | None = Field(default=None, ge=0, le=3650)
    commands: int | None = Field(default=None, ge=0, le=3650)
    quarantine: int | None = Field(default=None, ge=0, le=3650)
    print_jobs: int | None = Field(default=None, ge=0, le=3650)


class PrivacyConfig(Section):
    """The [privacy] section: retention days per kind (defaults) and per site, and the run interval."""
    visits: int = Field(default=DEFAULTS["visits"], ge=0, le=3650)
    calls: int = Field(default=DEFAULTS["calls"], ge=0, le=3650)
    recordings: int = Field(default=DEFAULTS["recordings"], ge=0, le=3650)
    transcripts: int = Field(default=DEFAULTS["transcripts"], ge=0, le=3650)
    commands: int = Field(default=DEFAULTS["commands"], ge=0, le=3650)
    quarantine: int = Field(default=DEFAULTS["quarantine"], ge=0, le=3650)
    print_jobs: int = Field(default=DEFAULTS["print_jobs"], ge=0, le=3650)
    run_every_s: float = Field(default=3600.0, ge=60, le=7 * 86400)
    sites: dict[str, SitePeriods] = {}

    @model_validator(mode="after")
    def _site_ids(self) -> PrivacyConfig:
        import re
        for site in self.sites:
            if not re.match(f"^{ID_PATTERN}$", site):
                raise ValueError(f"sites: {site!r} is not a site id")
        return self

    def defaults(self) -> dict[str, int]:
        """The default days per kind."""
        return {kind: getattr(self, kind) for kind in RETENTION_KINDS}

    def days_for(self, site: str) -> dict[str, int]:
        """The site's days per kind: its own where [privacy.sites.<site>] gives them, else the defaults."""
        own = self.sites.get(site)
        out = self.defaults()
        if own is not None:
            out.update({k: v for k, v in own.model_dump().items() if v is not None})
        return out


def with_legacy_visits(privacy: PrivacyConfig, legacy_days: int | None) -> PrivacyConfig:
    """[privacy] with the deprecated [tickets] visit_retention_days applied (None: not given);
    ValueError if both name the visits' period and disagree."""
    if legacy_days is None:
        return privacy
    if "visits" in privacy.model_fields_set:
        if privacy.visits != legacy_days:
            raise ValueError(f"[tickets] visit_retention_days = {legacy_days} (deprecated) and [privacy] visits = "
                             f"{privacy.visits} disagree: keep only [privacy] visits")
        return privacy
    return privacy.model_copy(update={"visits": legacy_days})
