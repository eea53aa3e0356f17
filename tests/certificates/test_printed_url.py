"""The verify URL printed on the badge PDF: in full, scheme included, never broken inside
the badge's id, as text extractors (pypdf and poppler's pdftotext) read it back."""

import io
import shutil
import subprocess
from datetime import date

import pytest
from django.test import override_settings
from pypdf import PdfReader

from certificates.issuing.snapshot import BadgeSnapshot
from certificates.rendering.pdf import printed_url, render_badge_pdf
from tests.support.badges import issue_badge_now

# A real deployment's address, long enough that the old 66 mm line wrapped it.
LONG_ISH_SITE_URL = "https://credentials.example-university.org"
# Hyphens inside an id are where a line used to break.
HYPHENATED_ID = "Zq3-xK_9bT-4mWv2-Lp8sRn0"


def extracted_lines(pdf: bytes) -> dict[str, list[str]]:
    """The page's text lines as each extractor gives them."""
    lines = {"pypdf": PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()}
    if shutil.which("pdftotext"):
        result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
        lines["pdftotext"] = result.stdout.decode().splitlines()
    return lines


def snapshot(site_url: str, public_id: str = HYPHENATED_ID) -> BadgeSnapshot:
    return BadgeSnapshot(
        public_id=public_id,
        recipient_name="Ada Lovelace",
        course_title="AI Ethics for Expert Trainers",
        badge_title="Responsible AI Trainer",
        badge_description="Completed the onboarding course on ethical data labelling.",
        criteria="Passed every module quiz.",
        score_percent=None,
        issued_on=date(2026, 11, 25),
        expires_on=None,
        issuer_name="Credence",
        signatory_name="Grace Hopper",
        signatory_title="Director of Training",
        verify_url=f"{site_url}/badges/{public_id}/",
    )


@pytest.mark.django_db
def test_an_issued_badge_prints_its_whole_url_with_scheme_on_one_line(
    design, completion, django_capture_on_commit_callbacks
):
    if not shutil.which("pdftotext"):
        pytest.skip("needs poppler-utils (pdftotext), which .ci/run installs")
    with override_settings(SITE_URL=LONG_ISH_SITE_URL):
        badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    url = f"{LONG_ISH_SITE_URL}/badges/{badge.public_id}/"
    assert badge.snapshot["verify_url"] == url
    with badge.pdf.open("rb") as handle:
        pdf = handle.read()
    for extractor, lines in extracted_lines(pdf).items():
        assert url in [line.strip() for line in lines], (extractor, lines)


def test_a_hyphenated_id_is_never_broken_across_lines():
    url = f"{LONG_ISH_SITE_URL}/badges/{HYPHENATED_ID}/"
    for extractor, lines in extracted_lines(render_badge_pdf(snapshot(LONG_ISH_SITE_URL))).items():
        assert url in [line.strip() for line in lines], (extractor, lines)


def test_an_address_too_long_for_one_line_breaks_before_the_id_not_inside_it():
    site_url = "https://badges.credentials.faculty-of-engineering.example-university.org"
    pdf = render_badge_pdf(snapshot(site_url))
    for extractor, lines in extracted_lines(pdf).items():
        stripped = [line.strip() for line in lines]
        at = stripped.index(f"{HYPHENATED_ID}/")  # the id whole, on its own line
        assert stripped[at - 1] == f"{site_url}/badges/", (extractor, stripped)


def test_printed_url_splits_off_the_id_and_shrinks_long_urls():
    short = printed_url("https://lms.example.org/badges/abc-def/", "abc-def")
    assert (short.head, short.tail, short.size) == (
        "https://lms.example.org/badges/",
        "abc-def/",
        "m",
    )
    assert printed_url(f"{LONG_ISH_SITE_URL}/badges/{HYPHENATED_ID}/", HYPHENATED_ID).size == "xs"
    # A URL that does not hold the id prints whole (it still carries its scheme).
    assert printed_url("https://x.org/other", "abc").head == "https://x.org/other"
