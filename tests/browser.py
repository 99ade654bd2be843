"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright for Python.

One Playwright instance per test session: the sync API runs its own event loop on the main thread,
so a second `sync_playwright()` while the first is open fails.
"""
import os
import shutil
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


DOCS_SCREENS = Path(__file__).resolve().parents[1] / "docs" / "screens"


def keep_for_docs(shot: Path) -> None:
    """Refresh docs/screens/ (the README's pictures) from a test's screenshot — only when asked
    with FRONTDESK_REFRESH_SCREENS=1, so that running the suite leaves the checkout untouched."""
    if os.environ.get("FRONTDESK_REFRESH_SCREENS") == "1":
        DOCS_SCREENS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENS / shot.name)
