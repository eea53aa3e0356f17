"""Badge PDF render time as a ratio to WeasyPrint rendering a minimal one-page document.

Run: .venv/bin/python bench/bench_render.py

Both are measured in this process with the same FontConfiguration, interleaved round by
round so a busy machine slows both alike. Prints median milliseconds (wall and CPU) and
the ratio, as information: issuance speed is held to targets fellows feel, completion →
badge ready, in bench_issuance.py. Exits 1 only when WeasyPrint logs that it fell back to
fontTools for font subsetting (libharfbuzz-subset0 missing: much slower).
"""

import logging
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")

import django  # noqa: E402

django.setup()

from weasyprint import HTML  # noqa: E402

from certificates.issuing.snapshot import BadgeSnapshot  # noqa: E402
from certificates.rendering.pdf import font_config, render_badge_pdf  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "25"))
MINIMAL = "<!DOCTYPE html><html lang=en><title>Floor</title><p>Hello, world.</p></html>"


class _FallbackWatch(logging.Handler):
    """Records WeasyPrint's 'Using fontTools instead of HarfBuzz-Subset' warning."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "fontTools" in message:
            self.seen.append(message)


def realistic_snapshot(round_number: int) -> BadgeSnapshot:
    # A new credential id each round, so nothing (the QR code, say) is reused between renders.
    public_id = f"7f3c9a2e-4b1d-4c8e-9f20-{round_number:012d}"
    return BadgeSnapshot(
        public_id=public_id,
        recipient_name="Amani Wanjiru Otieno",
        course_title="AI Ethics for Expert Trainers",
        badge_title="Responsible AI Trainer",
        badge_description=(
            "Completed the onboarding course on ethical data labelling, preference ranking, "
            "wellbeing when reviewing harmful content, and writing prompts with a single "
            "correct answer."
        ),
        criteria="Passed every module quiz with at least 80% and the final assessment.",
        score_percent=92,
        issued_on=date(2026, 11, 25),
        expires_on=date(2028, 11, 25),
        issuer_name="Credence Fellowship Programme",
        signatory_name="Grace Hopper",
        signatory_title="Director of Training",
        verify_url=f"https://credence.example.org/badges/{public_id}",
    )


# For comparison only: the barest certificate that still carries what the issue lists
# (issuer, name, course, date, score, id, QR code, address), seven elements in our fonts,
# rendered as PDF/A-3a like the badge. It shows what the target leaves room for.
BARE_CERTIFICATE = """<!DOCTYPE html><html lang=en><title>Certificate</title><style>
@page { size: A4 landscape; margin: 15mm } body { text-align: center; font-family: "Credence Sans" }
h1 { font-size: 30pt; margin-top: 30mm } img { width: 25mm; height: 25mm }</style>
<p>Credence Fellowship Programme</p><p>Certificate of completion</p>
<h1>Amani Wanjiru Otieno</h1><p>has completed AI Ethics for Expert Trainers</p>
<p>Issued 25 November 2026 · Score 92% · ID 7f3c9a2e-4b1d-4c8e-9f20-000000000001</p>
<img src="credence-generated:qr.png" alt="QR code">
<p>Verify at credence.example.org/badges/7f3c9a2e</p></html>"""


def bare_certificate_render() -> bytes:
    from certificates.rendering.pdf import BASE_URL, BadgeURLFetcher, _stylesheets
    from certificates.rendering.qr import verify_qr_png

    url = "https://credence.example.org/badges/7f3c9a2e-4b1d-4c8e-9f20-000000000001"
    fetcher = BadgeURLFetcher(
        storage_names=(), generated={"qr.png": (verify_qr_png(url), "image/png")}
    )
    return HTML(string=BARE_CERTIFICATE, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(
        font_config=font_config(),
        stylesheets=[_stylesheets()[0]],  # the @font-face rules
        pdf_variant="pdf/a-3a",
        pdf_tags=True,
    )


def floor_render() -> bytes:
    return HTML(string=MINIMAL).write_pdf(font_config=font_config())


def default_call_render() -> bytes:
    # WeasyPrint as most code calls it: a new FontConfiguration per document (slower).
    # Printed for comparison only; the target is held against the stricter floor.
    return HTML(string=MINIMAL).write_pdf()


def main() -> int:
    watch = _FallbackWatch()
    logging.getLogger("weasyprint").addHandler(watch)
    # Warm up as a long-running worker would be: fonts loaded, stylesheets parsed.
    floor_render()
    render_badge_pdf(realistic_snapshot(0))

    default_call_render()
    bare_certificate_render()
    names = ("floor", "default", "bare", "badge")
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(1, ROUNDS + 1):
        snapshot = realistic_snapshot(round_number)
        for name, action in (
            ("floor", floor_render),
            ("default", default_call_render),
            ("bare", bare_certificate_render),
            ("badge", lambda snapshot=snapshot: render_badge_pdf(snapshot)),
        ):
            wall, cpu = time.perf_counter(), time.process_time()
            action()
            walls[name].append((time.perf_counter() - wall) * 1000)
            cpus[name].append((time.process_time() - cpu) * 1000)

    floor_ms, badge_ms = (statistics.median(walls[k]) for k in ("floor", "badge"))
    floor_cpu, badge_cpu = (statistics.median(cpus[k]) for k in ("floor", "badge"))
    ratio = badge_ms / floor_ms
    print(f"rounds: {ROUNDS} (interleaved)")
    print(f"floor (minimal one-page document): {floor_ms:7.1f} ms wall  {floor_cpu:7.1f} ms CPU")
    default_ms = statistics.median(walls["default"])
    print(f"minimal document, WeasyPrint's default call: {default_ms:7.1f} ms wall")
    print(f"badge (render_badge_pdf, PDF/A-3a): {badge_ms:7.1f} ms wall  {badge_cpu:7.1f} ms CPU")
    print(
        f"ratio badge/floor: {ratio:.2f} wall, {badge_cpu / floor_cpu:.2f} CPU "
        "(information; the targets are bench_issuance.py's)"
    )

    print(f"ratio badge/default call: {badge_ms / default_ms:.2f} wall (for comparison)")
    bare_ms = statistics.median(walls["bare"])
    print(
        f"bare seven-element certificate, PDF/A-3a: {bare_ms:7.1f} ms wall, "
        f"ratio {bare_ms / floor_ms:.2f} to the floor (for comparison)"
    )
    failed = False
    if watch.seen:
        print("FAIL: WeasyPrint fell back to fontTools subsetting: install libharfbuzz-subset0")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
