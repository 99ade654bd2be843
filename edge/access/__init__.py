"""Access decisions at the lobby kiosk and the gate posts: section [access] of the edge TOML.

The service reads the camera (visitor passes, badges, printed cards) and the card readers,
decides offline in milliseconds, journals every decision as an event, and tells observers.
The agent builds it from [access] (config.py); the instance is `ctx.access` on the EdgeContext.

API for the screens (all methods are thread-safe; each returns after the event is on disk):

    svc = ctx.access                                # an AccessService (None: no [access])
    svc.status() -> dict                            # role, direction, site, camera/readers state,
                                                    #   cards (allow-list size), key_ids, last_error
    svc.recent(limit=20) -> [decision dict]         # newest first, for a screen that just connected
    svc.present() -> [visit dict]                   # visitors in and not out (phone masked)
    unsubscribe = svc.subscribe(fn)                 # fn(update) on every decision / state change,
                                                    #   called from the deciding thread: hand over
                                                    #   with loop.call_soon_threadsafe in asyncio
    q, unsubscribe = svc.watch(maxsize=100)         # the same updates in a bounded queue.Queue
    svc.register_walk_in(visitor_name, phone, host_unit, purpose="", registered_by="visitor"|"guard",
                         language="zh"|"en") -> Decision      # raises WalkInError(field, reason)
    svc.check_out(visit_id) -> Decision             # guard checks a visitor out by hand
    svc.scan_payload(raw_bytes, source="api") -> Decision   # a code read elsewhere (same rules)
    svc.scan_card(text, reader="api") -> Decision           # a card number read elsewhere
    svc.submit_frame(bgr_image) -> [Decision]       # decode one frame (the camera loop does this)
    svc.badge_allowance = fn                        # fn() -> bool asked before each badge print (the
                                                    #   screen's print limit); False: checked in
                                                    #   without a badge, extra["badge"] = "rate_limited"

Updates are dicts: {"type": "decision", **Decision.to_json()} or {"type": "status", **status()}.
A Decision (decision.py) has decision "allow"|"deny", reason ("ok", "forged", "expired",
"not_yet_valid", "already_used", "revoked", "wrong_site", "unknown_card", "malformed"), kind
("pass", "walk_in", "badge", "card", "code", "manual"), direction, post_role, name (visitor's
own name; card holders masked), unit, visit_id, checkout_code (for the badge QR), valid_until,
phone_masked, print_requested, detail, event_id, at.

Each call returns only once its event is on disk; if the journal cannot store it (disk full)
the call raises frontdesk.edge.journal.JournalError and nobody is admitted unrecorded.

Nothing here ever lists residents: cards are looked up by card id only, and a walk-in's host
unit is taken as typed. Commands from central: cards.allowlist.replace, passes.revoke.
Events: visitor.checked_in, visitor.checked_out, card.scanned, pass.rejected, print.requested,
access.device_state (camera / reader unplugged, back).
"""
from .config import AccessConfig
from .decision import Decision, mask_name
from .service import BADGE_PREFIX, AccessService, WalkInError, badge_code

__all__ = ["AccessConfig", "AccessService", "BADGE_PREFIX", "Decision", "WalkInError", "badge_code", "mask_name"]
