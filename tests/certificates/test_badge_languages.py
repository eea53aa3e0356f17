"""A badge is worded in the language of the course it was earned in, for good (issue 14).

Through the real services: a completion issues the badge in the language the fellow
completed in (or the course page's locale), the PDF prints in it with Traditional Chinese
glyphs on a zh-Hant badge, the credential states it and an independent verifier accepts
it, and re-renders and re-issues keep it.
"""

import io
import logging
from datetime import date

import jsonschema
import pytest
from django.db import transaction
from django.utils import formats, translation
from pypdf import PdfReader
from wagtail.models import Locale

from certificates.issuing import issuance
from certificates.models import Badge
from courses.models import CoursePage
from tests.certificates.pdf_fonts import DrawnGlyph, drawn_glyphs, shipped_outline
from tests.certificates.test_rendering import squash
from tests.certificates.test_rendering_languages import (
    NAME,
    SC_FACE,
    SHAPES_DIFFER,
    TC_FACE,
    TRADITIONAL_ONLY,
)

from .ob3_support import schema

pytestmark = pytest.mark.django_db

SITE_LANGUAGES = [("en", "English"), ("zh-hant", "繁體中文")]


@pytest.fixture(autouse=True)
def languages(settings):
    settings.LANGUAGES = SITE_LANGUAGES


def issue(completion, capture, **language) -> Badge:
    with capture(execute=True):
        with transaction.atomic():
            badge = issuance.request_badge_for_completion(completion, **language)
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED, badge.last_error
    return badge


def set_course_locale(course, language_code: str) -> None:
    locale, _ = Locale.objects.get_or_create(language_code=language_code)
    CoursePage.objects.filter(pk=course.pk).update(locale=locale)


def pdf_of(badge: Badge) -> bytes:
    badge.refresh_from_db()
    with badge.pdf.open("rb") as handle:
        return handle.read()


def pdf_language(pdf: bytes) -> str:
    return str(PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"])


def pdf_text(pdf: bytes) -> str:
    return squash(PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


def chinese_date(badge: Badge) -> str:
    """The badge's day as the zh-Hant locale writes it ("2026年12月7日" with Django's)."""
    with translation.override("zh-hant"):
        day = formats.date_format(date.fromisoformat(badge.snapshot["issued_on"]), "DATE_FORMAT")
    assert "年" in day
    return squash(day)


@pytest.mark.parametrize(
    ("language", "face", "path"),
    [("zh-hant", "Credence-CJK-TC", TC_FACE), ("en", "Credence-CJK", SC_FACE)],
)
def test_cjk_glyph_test(
    fellow, design, completion, django_capture_on_commit_callbacks, language, face, path
):
    """Must show (issue 14): a Traditional-only character and one whose Traditional and
    Simplified shapes differ render from the Traditional face on a zh-Hant badge; the
    same name on an English badge keeps the Simplified face."""
    fellow.display_name = NAME
    fellow.save()
    badge = issue(completion, django_capture_on_commit_callbacks, language=language)
    assert badge.snapshot["language"] == language
    pdf = pdf_of(badge)
    drawn = drawn_glyphs(pdf)
    for char in TRADITIONAL_ONLY + SHAPES_DIFFER:
        assert drawn[char] == {DrawnGlyph(face, shipped_outline(path, char))}, char
        assert shipped_outline(TC_FACE, char) != shipped_outline(SC_FACE, char)
    assert squash(NAME) in pdf_text(pdf)


def test_a_zh_hant_badge_prints_its_date_in_traditional_chinese(
    design, completion, django_capture_on_commit_callbacks
):
    badge = issue(completion, django_capture_on_commit_callbacks, language="zh-hant")
    pdf = pdf_of(badge)
    assert pdf_language(pdf) == "zh-Hant"
    assert chinese_date(badge) in pdf_text(pdf)


def test_without_a_language_the_badge_takes_the_course_pages_locale(
    course, design, completion, django_capture_on_commit_callbacks
):
    set_course_locale(course, "zh-hant")
    badge = issue(completion, django_capture_on_commit_callbacks)
    assert badge.snapshot["language"] == "zh-hant"
    assert pdf_language(pdf_of(badge)) == "zh-Hant"


def test_the_language_completed_in_wins_over_the_course_pages_locale(
    course, design, completion, django_capture_on_commit_callbacks
):
    set_course_locale(course, "zh-hant")
    badge = issue(completion, django_capture_on_commit_callbacks, language="en")
    assert badge.snapshot["language"] == "en"


@pytest.mark.parametrize(
    ("requested", "course_locale", "worded_in", "warned"),
    [
        ("zh-TW", "en", "zh-hant", False),  # Django's fallback from zh-tw
        ("zh-Hant", "en", "zh-hant", False),  # the BCP 47 spelling
        ("en-gb", "zh-hant", "en", False),
        ("fr", "zh-hant", "zh-hant", True),  # not offered: the course page's locale
        ("zh-hans", "en", "en", True),  # Simplified is not offered, and is not zh-hant
        ("", "zh-hant", "zh-hant", False),
    ],
)
def test_the_badge_is_worded_in_a_language_the_site_offers(
    course,
    design,
    completion,
    django_capture_on_commit_callbacks,
    caplog,
    requested,
    course_locale,
    worded_in,
    warned,
):
    set_course_locale(course, course_locale)
    with caplog.at_level(logging.WARNING, logger="credence.badges"):
        badge = issue(completion, django_capture_on_commit_callbacks, language=requested)
    assert badge.snapshot["language"] == worded_in
    assert (f"badge language {requested!r}" in caplog.text) == warned


def test_a_course_locale_the_site_does_not_offer_gives_the_site_default(
    course, design, completion, django_capture_on_commit_callbacks, settings
):
    settings.LANGUAGE_CODE = "en"
    set_course_locale(course, "de")
    badge = issue(completion, django_capture_on_commit_callbacks)
    assert badge.snapshot["language"] == "en"


def test_a_rerender_keeps_the_badges_language(
    course, design, completion, django_capture_on_commit_callbacks
):
    completion.user.display_name = NAME
    completion.user.save()
    badge = issue(completion, django_capture_on_commit_callbacks, language="zh-hant")
    first_file = badge.pdf.name
    set_course_locale(course, "en")  # the course moved on; the badge did not
    with translation.override("en"):  # a staff member's admin session
        assert issuance.rerender_course_badges(course) == 1
    pdf = pdf_of(badge)
    assert badge.pdf.name != first_file  # rendered again (to the same bytes, as it happens)
    assert pdf_language(pdf) == "zh-Hant"
    assert chinese_date(badge) in pdf_text(pdf)
    assert {glyph.font for glyph in drawn_glyphs(pdf)["骨"]} == {"Credence-CJK-TC"}


def test_a_reissue_keeps_the_badges_language(
    course, design, completion, django_capture_on_commit_callbacks
):
    old = issue(completion, django_capture_on_commit_callbacks, language="zh-hant")
    set_course_locale(course, "en")
    with django_capture_on_commit_callbacks(execute=True):
        new = issuance.reissue_badge(old)
    new.refresh_from_db()
    assert new.state == Badge.State.ISSUED, new.last_error
    assert new.snapshot["language"] == "zh-hant"
    assert pdf_language(pdf_of(new)) == "zh-Hant"
    assert new.credential["inLanguage"] == "zh-Hant"


def test_a_badge_issued_before_badges_had_a_language_stays_english(
    course, design, completion, django_capture_on_commit_callbacks
):
    old = issue(completion, django_capture_on_commit_callbacks)
    snapshot = dict(old.snapshot)
    del snapshot["language"]
    Badge.objects.filter(pk=old.pk).update(snapshot=snapshot)
    old.refresh_from_db()
    set_course_locale(course, "zh-hant")
    with translation.override("zh-hant"):
        assert issuance.rerender_course_badges(course) == 1
    pdf = pdf_of(old)
    assert pdf_language(pdf) == "en"
    with django_capture_on_commit_callbacks(execute=True):
        new = issuance.reissue_badge(old)
    new.refresh_from_db()
    assert new.snapshot["language"] == "en"
    assert pdf_language(pdf_of(new)) == "en"


@pytest.mark.parametrize(("language", "tag"), [("zh-hant", "zh-Hant"), ("en", "en")])
def test_the_credential_states_the_language_and_an_outside_verifier_accepts_it(
    design, completion, django_capture_on_commit_callbacks, verify_served, language, tag
):
    """`inLanguage` on the credential and its achievement, in the spelling the 1EdTech
    schema requires, signed, and accepted by DCC's verifier with that schema."""
    completion.user.display_name = NAME
    completion.user.save()
    badge = issue(completion, django_capture_on_commit_callbacks, language=language)
    credential = badge.credential
    jsonschema.Draft201909Validator(schema()).validate(credential)
    assert credential["inLanguage"] == tag
    assert credential["credentialSubject"]["achievement"]["inLanguage"] == tag
    assert "inLanguage" not in credential["credentialSubject"]  # the name has no language
    code, verdict = verify_served(credential)
    assert (code, verdict["status"]) == (0, "valid"), verdict["failed"]
