"""[tickets] in the central TOML file: SLA timer definitions per kind, working-day calendars per
site, and (deprecated, see [privacy]) how long visit records keep personal data.

The defaults are the service rules (field facts §1): a work order within 3 min, engineering
collects it within 2, the technician on site within 10 (or 5 min before an agreed appointment),
non-standard paid items assessed within 15, a callback within 2 days, complaints closed within 1
working day (major ones within 7).

    [tickets]
    visit_retention_days = 180                 # deprecated: [privacy] visits
    public_url = "https://desk.example.com"   # the work-order slip's claim address starts here
    claim_link_days = 30                       # how long a slip's claim address stays valid
    [tickets.pass_caps.desk]                   # the longest visitor pass each staff role may issue
    single_use_hours = 24
    multi_use_hours = 72                       # 0: this role issues single-use passes only
    photo_max_mb = 12                          # the largest photo a technician's phone may upload
    [tickets.calendars.cn-2026]
    workdays = [1, 2, 3, 4, 5]
    holidays = [2026-10-01, 2026-10-02]
    extra_workdays = [2026-10-10]
    [tickets.site_calendars]
    garden-court = "cn-2026"
    [tickets.edge_ticket_devices]
    garden-court = ["tech-phone-1"]    # may send ticket.* events (attributed to edge:tech-phone-1)
    [[tickets.sla.repair]]
    name = "on_site"
    start = "claimed"
    stop = "on_site"
    minutes = 15
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from frontdesk.config import Section
from frontdesk.topics import ID_PATTERN

from .lifecycle import KINDS, TransitionError, rank


class SlaTimer(Section):
    """One SLA timer of a ticket kind: from reaching `start` until `stop` (or a later state) is
    reached, within one of minutes, days or working_days (an appointment timer: offset_minutes)."""
    name: str = Field(pattern=r"^[a-z_]{1,40}$")
    label: str = ""
    # Starts when the ticket first reaches `start` ("appointment": counts to the appointment time)
    start: str
    # ... and is met when it reaches `stop` or any later state.
    stop: str
    minutes: float | None = Field(default=None, gt=0)
    days: float | None = Field(default=None, gt=0)
    working_days: int | None = Field(default=None, ge=0, le=60)
    offset_minutes: float = 0
    # Paused time (waiting for the resident, an agreed appointment) does not count.
    pausable: bool = True
    only_if: Literal["major", "not_major", "appointment", "no_appointment"] | None = None

    @model_validator(mode="after")
    def _one_duration(self) -> SlaTimer:
        given = [x for x in (self.minutes, self.days, self.working_days) if x is not None]
        if self.start == "appointment":
            if given:
                raise ValueError("an appointment timer has only offset_minutes (e.g. -5)")
        elif len(given) != 1:
            raise ValueError("give exactly one of minutes, days, working_days")
        return self


RULES_SUFFIX = "-rules"


def rules_device(central_device: str) -> str:
    """The device id of the events central's ticket rules write (writer.py): `<central>-rules`."""
    return central_device[: 64 - len(RULES_SUFFIX)] + RULES_SUFFIX


def _t(name, start, stop, label, **kw) -> SlaTimer:
    return SlaTimer(name=name, start=start, stop=stop, label=label, **kw)


DEFAULT_SLA: dict[str, list[SlaTimer]] = {
    "repair": [
        _t("work_order", "received", "work_order_issued", "派工单 3 分钟 / work order in 3 min", minutes=3,
           pausable=False),
        _t("claim", "work_order_issued", "claimed", "工程签收 2 分钟 / engineering collects in 2 min", minutes=2,
           pausable=False),
        _t("on_site", "claimed", "on_site", "10 分钟到场 / on site in 10 min", minutes=10, only_if="no_appointment"),
        _t("on_site_appointment", "appointment", "on_site", "预约前 5 分钟到场 / 5 min before the appointment",
           offset_minutes=-5, only_if="appointment"),
        _t("callback", "done", "callback", "2 天内回访 / callback within 2 days", days=2),
    ],
    "complaint": [
        _t("close", "received", "resolved", "1 个工作日内处理 / resolved within 1 working day", working_days=1,
           only_if="not_major"),
        _t("close_major", "received", "resolved", "重大投诉 7 个工作日 / major: 7 working days", working_days=7,
           only_if="major"),
        _t("callback", "resolved", "callback", "2 天内回访 / callback within 2 days", days=2),
    ],
    "help_request": [
        _t("callback", "done", "callback", "2 天内回访 / callback within 2 days", days=2),
    ],
    "paid_service": [
        _t("assess", "received", "quoted", "15 分钟定价评估 / priced and assessed in 15 min", minutes=15),
        _t("on_site_appointment", "appointment", "on_site", "预约前 5 分钟到场 / 5 min before the appointment",
           offset_minutes=-5, only_if="appointment"),
        _t("callback", "done", "callback", "2 天内回访 / callback within 2 days", days=2),
    ],
    "inquiry": [],
    "mail": [],
    "visit": [],
}


class Calendar(Section):
    """A working-day calendar: the weekdays worked, holidays, and weekend days worked instead."""
    workdays: list[int] = Field(default=[1, 2, 3, 4, 5], description="ISO weekdays, Monday = 1")
    holidays: list[date] = []
    extra_workdays: list[date] = Field(default=[], description="weekend days that are worked (调休)")

    @model_validator(mode="after")
    def _days(self) -> Calendar:
        if any(d < 1 or d > 7 for d in self.workdays):
            raise ValueError("workdays are ISO weekdays 1..7")
        return self

    def is_working_day(self, day: date) -> bool:
        """True if `day` is worked: an extra workday, or a workday that is not a holiday."""
        if day in self.extra_workdays:
            return True
        return day.isoweekday() in self.workdays and day not in self.holidays


# The longest pass central signs at all (frontdesk.central.passes.MAX_VALIDITY).
YEAR_HOURS = 24 * 366


class PassCap(Section):
    """The longest visitor pass a staff role may issue, single-use and multi-use (hours)."""
    single_use_hours: float = Field(default=24.0, gt=0, le=YEAR_HOURS)
    # 0: no multi-use passes for this role.
    multi_use_hours: float = Field(default=72.0, ge=0, le=YEAR_HOURS)


# Guards and desk staff issue passes for today's visitors: a day single-use, a few days multi-use
# (a contractor's week is a manager's decision). Managers and admins may sign up to a year.
DEFAULT_PASS_CAPS: dict[str, PassCap] = {
    "guard": PassCap(), "desk": PassCap(),
    "manager": PassCap(single_use_hours=YEAR_HOURS, multi_use_hours=YEAR_HOURS),
    "admin": PassCap(single_use_hours=YEAR_HOURS, multi_use_hours=YEAR_HOURS),
}


class TicketsConfig(Section):
    """The [tickets] section: SLA timers (given kinds replace the defaults), calendars, visit retention,
    the breach check interval, central's device id, the edges allowed to change tickets and the pass
    signing keys."""
    sla: dict[str, list[SlaTimer]] = {}
    calendars: dict[str, Calendar] = {"default": Calendar()}
    site_calendars: dict[str, str] = {}
    # Deprecated alias of [privacy] visits (central/privacy/settings.py), kept in step with it.
    visit_retention_days: int = Field(default=180, ge=0)
    # How often central looks for timers that have run out (and writes ticket.sla_breached).
    breach_check_s: float = Field(default=15.0, gt=0)
    # The device id central's own events carry (site/<this>), with its own seq.
    central_device: str = Field(default="central", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    # site -> the Ed25519 private key file that signs its visitor passes (`frontdesk passes keygen`);
    # a site without one cannot issue passes from the API.
    pass_keys: dict[str, Path] = {}
    # site -> posts (device ids) that must hear when a resident's invitation is cancelled, besides
    # the site's kiosks and gates in the fleet registry (posts not registered there).
    pass_posts: dict[str, list[str]] = {}
    # role -> the longest pass that role may issue (API passes, and the desk's invitations for
    # residents); roles not given keep DEFAULT_PASS_CAPS. Longer asks are refused (403).
    pass_caps: dict[str, PassCap] = {}
    # site -> the edge devices of that site whose ticket.* events central applies (e.g. a
    # technician's phone claiming a work order); every other ticket.* event must come from
    # central's own writer. Edges identify only as site/device (their role is not known to
    # central), so this lists device ids, per site. Empty: only central changes tickets.
    edge_ticket_devices: dict[str, list[str]] = {}
    # Where phones reach central: the claim address printed on a work-order slip is
    # <public_url>/w/<token>. Empty: the address of the request that issued the work order.
    public_url: str = Field(default="", max_length=200, pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$")
    # A slip's claim address stays valid this long (the paper slip lives about as long).
    claim_link_days: int = Field(default=30, ge=1, le=366)
    # The largest photo a technician may upload (larger uploads are refused before they are read).
    photo_max_mb: float = Field(default=12, gt=0, le=100)

    @model_validator(mode="after")
    def _check(self) -> TicketsConfig:
        for kind in self.sla:
            if kind not in KINDS:
                raise ValueError(f"sla.{kind}: unknown ticket kind (kinds: {', '.join(KINDS)})")
        merged = {k: list(v) for k, v in DEFAULT_SLA.items()}
        merged.update(self.sla)
        for kind, timers in merged.items():
            for t in timers:
                for state in (t.start, t.stop):
                    if state == "appointment" and state is t.start:
                        continue
                    try:
                        rank(kind, state)
                    except TransitionError as err:
                        raise ValueError(f"sla.{kind}.{t.name}: {err}") from None
        self.sla = merged
        if "default" not in self.calendars:
            self.calendars["default"] = Calendar()
        for site, name in self.site_calendars.items():
            if name not in self.calendars:
                raise ValueError(f"site_calendars.{site}: no calendar named {name!r}")
        self._check_edge_ticket_devices()
        self._check_pass_posts()
        self._check_pass_caps()
        return self

    def _check_pass_caps(self) -> None:
        from ..auth.roles import PERMISSIONS

        issuers = PERMISSIONS["commands.passes"]
        for role in self.pass_caps:
            if role not in issuers:
                raise ValueError(f"pass_caps.{role}: not a role that issues passes ({', '.join(sorted(issuers))})")
        self.pass_caps = {**DEFAULT_PASS_CAPS, **self.pass_caps}

    def _check_pass_posts(self) -> None:
        id_re = re.compile(f"^{ID_PATTERN}$")
        for site, devices in self.pass_posts.items():
            bad = [x for x in (site, *devices) if not id_re.match(x)]
            if bad:
                raise ValueError(f"pass_posts.{site}: {bad[0]!r} is not a site or device id")

    def _check_edge_ticket_devices(self) -> None:
        # central's own device ids are vouched for by its writer, never by this list: listing them
        # would let any edge that can publish under that name write tickets as central.
        own = {self.central_device, rules_device(self.central_device)}
        id_re = re.compile(f"^{ID_PATTERN}$")
        for site, devices in self.edge_ticket_devices.items():
            if not id_re.match(site):
                raise ValueError(f"edge_ticket_devices: {site!r} is not a site id")
            for device in devices:
                if not id_re.match(device):
                    raise ValueError(f"edge_ticket_devices.{site}: {device!r} is not a device id")
                if device in own:
                    raise ValueError(f"edge_ticket_devices.{site}: {device!r} is central's own device")

    def edge_may_write_tickets(self, site: str, device: str) -> bool:
        """True if edge_ticket_devices lists `device` for `site`."""
        return device in self.edge_ticket_devices.get(site, ())

    def calendar_for(self, site: str) -> Calendar:
        """The site's working-day calendar: the one site_calendars names, else 'default'."""
        return self.calendars[self.site_calendars.get(site, "default")]
