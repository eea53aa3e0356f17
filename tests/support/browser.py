"""What the browser tests need, found without importing Playwright: Debian's Chromium,
Playwright for Python (driving that Chromium, never a downloaded one) and axe-core from
tests/browser/node_modules (`npm ci --prefix tests/browser`)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

AXE_SCRIPT = Path(__file__).resolve().parents[1] / "browser/node_modules/axe-core/axe.min.js"


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


def why_no_browser() -> str | None:
    """None when the browser tests can run, else what is missing and how to get it."""
    missing = []
    if chromium_path() is None:
        missing.append("Debian's chromium (apt-get install chromium chromium-driver)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("Playwright for Python (pip install -e '.[dev]')")
    if not AXE_SCRIPT.is_file():
        missing.append("axe-core (npm ci --prefix tests/browser)")
    return "needs " + " and ".join(missing) if missing else None
