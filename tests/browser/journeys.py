"""Building blocks of the journeys: the course they run on, the words a visitor reads in
their language, and what a downloaded badge PDF says about itself."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from django.conf import settings
from django.utils import translation

from certificates.models import Badge
from tests.factories.accounts import UserFactory
from tests.factories.certificates import make_badge_design
from tests.factories.courses import (
    CourseCompletionFactory,
    make_course,
    make_module,
    preference,
    single_choice,
)

COOLDOWN_MINUTES = 10


def words(language: str) -> Callable[..., str]:
    """gettext (pgettext with a context) in `language`: the journeys look for what a reader
    of it sees."""

    def translate(message: str, context: str | None = None) -> str:
        with translation.override(language):
            if context is not None:
                return translation.pgettext(context, message)
            return translation.gettext(message)

    return translate


def field_name(label: str) -> re.Pattern:
    """A form field's accessible name: its label, then Django's label suffix or the
    admin's required-field star, if any."""
    return re.compile(rf"^\s*{re.escape(label)}\s*[:：*]?\s*$")


def site_speaks(language: str) -> bool:
    """Is `language` the site's own, or one the project chose to offer? (Django's default
    LANGUAGES names every language it has, offered or not.)"""
    if language == settings.LANGUAGE_CODE:
        return True
    offered = settings.is_overridden("LANGUAGES")
    return offered and any(code == language for code, _ in settings.LANGUAGES)


def build_course(site_root):
    """A two-module course with a badge design: the first module's quiz needs every answer
    right and makes a failed fellow wait COOLDOWN_MINUTES; the second opens after it."""
    course = make_course(
        site_root,
        title="Foundations of AI Data Labeling",
        slug="foundations",
        summary="How expert trainers rank and explain model responses.",
    )
    ranking = make_module(
        course,
        title="Ranking responses",
        slug="ranking",
        body=[
            {"type": "heading", "value": {"text": "Pairwise ranking", "anchor": "pairwise"}},
            {"type": "paragraph", "value": "<p>Rank the accurate response above the long one.</p>"},
        ],
        questions=[
            single_choice(
                prompt="Which response ranks first?",
                choices=(("The accurate one", True), ("The longer one", False)),
                review_section="pairwise",
            ),
            single_choice(
                prompt="What does a rationale cite?",
                choices=(("The guideline", True), ("A feeling", False)),
                review_section="pairwise",
            ),
        ],
        pass_mark_percent=100,
        max_attempts=3,
        cooldown_minutes=COOLDOWN_MINUTES,
    )
    rationales = make_module(
        course,
        title="Writing rationales",
        slug="rationales",
        questions=[
            single_choice(
                prompt="A good rationale is…",
                choices=(("Specific", True), ("Long", False)),
            ),
            preference(prompt="Which response is better for the learner?", gold=0),
        ],
        pass_mark_percent=100,
    )
    make_badge_design(course, title="Certified AI Data Labeler")
    return course, ranking, rationales


def issued_badge(site_root) -> Badge:
    """A fellow's badge for a course they completed: issued, signed and rendered."""
    from certificates.issuing import issuance

    course = make_course(site_root, title="Evaluating model code", slug="code")
    make_badge_design(course, title="Certified Code Reviewer")
    fellow = UserFactory(email="grace@example.org", display_name="Grace Hopper")
    completion = CourseCompletionFactory(user=fellow, course=course)
    # No transaction around it: this is a transactional test, so the render job queued on
    # commit runs at once (eager Celery), as it would after a fellow's last quiz.
    badge = issuance.request_badge_for_completion(completion)
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED, badge.last_error
    return badge


def qr_urls(pdf: bytes) -> list[str]:
    """Every QR code on the PDF's first page, decoded from its images."""
    import zxingcpp
    from pypdf import PdfReader

    images = [image.image for image in PdfReader(io.BytesIO(pdf)).pages[0].images]
    return [
        result.text
        for image in images
        for result in zxingcpp.read_barcodes(image.convert("L"))
        if result.format == zxingcpp.BarcodeFormat.QRCode
    ]


def printed_urls(pdf: bytes, origin: str) -> list[str]:
    """The addresses under `origin` printed on the PDF's first page, as its text reads."""
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    return re.findall(re.escape(origin) + r"/\S+", text)
