"""Reading and replacing a site's directory."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, delete, insert, select

from ..store import Store
from .tables import directory


def phone_key(number: str | None) -> str | None:
    """What two ways of writing one number have in common: its digits, without the country
    prefix of a Chinese mobile number (+86 138…, 0086 138…, 138…) or a trunk 0 of a landline.
    None when there are fewer than 3 digits."""
    digits = "".join(ch for ch in (number or "") if ch.isdigit())
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("86") and len(digits) in (12, 13):
        digits = digits[2:]
    digits = digits.lstrip("0") if len(digits) >= 10 else digits
    return digits[-20:] if len(digits) >= 3 else None


class Directory:
    """One site's units and residents in central's database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def replace(self, site: str, entries: Iterable[dict[str, Any]]) -> int:
        """Replace the site's whole directory with `entries` ({unit, name?, phone?}); the count kept."""
        now = datetime.now(UTC)
        rows = [{"site": site, "unit": e["unit"], "name": e.get("name") or None, "phone": e.get("phone") or None,
                 "phone_key": phone_key(e.get("phone")), "updated_at": now} for e in entries]
        with self.store.engine.begin() as conn:
            conn.execute(delete(directory).where(directory.c.site == site))
            if rows:
                conn.execute(insert(directory), rows)
        return len(rows)

    def units(self, site: str, typed: str = "", limit: int = 10) -> list[dict[str, Any]]:
        """Units whose name starts with (then contains) what was typed, each with its residents
        (resident_name, phone: the keys the API masks); at most `limit` units, in unit order."""
        typed = typed.strip()[:32]
        like = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = select(directory.c.unit).where(directory.c.site == site)
        if typed:
            q = q.where(directory.c.unit.like(f"%{like}%", escape="\\"))
        # Units that start with what was typed come first, then those that merely contain it.
        starts = case((directory.c.unit.like(f"{like}%", escape="\\"), 0), else_=1)
        q = q.group_by(directory.c.unit).order_by(starts, directory.c.unit)
        with self.store.engine.connect() as conn:
            units = [r[0] for r in conn.execute(q.limit(limit))]
            rows = conn.execute(select(directory).where(directory.c.site == site, directory.c.unit.in_(units))
                                .order_by(directory.c.id)).mappings().all() if units else []
        residents: dict[str, list[dict[str, Any]]] = {u: [] for u in units}
        for r in rows:
            residents[r["unit"]].append({"resident_name": r["name"], "phone": r["phone"]})
        return [{"unit": u, "residents": residents[u]} for u in units]

    def units_of_phone(self, site: str, number: str) -> list[str]:
        """The units a phone number is listed for on the site (a resident's sign-in checks this)."""
        key = phone_key(number)
        if key is None:
            return []
        with self.store.engine.connect() as conn:
            return sorted({r[0] for r in conn.execute(select(directory.c.unit).where(
                directory.c.site == site, directory.c.phone_key == key))})

    def entries(self, site: str) -> list[dict[str, Any]]:
        """The whole directory of a site (unit, name, phone), in unit order."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(directory.c.unit, directory.c.name, directory.c.phone)
                                .where(directory.c.site == site).order_by(directory.c.unit, directory.c.id))
            return [dict(r._mapping) for r in rows]
