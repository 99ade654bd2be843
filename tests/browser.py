"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright for Python.

One Playwright instance per test session: the sync API runs its own event loop on the main thread,
so a second `sync_playwright()` while the first is open fails.
"""
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
