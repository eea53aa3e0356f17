"""The demo ships a finished badge design per course: a demo completion yields a badge."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from wagtail.images import get_image_model
from wagtail.models import Site

from certificates.models import Badge, BadgeDesign
from courses.demo import COURSES
from courses.demo.loader import FELLOW_EMAIL
from courses.models import CourseCompletion, CoursePage
from tests.support.courses import complete_course

pytestmark = pytest.mark.django_db


def run_load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_a_demo_completion_through_the_services_yields_one_issued_badge(
    django_capture_on_commit_callbacks,
):
    assert not CoursePage.objects.exists() and not Badge.objects.exists()
    run_load_demo()
    fellow = get_user_model().objects.get(email=FELLOW_EMAIL)
    course = CoursePage.objects.get(slug=COURSES[0].slug, locale__language_code="en")

    # The completion's transaction queues the render on commit; eager Celery runs it.
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(fellow, course)

    assert CourseCompletion.objects.filter(user=fellow, course=course).count() == 1
    badges = list(Badge.objects.filter(recipient=fellow))
    assert len(badges) == 1
    badge = badges[0]
    assert badge.state == Badge.State.ISSUED, badge.last_error
    assert badge.course_id == course.pk
    assert badge.snapshot["badge_title"] == COURSES[0].badge.title
    assert badge.snapshot["signatory_name"] == COURSES[0].badge.signatory_name
    assert badge.snapshot["artwork_path"]
    with badge.pdf.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_each_demo_course_gets_a_complete_design_with_its_artwork(db):
    output = run_load_demo()
    assert "Badge designs: 2 created, 0 updated, 0 unchanged" in output
    for spec in COURSES:
        design = BadgeDesign.objects.select_related("artwork").get(course__slug=spec.slug)
        design.full_clean()
        assert (design.title, design.signatory_name) == (
            spec.badge.title,
            spec.badge.signatory_name,
        )
        assert design.description and design.criteria and design.signatory_title
        assert design.artwork is not None
        with design.artwork.file.open("rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_running_load_demo_twice_creates_no_second_design_or_image(db):
    run_load_demo()
    versions = dict(BadgeDesign.objects.values_list("pk", "template_version"))
    images = get_image_model().objects.count()

    output = run_load_demo()

    assert "Badge designs: 0 created, 0 updated, 2 unchanged" in output
    assert dict(BadgeDesign.objects.values_list("pk", "template_version")) == versions
    assert get_image_model().objects.count() == images == len(COURSES)


def test_a_design_edited_by_hand_is_restored_with_one_new_version(db):
    run_load_demo()
    design = BadgeDesign.objects.get(course__slug=COURSES[0].slug)
    design.signatory_name = "Someone Else"
    design.save()
    version = BadgeDesign.objects.get(pk=design.pk).template_version

    output = run_load_demo()

    design.refresh_from_db()
    assert design.signatory_name == COURSES[0].badge.signatory_name
    assert design.template_version == version + 1
    assert "Badge designs: 0 created, 1 updated, 1 unchanged" in output


def test_load_demo_prints_and_uses_the_address_it_is_served_at(
    django_capture_on_commit_callbacks,
):
    # What `make run PORT=8123` gives the development settings (see tests/lms).
    with override_settings(SITE_URL="http://127.0.0.1:8123"):
        output = run_load_demo()
        site = Site.objects.get(is_default_site=True)
        fellow = get_user_model().objects.get(email=FELLOW_EMAIL)
        with django_capture_on_commit_callbacks(execute=True):
            complete_course(
                fellow, CoursePage.objects.get(slug=COURSES[0].slug, locale__language_code="en")
            )
    assert "Open http://127.0.0.1:8123/ and log in." in output
    assert "Demo curriculum at http://127.0.0.1:8123/" in output
    assert (site.hostname, site.port) == ("127.0.0.1", 8123)
    badge = Badge.objects.get(recipient=fellow)
    assert badge.snapshot["verify_url"].startswith("http://127.0.0.1:8123/badges/")
    assert badge.credential["id"].startswith("http://127.0.0.1:8123/badges/")
