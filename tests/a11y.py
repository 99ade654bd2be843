"""Accessibility checks for the browser tests: axe-core (npm, pinned in package-lock.json and
installed by scripts/setup) run inside the page against WCAG 2.0/2.1/2.2 A and AA, and a check
that every touch target on a phone page is at least 44 × 44 CSS px (WCAG 2.2 asks 24; 44 is the
norm for touch, field facts §4)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# What counts as a touch target: anything a finger is meant to press.
TARGETS = "a[href], button, input:not([type=hidden]), select, textarea, [role=button], [role=tab], [tabindex]"


def axe_violations(page: Any, context: str | None = None) -> list[dict[str, Any]]:
    """axe-core's WCAG A/AA violations on the page as it is now (or inside the `context` selector)."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run scripts/setup (it installs axe-core with npm)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol, not as a <script> tag: the pages'
        # Content-Security-Policy (script-src 'self') rightly refuses inline scripts.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async ([context, tags]) => {
             const r = await axe.run(context || document, {runOnly: {type: "tag", values: tags}});
             return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary)}));
           }""", [context, WCAG_AA])
    return result


def assert_accessible(page: Any, context: str | None = None) -> None:
    """Fail with axe-core's findings if the page (or `context`) breaks a WCAG 2.2 A/AA rule."""
    found = axe_violations(page, context)
    assert not found, "accessibility violations on " + page.url + ":\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found)


def small_targets(page: Any, min_px: int = 44) -> list[str]:
    """Visible touch targets smaller than `min_px` in either direction (a label wrapping a small
    checkbox counts as the label's size)."""
    return page.evaluate(
        """([sel, min]) => {
             const small = [];
             for (const el of document.querySelectorAll(sel)) {
               const style = getComputedStyle(el);
               if (style.visibility === "hidden" || style.display === "none") continue;
               let r = el.getBoundingClientRect();
               if (r.width === 0 && r.height === 0) continue;
               const label = el.closest("label");
               if (label) r = label.getBoundingClientRect();
               if (r.width < min || r.height < min) {
                 const name = (el.getAttribute("aria-label") || el.textContent || el.name || el.id || "").trim();
                 const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
                 small.push(`${el.tagName.toLowerCase()} "${name.slice(0, 30)}" ${size}`);
               }
             }
             return small;
           }""", [TARGETS, min_px])


def assert_touch_targets(page: Any, min_px: int = 44) -> None:
    """Fail naming every visible touch target smaller than `min_px` × `min_px` CSS px."""
    small = small_targets(page, min_px)
    assert not small, f"touch targets under {min_px} px on {page.url}: {small}"
