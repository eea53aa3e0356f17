"""Fixtures for the journeys in headless Chromium: one browser for the session, a fresh
context per visitor, axe-core on every page we serve, screenshots, and the site's public
address (SITE_URL) set to the live server's, so e-mailed links and QR codes lead there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.browser import AXE_SCRIPT, chromium_path

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = Path(
    os.environ.get("CREDENCE_SCREENSHOT_DIR") or REPO / "artifacts" / "screenshots"
)
# Moderate and minor findings we accept, each with its reason; serious and critical never.
ACCEPTED_FINDINGS = Path(__file__).with_name("axe_accepted.txt")
# axe-core is served to the page from this same-origin path by the browser context itself
# (never by the site), so the pages keep their Content-Security-Policy ('self' scripts).
AXE_PATH = "/__browser-tests__/axe.min.js"


def accepted_findings() -> list[tuple[str, re.Pattern, str]]:
    """(rule id, page path pattern, reason) for each line of axe_accepted.txt."""
    rows = []
    for line in ACCEPTED_FINDINGS.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rule, pattern, reason = (part.strip() for part in line.split("|", 2))
        assert reason, f"{ACCEPTED_FINDINGS.name}: {rule} needs a reason"
        rows.append((rule, re.compile(pattern), reason))
    return rows


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, driven by Playwright, for the whole session.

    Playwright's sync API keeps an asyncio loop running in this thread from start to stop,
    which Django's async-safety check would take for async code calling the ORM; the test
    code is synchronous, so the check is lifted for these tests (run last: conftest sorts
    them after all others) and restored afterwards.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=chromium_path())
    yield browser
    browser.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Site:
    url: str

    def path(self, page) -> str:
        return page.url.removeprefix(self.url)


@pytest.fixture
def site(live_server, settings, site_root, mailoutbox):
    """The live server as the site's public origin, with the course catalogue at its root."""
    settings.SITE_URL = live_server.url
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    return Site(url=live_server.url)


@pytest.fixture
def browse(chromium, site):
    """open_page(width=, language=, javascript=): a page in a new, cookie-less context."""
    contexts = []

    def open_page(*, width: int = 1280, language: str = "en", javascript: bool = True):
        context = chromium.new_context(
            base_url=site.url,
            viewport={"width": width, "height": 900},
            java_script_enabled=javascript,
            extra_http_headers={"Accept-Language": language},
            accept_downloads=True,
        )
        context.set_default_timeout(20_000)
        context.route(
            f"**{AXE_PATH}",
            lambda route: route.fulfill(path=str(AXE_SCRIPT), content_type="text/javascript"),
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def check_page(page, site: Site, *, within: str | None = None) -> None:
    """axe-core on the page as it is now, and no sideways scrolling at its width.

    Serious and critical violations always fail; moderate and minor ones fail unless
    axe_accepted.txt lists them for this page with a reason. `within` limits axe to one
    part of the page (our screens inside the Wagtail admin's frame).
    """
    path = site.path(page)
    page.add_script_tag(url=AXE_PATH)
    violations = page.evaluate(
        """async (within) => {
            // Within the admin, Wagtail's own message banner (it fades in, and is Wagtail's
            // to keep accessible) is left out with the rest of Wagtail's frame.
            const context = within ? {include: [within], exclude: [".messages"]} : document;
            const result = await axe.run(context, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }""",
        within,
    )
    accepted = accepted_findings()
    failing = [
        v
        for v in violations
        if v["impact"] in ("serious", "critical")
        or not any(rule == v["id"] and pattern.search(path) for rule, pattern, _ in accepted)
    ]
    assert not failing, f"axe on {path}:\n" + "\n".join(
        f"  [{v['impact']}] {v['id']}: {v['help']} at {v['nodes']}" for v in failing
    )
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{path} scrolls sideways at {widths[1]} px: {widths[0]} px wide"


def screenshot(page, name: str) -> Path:
    """A full-page screenshot in the screenshot folder (CI keeps it as an artefact)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


def screenshot_pdf(pdf: bytes, name: str, tmp_path: Path) -> Path | None:
    """The PDF's first page as a PNG, when poppler's pdftoppm is installed."""
    if shutil.which("pdftoppm") is None:
        return None
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    prefix = SCREENSHOT_DIR / name
    subprocess.run(
        ["pdftoppm", "-png", "-r", "72", "-singlefile", "-f", "1", str(source), str(prefix)],
        check=True,
        timeout=60,
    )
    return prefix.with_suffix(".png")
