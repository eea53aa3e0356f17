"""Names on badge PDFs: each script extracts exactly as issued, and nothing prints as a box.

Issue 11, items 3 and 4. The PDF is read back with pypdf (which builds text from glyphs)
and with poppler's pdftotext (which also honours /ActualText), and the name's line must
equal the issued name, character for character. Names are issued in NFC
(lms.accounts.names.clean_display_name); the PDF gives back that NFC string.
"""

import io
import logging
import shutil
import subprocess
import unicodedata
from functools import cache

import pytest
from pypdf import PdfReader

from certificates.rendering import glyph_coverage
from certificates.rendering.pdf import BadgeRenderError, render_badge_pdf
from lms.accounts.names import clean_display_name
from tests.certificates.test_rendering import snap

NAMES = {
    "arabic": "محمد عبد الله",  # the Allah ligature came out as "للهمحمد عبد ا" / "اهلل"
    "arabic-lam-alef": "صلاح الدين",  # a required ligature, which stays
    "hebrew": "שרה לוי",
    "chinese": "王小明",
    "devanagari": "देवनागरी नाम",  # pdftotext split "दे वनागरी" before /ActualText
    "devanagari-conjuncts": "प्रियंका क्षत्रिय",
    "latin-combining-marks": "Adébáyọ̀ Ọlọ́run",  # in NFC, ọ still takes U+0300 / U+0301
    "vietnamese": "Nguyễn Thị Minh Khai",
    "emoji": "Zoë 👩🏽‍🔬 Q.",
}
LEAD_IN = "This certifies that"  # the line printed just above the name
# pdftotext wraps each right-to-left run in U+202B ... U+202C when the page reads left to
# right. A name can never contain them (names.py refuses bidi controls), so dropping them
# loses nothing of the name.
POPPLER_RTL_WRAPPERS = str.maketrans("", "", "\u202a\u202b\u202c")


@cache
def rendered(name: str, course_title: str = "AI Ethics for Expert Trainers") -> bytes:
    return render_badge_pdf(snap(recipient_name=name, course_title=course_title))


def pypdf_lines(pdf: bytes) -> list[str]:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()


def pdftotext_lines(pdf: bytes, tmp_path) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils; .ci/run does)")
    path = tmp_path / "badge.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    return out.translate(POPPLER_RTL_WRAPPERS).splitlines()


def line_after(lines: list[str], lead_in: str) -> str:
    """The first non-blank line after `lead_in` (pdftotext separates blocks by blank lines)."""
    lines = [line for line in lines if line]
    return lines[lines.index(lead_in) + 1]


def test_the_names_are_what_sign_up_would_store():
    for name in NAMES.values():
        assert clean_display_name(name) == name == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_name_extracts_exactly_with_pypdf(name):
    assert line_after(pypdf_lines(rendered(name)), LEAD_IN) == name


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_name_extracts_exactly_with_pdftotext(name, tmp_path):
    assert line_after(pdftotext_lines(rendered(name), tmp_path), LEAD_IN) == name


def test_hyphenated_hebrew_name_extracts_exactly_with_pypdf():
    # The hyphen came from the Latin face, splitting the name into three glyph runs that
    # pypdf put out in drawing order: "גוריון-דוד בן". (pdftotext still gives that order:
    # its bidi pass sets a neutral between right-to-left words left to right.)
    name = "דוד בן-גוריון"
    assert line_after(pypdf_lines(rendered(name)), LEAD_IN) == name


def test_typed_decomposed_name_is_issued_and_extracted_composed(tmp_path):
    typed = unicodedata.normalize("NFD", "Zoë Ñúñez")
    issued = clean_display_name(typed)
    assert issued == "Zoë Ñúñez" != typed
    pdf = rendered(issued)
    assert line_after(pypdf_lines(pdf), LEAD_IN) == issued
    assert line_after(pdftotext_lines(pdf, tmp_path), LEAD_IN) == issued


def test_course_title_extracts_exactly(tmp_path):
    title = "देवनागरी लेखन — पहला भाग"
    pdf = rendered("Ada Lovelace", course_title=title)
    assert line_after(pdftotext_lines(pdf, tmp_path), "has completed the course") == title
    assert line_after(pypdf_lines(pdf), "has completed the course") == title


def test_name_wrapped_over_two_lines_is_one_name_in_pdftotext(tmp_path):
    name = "Adébáyọ̀ Ọlọ́run Oluwaseun Babatunde Olúwadámilọ́lá Ọ̀ṣun Ayọ̀délé Ìyábọ̀ " * 2
    name = name.strip()
    pdf = rendered(name)
    assert name not in "\n".join(pypdf_lines(pdf))  # it really is drawn on two lines
    assert line_after(pdftotext_lines(pdf, tmp_path), LEAD_IN) == name


# --- No boxes -------------------------------------------------------------------------


def embedded_font_names(pdf: bytes) -> set[str]:
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values()
    return {str(font.get_object()["/BaseFont"]).split("+", 1)[-1] for font in fonts}


def test_emoji_print_from_the_shipped_emoji_font():
    name = "Ana ❤️ 🇫🇷 👨‍👩‍👧‍👦 👩🏽‍🔬"
    assert glyph_coverage.unprintable_characters(name) == []
    pdf = render_badge_pdf(snap(recipient_name=name))  # no .notdef, or this raises
    assert "Credence-Emoji" in embedded_font_names(pdf)


# U+10FFFD (private use, plane 16) is in no font on any machine, so Pango's fallback to
# the system's fonts cannot hide the box.
NO_FONT_HAS_IT = "\U0010fffd"


def test_a_render_that_would_print_a_box_fails():
    with pytest.raises(BadgeRenderError, match=r"boxes.*U\+10FFFD"):
        render_badge_pdf(snap(recipient_name=f"Ada {NO_FONT_HAS_IT} Lovelace"))
    with pytest.raises(BadgeRenderError, match="boxes"):
        render_badge_pdf(snap(criteria=f"Passed {NO_FONT_HAS_IT} every quiz."))


def test_a_box_fails_the_render_even_when_weasyprint_logging_is_quieted():
    weasy_logger = logging.getLogger("weasyprint")
    level = weasy_logger.level
    weasy_logger.setLevel(logging.ERROR)  # as a deployment that hides CSS warnings would
    try:
        with pytest.raises(BadgeRenderError, match="boxes"):
            render_badge_pdf(snap(recipient_name=f"Ada {NO_FONT_HAS_IT}"))
        assert weasy_logger.level == logging.ERROR
    finally:
        weasy_logger.setLevel(level)


def test_a_name_that_would_print_a_box_is_not_issued_and_says_why(
    design, completion, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from certificates.issuing import issuance, publishing
    from certificates.models import Badge

    # A name stored before names were checked against the fonts.
    completion.user.display_name = f"Ada {NO_FONT_HAS_IT}"
    completion.user.save(update_fields=["display_name"])
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        badge = issuance.request_badge_for_completion(completion)
    with pytest.raises(BadgeRenderError):
        publishing.render_and_publish(badge.pk)
    badge.refresh_from_db()
    # Handed back for the task's retries and, after the last, the ALERT; never issued.
    assert badge.state == Badge.State.PENDING
    assert not badge.pdf and not badge.pdf_sha256
    assert "boxes for characters no badge font has" in badge.last_error
