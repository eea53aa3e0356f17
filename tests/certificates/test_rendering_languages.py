"""A badge PDF in its own language: labels, dates, <html lang> and the Chinese glyph shapes.

Issue 14. Rendering needs no database: these build snapshots directly. The badge's
language arrives with its snapshot; tests/certificates/test_badge_languages.py issues
badges in a language through the real services.
"""

import io
from datetime import date

import pytest
from django.utils import formats, translation
from django.utils.translation import gettext
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from certificates.issuing.snapshot import BadgeSnapshot
from certificates.rendering import glyph_coverage
from certificates.rendering.pdf import badge_html, render_badge_pdf
from tests.certificates.pdf_fonts import DrawnGlyph, drawn_glyphs, shipped_outline
from tests.certificates.test_rendering import snap, squash, text_of

TC_FACE = glyph_coverage.FONTS_DIR / "NotoSansCJKtc-Regular.otf"
SC_FACE = glyph_coverage.FONTS_DIR / "NotoSansCJKsc-Regular.otf"
# 體 and 說 are written only in Traditional Chinese (Simplified: 体, 说); 骨 and 角 are the
# same characters in both, drawn differently (骨's inner stroke turns the other way).
TRADITIONAL_ONLY = "體說"
SHAPES_DIFFER = "骨角"
NAME = "陳" + TRADITIONAL_ONLY + SHAPES_DIFFER
# Labels the template prints (as its msgids) in elements that keep their case.
LABELS = ("Certificate of completion", "This certifies that", "has completed the course")
ISSUED_ON = date(2026, 11, 25)


def glyphs_of(pdf: bytes, chars: str) -> dict[str, set[DrawnGlyph]]:
    drawn = drawn_glyphs(pdf)
    return {char: drawn[char] for char in chars}


def test_the_chinese_faces_draw_these_characters_differently():
    """Without this the glyph tests below could not tell the faces apart."""
    for char in TRADITIONAL_ONLY + SHAPES_DIFFER:
        assert shipped_outline(TC_FACE, char) != shipped_outline(SC_FACE, char), char


def test_traditional_chinese_badge_draws_han_from_the_traditional_face():
    pdf = render_badge_pdf(snap(recipient_name=NAME, language="zh-hant"))
    for char, glyphs in glyphs_of(pdf, TRADITIONAL_ONLY + SHAPES_DIFFER).items():
        assert glyphs == {DrawnGlyph("Credence-CJK-TC", shipped_outline(TC_FACE, char))}, char


def test_english_badge_draws_the_same_name_from_the_simplified_face():
    pdf = render_badge_pdf(snap(recipient_name=NAME, language="en"))
    for char, glyphs in glyphs_of(pdf, TRADITIONAL_ONLY + SHAPES_DIFFER).items():
        assert glyphs == {DrawnGlyph("Credence-CJK", shipped_outline(SC_FACE, char))}, char


def test_both_chinese_faces_cover_the_same_characters():
    """So what a name may hold (glyph_coverage) does not depend on the badge's language."""
    covered = {}
    for path in (TC_FACE, SC_FACE):
        with TTFont(path, lazy=True) as font:
            font.setGlyphOrder([f"g{index}" for index in range(font["maxp"].numGlyphs)])
            covered[path.name] = set(font.getBestCmap())
    assert covered[TC_FACE.name] == covered[SC_FACE.name]
    assert {TC_FACE, SC_FACE} <= set(glyph_coverage.shipped_font_files())


def test_html_and_pdf_carry_the_language_as_a_bcp47_tag():
    assert '<html lang="zh-Hant"' in badge_html(snap(language="zh-hant"))
    pdf = render_badge_pdf(snap(language="zh-hant"))
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == "zh-Hant"


def test_traditional_chinese_badge_prints_labels_and_date_in_traditional_chinese():
    with translation.override("zh-hant"):
        labels = [gettext(label) for label in LABELS]
        issued = formats.date_format(ISSUED_ON, "DATE_FORMAT")
    with translation.override("en"):
        english_date = formats.date_format(ISSUED_ON, "DATE_FORMAT")
    assert issued != english_date  # Django's zh_Hant formats: "2026年11月25日"
    text = squash(text_of(render_badge_pdf(snap(issued_on=ISSUED_ON, language="zh-hant"))))
    assert squash(issued) in text and squash(english_date) not in text
    for label, msgid in zip(labels, LABELS, strict=True):
        assert squash(label) in text
        if label != msgid:  # once the zh-Hant catalogue translates it
            assert squash(msgid) not in text


def test_the_version_label_is_printed_in_the_badge_language():
    with translation.override("zh-hant"):
        label = gettext("Version %(number)s") % {"number": "2027.1"}
    with translation.override("en"):
        text = squash(text_of(render_badge_pdf(snap(version_number="2027.1", language="zh-hant"))))
    assert squash(label) in text
    if label != "Version 2027.1":  # once the zh-Hant catalogue translates it
        assert "Version2027.1" not in text


@pytest.mark.parametrize("active", ["en", "zh-hant"])
def test_the_badge_language_wins_over_the_callers(active):
    """A worker has no language and a staff member re-rendering has theirs: neither shows."""
    with translation.override(active):
        english = text_of(render_badge_pdf(snap(issued_on=ISSUED_ON, language="en")))
        chinese = badge_html(snap(issued_on=ISSUED_ON, language="zh-hant"))
        assert translation.get_language() == active
    assert "25 November 2026" in english
    with translation.override("zh-hant"):
        assert formats.date_format(ISSUED_ON, "DATE_FORMAT") in chinese


def test_snapshot_stored_before_badges_had_a_language_renders_in_english():
    stored = snap(recipient_name=NAME).to_dict()
    del stored["language"]
    old = BadgeSnapshot.from_dict(stored)
    assert old.language == "en"
    pdf = render_badge_pdf(old)
    assert "25 November 2026" in text_of(pdf)
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == "en"
    assert {glyph.font for glyph in drawn_glyphs(pdf)["骨"]} == {"Credence-CJK"}


def test_the_template_is_rendered_with_the_badge_language_active(monkeypatch):
    """What puts the PDF's {% translate %} labels in the badge's language, whichever
    catalogues exist: the language active while the template renders."""
    from certificates.rendering import pdf

    seen = []
    real = pdf.render_to_string

    def recording(*args, **kwargs):
        seen.append(translation.get_language())
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_to_string", recording)
    with translation.override("en"):
        render_badge_pdf(snap(language="zh-hant"))
    assert seen and set(seen) == {"zh-hant"}
