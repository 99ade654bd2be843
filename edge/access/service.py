"""The access-decision service: camera and card readers in, decisions and events out.

See the package docstring (edge/access/__init__.py) for the API the screens use.
Every decision is journaled before anyone is told about it (observers, return values), and
decisions are serialised by one lock, so two readers presenting the same single-use pass at
the same instant cannot both be let in.
"""
from __future__ import annotations

import logging
import queue
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal, cast

import numpy as np

from frontdesk.drivers.camera import Camera, open_camera
from frontdesk.drivers.cards import CardFormatError, CardRead, ReaderThread, code_read, open_reader, parse_card
from frontdesk.drivers.device import DeviceState
from frontdesk.drivers.scan import Deduplicator, Symbol, default_chain
from frontdesk.ids import new_id
from frontdesk.masking import mask_phone
from frontdesk.passes import Rejection, keyring, load_public_key, looks_like_pass, verify_pass
from frontdesk.schema import Event
from frontdesk.schema.access import (
    AccessDeviceState,
    CardsAllowlistReplace,
    CardScanned,
    PassesRevoke,
    PassRejected,
    Reason,
    VisitorCheckedIn,
    VisitorCheckedOut,
)
from frontdesk.schema.printing import PrintRequested

from ..journal import JournalError
from ..services import EdgeContext
from .config import AccessConfig
from .decision import Decision, mask_name
from .personal_data import AccessPersonalData
from .store import AccessStore, handle_allowlist_replace, handle_revoke

log = logging.getLogger("frontdesk.edge.access")

BADGE_PREFIX = "FDV1:"
MAX_RAW_SHOWN = 300
_UNIT_RE = re.compile(r"^[0-9A-Za-z\u3400-\u9fff][0-9A-Za-z\u3400-\u9fff\-#/ .]{0,31}$")
_PHONE_RE = re.compile(r"^\+?[0-9]{5,20}$")
Observer = Callable[[dict[str, Any]], None]


class WalkInError(ValueError):
    """A walk-in registration the screen must correct: `field` names the input, `reason` a code."""

    def __init__(self, field: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.field, self.reason = field, reason


def badge_code(visit_id: str) -> str:
    """The text a visitor badge's QR carries: BADGE_PREFIX and the visit id in upper case."""
    # Upper case keeps the badge QR in alphanumeric mode (smaller, reads from further away).
    return BADGE_PREFIX + visit_id.upper()


def _printable(text: str, limit: int = MAX_RAW_SHOWN) -> str:
    """Text safe to log and show: control characters escaped, length bounded."""
    out = text.encode("unicode_escape").decode("ascii") if any(not c.isprintable() for c in text) else text
    return out[:limit]


# The follower that folds visitor.* events into the store (used passes, visits). From the
# beginning: a post must know every single-use pass already used that the journal still holds.
VISITS = "access.visits"


class AccessService:
    """Offline access decisions at a post; see the package docstring for the screens' API."""

    name = "access"

    def __init__(self, config: AccessConfig, ctx: EdgeContext) -> None:
        self.cfg = config
        self.ctx = ctx
        self.journal = ctx.journal
        self.site = ctx.site
        self.keys = keyring([load_public_key(k) for k in config.site_public_keys])
        self.store = AccessStore(self.journal.path)
        self._lock = threading.RLock()
        self._observers: list[Observer] = []
        self._recent: deque[Decision] = deque(maxlen=50)
        self._tls = threading.local()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self.chain = default_chain(tuple(config.decoders))
        self.dedup = Deduplicator(config.dedup_gap_s)
        self.camera: Camera | None = None
        self.readers: dict[str, ReaderThread] = {}
        self.device_states: dict[str, dict[str, str]] = {}
        self.last_error: str | None = None
        # Asked before each badge is printed (the screen's print limit, kiosk_ui/ratelimit.py);
        # False: the visitor is checked in without a badge and the decision says why.
        self.badge_allowance: Callable[[], bool] | None = None
        ctx.commands.on(CardsAllowlistReplace, handle_allowlist_replace)
        ctx.commands.on(PassesRevoke, handle_revoke)
        ctx.personal_data.append(AccessPersonalData())
        ctx.access = self
        # Run in the deciding thread (after each visitor event, under the decision lock) rather
        # than a thread of its own, so a decision never sees a visit the store does not know yet.
        self.visits = (self.journal.follow(VISITS).on(VisitorCheckedIn, self.store.fold_checked_in)
                       .on(VisitorCheckedOut, self.store.fold_checked_out))
        self.visits.catch_up()  # what was journaled after the store last looked (e.g. before a crash)

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Prune the store, open the camera and card readers (each on a thread of its own) and start
        the hourly pruning; returns at once. Device states reach observers as they change."""
        self.store.prune()
        if self.cfg.camera:
            camera = self.camera = open_camera(self.cfg.camera, name="access-camera", do_not_open=True)
            camera.subscribe(lambda st: self._device_state("camera", st.name, st.reason))
            camera.open()
            t = threading.Thread(target=self._camera_loop, name="access-scan", daemon=True)
            t.start()
            self._threads.append(t)
        for url in self.cfg.card_readers:
            reader = open_reader(url, on_read=partial(self._reader_read, url), do_not_open=True)
            reader.subscribe(partial(self._device_state_of, url))
            self.readers[url] = reader
            reader.open()
        t = threading.Thread(target=self._housekeeping, name="access-prune", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        """Stop the threads (up to 5 s each), close the camera, readers, decoders and the store."""
        self._stop.set()
        if self.camera is not None:
            self.camera.close()
        for reader in self.readers.values():
            reader.close()
        for t in self._threads:
            t.join(5)
        self.chain.close()
        self.store.close()

    def _housekeeping(self) -> None:
        while not self._stop.wait(3600):
            try:
                self.store.prune()
            except Exception:
                log.exception("access: pruning failed")

    # -- observers --------------------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call observer(update) for every decision and device-state change; returns unsubscribe."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def watch(self, maxsize: int = 100) -> tuple[queue.Queue[dict[str, Any]], Callable[[], None]]:
        """A bounded queue of updates (oldest dropped when full) and its unsubscribe function."""
        q: queue.Queue[dict[str, Any]] = queue.Queue(maxsize)

        def put(update: dict[str, Any]) -> None:
            while True:
                try:
                    q.put_nowait(update)
                    return
                except queue.Full:
                    try:
                        q.get_nowait()
                    except queue.Empty:
                        pass
        return q, self.subscribe(put)

    def _publish(self, update: dict[str, Any]) -> None:
        for obs in list(self._observers):
            try:
                obs(update)
            except Exception:
                log.exception("access: observer failed")

    def _device_state_of(self, device: str, state: DeviceState) -> None:
        self._device_state(device, state.name, state.reason)

    def _device_state(self, device: str, state: str, detail: str) -> None:
        previous = self.device_states.get(device, {}).get("state")
        self.device_states[device] = {"state": state, "detail": detail}
        if state != previous and state in ("streaming", "ready", "missing", "reconnecting"):
            try:
                self.journal.record(AccessDeviceState(device=device[:200], state=state,  # type: ignore[arg-type]
                                                      detail=_printable(detail), post_role=self.cfg.role))
            except JournalError as err:
                self.last_error = f"journal: {err}"[:300]
        self._publish({"type": "status", **self.status()})

    # -- state for the screens -----------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """A snapshot for screens and tools: role, direction, site, camera and reader states, card count,
        allow-list version, key ids and the last error."""
        return {"role": self.cfg.role, "direction": self.cfg.direction, "site": self.site,
                "camera": dict(self.device_states.get("camera", {"state": "none" if not self.cfg.camera else "starting",
                                                                 "detail": ""})),
                "readers": {u: dict(self.device_states.get(u, {"state": "starting", "detail": ""}))
                            for u in self.cfg.card_readers},
                "cards": self.store.card_count(), "allowlist_version": self.store.allowlist_version(),
                "key_ids": sorted(self.keys), "last_error": self.last_error}

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """The last decisions, newest first (for a screen that just connected)."""
        return [d.to_json() for d in list(self._recent)[::-1][:limit]]

    def present(self) -> list[dict[str, Any]]:
        """Visitors checked in here and not yet out (names as on their pass, phones masked)."""
        return self.store.present()

    # -- inputs -------------------------------------------------------------------------------

    def submit_frame(self, image: np.ndarray, source: str = "camera", arrived: float | None = None) -> list[Decision]:
        """Decode one frame and decide on every new symbol in it (the camera loop calls this).

        `arrived` (time.monotonic() when the frame came off the camera) makes each decision carry
        extra["frame_to_journal_ms"]: how long from the frame's arrival to its event being on disk.
        """
        symbols = self.dedup.fresh(self.chain.decode(image))
        self._tls.arrived = arrived
        try:
            return [self.scan_symbol(s, source=source) for s in symbols]
        finally:
            self._tls.arrived = None

    def scan_symbol(self, symbol: Symbol, source: str = "camera") -> Decision:
        """Decide on one decoded symbol: scan_payload on its raw bytes, with its format."""
        return self.scan_payload(symbol.raw, source=source, fmt=symbol.format)

    def scan_payload(self, raw: bytes, *, source: str = "api", fmt: str | None = None) -> Decision:
        """Decide on a scanned payload: a visitor pass, a badge, or a printed card code."""
        with self._lock:
            try:
                text = raw.decode("ascii")
            except UnicodeDecodeError:
                text = None
            if text is not None and looks_like_pass(text.strip()):
                return self._pass(text.strip(), raw, source, fmt)
            if text is not None and text.strip().upper().startswith(BADGE_PREFIX):
                return self._badge(text.strip(), raw, source, fmt)
            if text is not None:
                try:
                    read = code_read(text)
                except CardFormatError:
                    pass
                else:
                    return self._card(read, text, source)
            return self._reject("malformed", _why_unreadable(raw, text), raw, source, fmt)

    def scan_card(self, text: str, reader: str = "api") -> Decision:
        """Decide on a card reader's raw read (the readers call this; tests and screens may too)."""
        with self._lock:
            try:
                read = parse_card(text, self.cfg.card_format)
            except CardFormatError as err:
                return self._card(None, text, reader, error=str(err))
            return self._card(read, text, reader)

    def register_walk_in(self, visitor_name: str, phone: str, host_unit: str, purpose: str = "", *,
                         registered_by: str = "visitor", language: str | None = None) -> Decision:
        """Check in a visitor without a pass. Raises WalkInError(field, reason) for bad input.

        The host unit is taken as typed: it is never looked up, listed or completed against the
        residents, so the screen reveals nothing about who lives where.
        """
        name = " ".join((visitor_name or "").split())
        if not name or len(name) > 64 or any(not c.isprintable() for c in name):
            raise WalkInError("visitor_name", "invalid", "name must be 1-64 printable characters")
        digits = re.sub(r"[\s\-()]", "", phone or "")
        if not _PHONE_RE.fullmatch(digits):
            raise WalkInError("phone", "invalid", "phone must be 5-20 digits")
        unit = " ".join((host_unit or "").split())
        if not _UNIT_RE.fullmatch(unit):
            raise WalkInError("host_unit", "invalid", "unit must be 1-32 letters, digits, '-', '#', '/'")
        purpose = " ".join((purpose or "").split())
        if len(purpose) > 200 or any(not c.isprintable() for c in purpose):
            raise WalkInError("purpose", "invalid", "purpose must be at most 200 printable characters")
        if registered_by not in ("visitor", "guard"):
            raise WalkInError("registered_by", "invalid", "registered_by is 'visitor' or 'guard'")
        by: Literal["visitor", "guard"] = "guard" if registered_by == "guard" else "visitor"
        # The badge's language: the service's own unless the screen asked for one it has.
        badge_language: Literal["zh", "en"] | None = "en" if language == "en" else "zh" if language == "zh" else None
        until = datetime.now(UTC) + timedelta(hours=self.cfg.walk_in_hours)
        with self._lock:
            return self._check_in(method="walk_in", name=name, unit=unit, pass_id=None, single_use=None,
                                  valid_until=until, phone=digits, purpose=purpose or None,
                                  registered_by=by, source="api", language=badge_language)

    def check_out(self, visit_id: str, *, source: str = "api") -> Decision:
        """Check a visitor out by visit id (what the badge QR carries, or a guard's tap)."""
        with self._lock:
            return self._check_out(visit_id, method="manual", source=source, raw=visit_id.encode())

    # -- decisions ----------------------------------------------------------------------------

    def _pass(self, token: str, raw: bytes, source: str, fmt: str | None) -> Decision:
        leaving = self.cfg.direction == "out"
        try:
            vp = verify_pass(token, self.keys, site=self.site, leeway_s=self.cfg.clock_leeway_s,
                             check_window=not leaving)
            if not leaving and self.store.is_revoked(vp.pass_id):
                raise Rejection("revoked", "pass revoked by the management office", vp.pass_id)
            if not leaving and vp.single_use and self.store.is_used(vp.pass_id):
                raise Rejection("already_used", "single-use pass already used", vp.pass_id)
        except Rejection as rej:
            # frontdesk.passes rejects with the schema's reasons.
            return self._reject(cast(Reason, rej.reason), rej.detail, raw, source, fmt, pass_id=rej.pass_id,
                                site=rej.site)
        if leaving:
            visit = self.store.open_visit_for_pass(vp.pass_id)
            visit_id = visit["visit_id"] if visit else "pass:" + vp.pass_id
            return self._check_out(visit_id, method="pass", source=source, raw=raw, pass_id=vp.pass_id,
                                   fallback_name=vp.visitor_name, fallback_unit=vp.host_unit)
        return self._check_in(method="pass", name=vp.visitor_name, unit=vp.host_unit, pass_id=vp.pass_id,
                              single_use=vp.single_use, valid_until=vp.valid_until, phone=None, purpose=None,
                              registered_by=None, source=source, language=None)

    def _check_in(self, *, method: Literal["pass", "walk_in"], name: str, unit: str, pass_id: str | None,
                  single_use: bool | None, valid_until: datetime | None, phone: str | None, purpose: str | None,
                  registered_by: Literal["visitor", "guard"] | None, source: str,
                  language: Literal["zh", "en"] | None) -> Decision:
        visit_id = new_id()
        code = badge_code(visit_id)
        masked = mask_phone(phone) if phone else None
        visit = VisitorCheckedIn(visit_id=visit_id, method=method, visitor_name=name, host_unit=unit,
                                 post_role=self.cfg.role, direction="in", pass_id=pass_id, single_use=single_use,
                                 valid_until=valid_until, phone=phone, phone_masked=masked, purpose=purpose,
                                 checkout_code=code, registered_by=registered_by)
        until = valid_until.isoformat() if valid_until else None
        items: list[VisitorCheckedIn | PrintRequested] = [visit]
        printing = self.cfg.badges and (self.badge_allowance is None or self.badge_allowance())
        if printing:
            items.append(PrintRequested(
                kind="badge", language=language or self.cfg.language, printer=self.cfg.badge_printer,
                # Field names are the badge template's (edge/printing/templates/badge.*.slip).
                data={"display_name": name, "host_unit": unit, "valid_until": until, "checkout_code": code,
                      "purpose": purpose, "visit_id": visit_id, "checked_in_at": datetime.now(UTC).isoformat()}))
        events = self.journal.record_many(items)
        self.visits.catch_up()
        return self._done(events[0], Decision(
            "allow", "ok", "walk_in" if method == "walk_in" else "pass", "in", self.cfg.role, "", name=name, unit=unit,
            visit_id=visit_id, pass_id=pass_id, checkout_code=code, valid_until=until,
            phone_masked=masked, print_requested=printing, source=source,
            # The pass is valid whatever the badge printer's limit says: in, but no badge printed.
            extra={"badge": "rate_limited"} if self.cfg.badges and not printing else {}))

    def _badge(self, text: str, raw: bytes, source: str, fmt: str | None) -> Decision:
        ident = text[len(BADGE_PREFIX):].strip().lower()
        try:
            if str(uuid.UUID(ident)) != ident:
                raise ValueError
        except ValueError:
            return self._reject("malformed", "badge code is not a visit id", raw, source, fmt)
        return self._check_out(ident, method="badge", source=source, raw=raw)

    def _check_out(self, visit_id: str, *, method: Literal["badge", "pass", "manual"], source: str, raw: bytes,
                   pass_id: str | None = None, fallback_name: str | None = None,
                   fallback_unit: str | None = None) -> Decision:
        visit = self.store.visit(visit_id)
        if visit and visit["checked_out_at"]:
            return self._reject("already_used", "this visit is already checked out", raw, source, None,
                                pass_id=visit["pass_id"])
        stay = None
        if visit:
            stay = int((datetime.now(UTC) - datetime.fromisoformat(visit["checked_in_at"])).total_seconds())
        out = VisitorCheckedOut(visit_id=visit_id, method=method, post_role=self.cfg.role,
                                visitor_name=visit["visitor_name"] if visit else fallback_name,
                                host_unit=visit["host_unit"] if visit else fallback_unit,
                                pass_id=(visit or {}).get("pass_id") or pass_id, known_visit=visit is not None,
                                stay_s=max(0, stay) if stay is not None else None)
        event = self.journal.record(out)
        self.visits.catch_up()
        return self._done(event, Decision("allow", "ok", method, "out", self.cfg.role, "", name=out.visitor_name,
                                          unit=out.host_unit, visit_id=visit_id, pass_id=out.pass_id, source=source))

    def _card(self, read: CardRead | None, raw_text: str, reader: str, error: str | None = None) -> Decision:
        entry = None
        reason: Reason
        if read is None:
            reason, detail = "malformed", error
        else:
            entry = self.store.card(read.candidates)
            if entry is None:
                reason, detail = "unknown_card", None
            elif entry["valid_until"] and entry["valid_until"] < datetime.now(UTC).isoformat():
                reason, detail = "expired", f"card valid until {entry['valid_until']}"
            else:
                reason, detail = "ok", None
        decision: Literal["allow", "deny"] = "allow" if reason == "ok" else "deny"
        holder = mask_name(entry["holder"]) if entry else None
        scan = CardScanned(card_id=entry["card_id"] if entry else (read.card_id if read else None),
                           raw=_printable(raw_text), reader=reader[:200], decision=decision, reason=reason,
                           detail=detail[:300] if detail else None, direction=self.cfg.direction,
                           post_role=self.cfg.role, holder=entry["holder"] if entry else None,
                           unit=entry["unit"] if entry else None, role=entry["role"] if entry else None)
        event = self.journal.record(scan)
        return self._done(event, Decision(decision, reason, "card", self.cfg.direction, self.cfg.role, "",
                                          name=holder, unit=scan.unit, role=scan.role, detail=scan.detail,
                                          source=reader))

    def _reject(self, reason: Reason, detail: str, raw: bytes, source: str, fmt: str | None, *,
                pass_id: str | None = None, site: str | None = None) -> Decision:
        from frontdesk.drivers.scan import MAX_PAYLOAD_BYTES
        kept = raw[:MAX_PAYLOAD_BYTES]
        rejected = PassRejected(reason=reason, detail=_printable(detail), pass_id=pass_id,
                                site=site[:64] if site else None, source=source[:200], format=fmt,
                                payload_hex=kept.hex(), payload_bytes=len(raw), direction=self.cfg.direction,
                                post_role=self.cfg.role)
        event = self.journal.record(rejected)
        kind = "pass" if pass_id or reason != "malformed" else "code"
        return self._done(event, Decision("deny", reason, kind, self.cfg.direction, self.cfg.role, "",
                                          pass_id=pass_id, detail=rejected.detail, source=source))

    def _done(self, event: Event, decision: Decision) -> Decision:
        extra = dict(decision.extra)
        arrived = getattr(self._tls, "arrived", None)
        if arrived is not None:
            extra["frame_to_journal_ms"] = round((time.monotonic() - arrived) * 1000, 2)
        decision = Decision(**{**decision.to_json(), "at": event.occurred_at.isoformat(), "event_id": event.id,
                               "event_type": event.type, "extra": extra})
        self._recent.append(decision)
        self._publish({"type": "decision", **decision.to_json()})
        return decision

    # -- device threads -------------------------------------------------------------------------

    def _camera_loop(self) -> None:
        seq = 0
        camera = self.camera
        assert camera is not None  # the loop runs only for a configured camera
        while not self._stop.is_set():
            frame = camera.next_frame(seq, timeout=0.5)
            if frame is None:
                continue
            seq = frame.seq
            try:
                self.submit_frame(frame.image, source=f"camera:{self.cfg.camera}", arrived=frame.arrived)
            except JournalError as err:
                self._error(f"journal: {err}")
            except Exception as err:  # one bad frame must never stop scanning
                log.exception("access: frame failed")
                self._error(f"{type(err).__name__}: {err}")

    def _reader_read(self, url: str, text: str) -> None:
        try:
            self.scan_card(text, reader=url)
        except JournalError as err:
            self._error(f"journal: {err}")

    def _error(self, message: str) -> None:
        self.last_error = message[:300]
        self._publish({"type": "status", **self.status()})


def _why_unreadable(raw: bytes, text: str | None) -> str:
    if len(raw) == 0:
        return "empty code"
    if text is None:
        try:
            raw.decode("utf-8")
            return "code is text but not a visitor pass, badge or card"
        except UnicodeDecodeError:
            return f"binary code of {len(raw)} bytes (not UTF-8): not a visitor pass, badge or card"
    if len(text) > 64:
        return f"code of {len(text)} characters is not a visitor pass, badge or card"
    return "code has control characters: not a visitor pass, badge or card"
