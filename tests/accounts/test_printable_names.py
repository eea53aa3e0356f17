"""A name must be printable with the badge fonts: refused, naming the characters, when entered.

Issue 11, item 3: sign-up, a profile change and a manual award each refuse a name with a
character no shipped font covers, before anything is stored or issued.
"""

import html

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from certificates.models import Badge
from certificates.rendering import glyph_coverage
from courses.models import CoursePage
from lms.accounts.names import clean_display_name
from tests.factories.certificates import make_badge_design

from .test_signup_profile import PROFILE_URL, signup

User = get_user_model()
HIEROGLYPH = "\U00013000"  # 𓀀 EGYPTIAN HIEROGLYPH A001: a real letter no badge font has
REFUSAL = f"These characters cannot be printed on a badge: {HIEROGLYPH} (U+13000)"


def test_coverage_is_the_shipped_fonts_read_once_per_process():
    assert glyph_coverage.covered_code_points() is glyph_coverage.covered_code_points()
    declared = glyph_coverage.shipped_font_files()
    assert {path.name for path in declared} >= {
        "NotoEmoji-Regular.ttf",
        "NotoSansHebrew-Regular.ttf",
        "NotoSansCJKsc-Regular.otf",
    }
    on_disk = {p.name for p in glyph_coverage.FONTS_DIR.iterdir() if p.suffix in (".ttf", ".otf")}
    assert {path.name for path in declared} == on_disk  # no font shipped but unused
    licence = (glyph_coverage.FONTS_DIR / "OFL.txt").read_text()
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Noto Emoji" in licence


@pytest.mark.parametrize(
    "name",
    [
        "Zoë 👩🏽‍🔬 Q.",  # ZWJ and a skin-tone modifier
        "Ana ❤️ 1️⃣ 🇫🇷",  # variation selector, keycap, flag
        "שרה לוי",
        "محمد عبد الله",
        "王小明 김민준 山田 太郎",
        "प्रियंका क्षत्रिय",
        "Adébáyọ̀ Ọlọ́run",
        "Ελένη Дмитрий",
    ],
)
def test_names_the_fonts_cover_are_accepted(name):
    assert glyph_coverage.unprintable_characters(name) == []
    assert clean_display_name(name) == name


def test_uncovered_characters_are_named_once_each_in_order():
    with pytest.raises(ValidationError) as caught:
        clean_display_name(f"Ada {HIEROGLYPH} தமிழ் {HIEROGLYPH}")
    message = caught.value.messages[0]
    assert message.startswith(
        f"These characters cannot be printed on a badge: {HIEROGLYPH} (U+13000), "
        "த (U+0BA4), ம (U+0BAE), ி (U+0BBF), ழ (U+0BB4), ் (U+0BCD)."
    )
    assert message.count("U+13000") == 1


@pytest.mark.django_db
def test_signup_refuses_an_unprintable_name_naming_the_character(client):
    response = signup(client, name=f"Ada {HIEROGLYPH} Lovelace")
    assert response.status_code == 200
    body = response.content.decode()
    assert html.escape(REFUSAL) in body
    assert 'id="id_display_name_error"' in body
    assert not User.objects.exists()


def test_profile_refuses_an_unprintable_name_and_keeps_the_old_one(client, fellow):
    client.force_login(fellow)
    response = client.post(PROFILE_URL, {"display_name": f"Ada {HIEROGLYPH}"})
    assert response.status_code == 200
    assert html.escape(REFUSAL) in response.content.decode()
    fellow.refresh_from_db()
    assert fellow.display_name == "Ada Lovelace"


def test_manual_award_refuses_a_fellow_whose_stored_name_cannot_print(
    verified_staff_client, fellow, site_root
):
    course = site_root.add_child(
        instance=CoursePage(title="Foundations", slug="foundations", summary="How.")
    )
    make_badge_design(course)
    # A name stored before the check existed.
    User.objects.filter(pk=fellow.pk).update(display_name=f"Ada {HIEROGLYPH}")
    response = verified_staff_client.post(
        reverse("badges:award"), {"email": fellow.email, "course": course.pk}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert html.escape(REFUSAL) in body
    assert "change the name on their profile" in body
    assert not Badge.objects.exists()
