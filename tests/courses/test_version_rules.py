"""The version rules themselves (courses.versions), called without HTTP: where a number,
summary and renewal window stop being acceptable, how their text is stored, what the
baseline before a course's first version is called and dated, and which versions start a
module edition. Mutation testing showed these needed tests of their own; the journeys
through them are in test_versions.py and the admin's in test_admin_versions.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from certificates.models import Badge
from courses import gating, versions
from courses.models import CoursePage, CourseVersion
from tests.factories.accounts import UserFactory
from tests.factories.certificates import make_badge_design
from tests.factories.courses import make_course_with_modules, make_module
from tests.support.courses import complete_course, translate

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_and_modules(site_root):
    course, modules = make_course_with_modules(site_root, modules=2)
    return course, modules


def publish(course, **fields):
    values = {"number": "2027.1", "summary": "Changed.", "renewal_days": None, **fields}
    return versions.publish_version(course, **values)


def refusal(course, **fields) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        publish(course, **fields)
    return refused.value.message_dict


# --- limits, at their edges ---------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 3650])
def test_a_renewal_window_from_one_day_to_ten_years_is_accepted(course_and_modules, days):
    course, (first, _second) = course_and_modules
    version = publish(course, renewal_days=days, changed_modules=[first])
    assert version.renewal_days == days
    assert versions.renewal_deadline(version) == version.published_at + timedelta(days=days)


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_a_window_outside_those_bounds_says_what_they_are(course_and_modules, days):
    course, (first, _second) = course_and_modules
    errors = refusal(course, renewal_days=days, changed_modules=[first])
    assert errors == {"renewal_days": ["A renewal window is between 1 and 3650 days."]}
    assert not CourseVersion.objects.exists()


def test_a_number_of_forty_characters_is_kept_and_one_more_is_refused(course_and_modules):
    course, _modules = course_and_modules
    errors = refusal(course, number="9" * 41)
    assert errors == {"number": ["Keep it under 41 characters."]}
    assert publish(course, number="9" * 40).number == "9" * 40


def test_a_summary_of_two_thousand_characters_is_kept_and_one_more_is_refused(
    course_and_modules,
):
    course, _modules = course_and_modules
    errors = refusal(course, summary="s" * 2001)
    assert errors == {"summary": ["Keep it under 2001 characters."]}
    assert publish(course, summary="s" * 2000).summary == "s" * 2000


def test_every_field_in_error_is_named_at_once(course_and_modules):
    course, (first, _second) = course_and_modules
    errors = refusal(course, number=" ", summary="", renewal_days=0, changed_modules=[first])
    assert errors == {
        "number": ["Give the version a number, for example 2027.1."],
        "summary": ["Say in a sentence or two what changed."],
        "renewal_days": ["A renewal window is between 1 and 3650 days."],
    }


def test_an_invisible_character_is_named_by_its_code_point(course_and_modules):
    course, _modules = course_and_modules
    assert refusal(course, number="2027.1\u202e") == {
        "number": ["Remove the invisible character U+202E."]
    }
    assert refusal(course, summary="Tabs\tare controls.") == {
        "summary": ["Remove the invisible character U+0009."]
    }


def test_a_window_needs_a_changed_module_with_a_quiz_and_says_why(site_root):
    course, (quiz,) = make_course_with_modules(site_root, modules=1)
    reading = make_module(course, title="Reading only", questions=[])
    assert not reading.has_quiz and quiz.has_quiz
    message = (
        "Mark the modules that changed, at least one with a quiz: renewing fellows "
        "retake only those quizzes."
    )
    assert refusal(course, renewal_days=30, changed_modules=[reading]) == {
        "changed_modules": [message]
    }
    # A version needing no renewal may name a reading-only module as changed.
    assert list(publish(course, changed_modules=[reading]).changed_modules.all()) == [reading]


def test_a_module_of_another_course_is_refused_even_without_a_window(site_root, course_and_modules):
    course, _modules = course_and_modules
    _other, (stranger,) = make_course_with_modules(site_root, modules=1)
    assert refusal(course, changed_modules=[stranger]) == {
        "changed_modules": ["Only modules of this course can be marked as changed."]
    }
    assert not CourseVersion.objects.exists()


# --- how the text is stored --------------------------------------------------------------


def test_text_is_trimmed_composed_and_keeps_its_line_breaks(course_and_modules):
    course, _modules = course_and_modules
    version = publish(
        course,
        number="  Re\u0301vision 2  ",
        summary="\r\nFirst line.\r\nSecond line, cafe\u0301.\n",
    )
    version.refresh_from_db()
    assert version.number == "R\u00e9vision 2"
    assert version.summary == "First line.\nSecond line, caf\u00e9."


def test_a_line_break_in_the_number_is_refused(course_and_modules):
    course, _modules = course_and_modules
    assert refusal(course, number="2027\n1") == {
        "number": ["Remove the invisible character U+000A."]
    }


def test_a_used_number_is_refused_after_composing_it(course_and_modules):
    course, _modules = course_and_modules
    publish(course, number="R\u00e9vision")
    assert refusal(course, number="Re\u0301vision") == {
        "number": ["This course already has a version R\u00e9vision."]
    }
    assert CourseVersion.objects.filter(course=course).count() == 2  # baseline and one


# --- the baseline -------------------------------------------------------------------------


def test_the_baseline_is_dated_at_the_courses_first_publication(course_and_modules, staff_user):
    course, _modules = course_and_modules
    # The page object in hand predates its first publication: the date is read afresh.
    first_published = timezone.now() - timedelta(days=400)
    CoursePage.objects.filter(pk=course.pk).update(first_published_at=first_published)
    later = first_published + timedelta(days=90)
    with time_machine.travel(later, tick=False):
        version = publish(course, by=staff_user)
    baseline = CourseVersion.objects.get(course=course, sequence=1)
    assert (baseline.number, baseline.summary) == ("1", "The course as first published.")
    assert baseline.published_at == first_published
    assert (baseline.published_by, baseline.renewal_days) == (None, None)
    assert (version.sequence, version.published_at, version.published_by) == (
        2,
        later,
        staff_user,
    )


def test_a_course_never_published_dates_its_baseline_now(site_root):
    course, _modules = make_course_with_modules(site_root, modules=1)
    assert CoursePage.objects.get(pk=course.pk).first_published_at is None
    moment = timezone.now() + timedelta(hours=1)
    publish(course, now=moment)
    assert CourseVersion.objects.get(course=course, sequence=1).published_at == moment


def test_an_author_who_calls_the_first_version_1_gets_a_baseline_called_0(course_and_modules):
    course, _modules = course_and_modules
    version = publish(course, number="1")
    baseline = CourseVersion.objects.get(course=course, sequence=1)
    assert (baseline.number, version.number, version.sequence) == ("0", "1", 2)


def test_later_versions_add_no_baseline_and_count_on(course_and_modules):
    course, _modules = course_and_modules
    publish(course, number="a")
    publish(course, number="b")
    assert list(
        CourseVersion.objects.filter(course=course)
        .order_by("sequence")
        .values_list("sequence", "number")
    ) == [(1, "1"), (2, "a"), (3, "b")]


# --- editions and the current version -----------------------------------------------------


def test_only_versions_with_a_window_start_editions_of_the_modules_they_change(
    site_root, course_and_modules
):
    course, (first, second) = course_and_modules
    # Another course's versions first, so no version's id equals its sequence.
    other, _other_modules = make_course_with_modules(site_root, modules=1)
    publish(other, number="elsewhere")
    assert (versions.course_edition(course), versions.current_version(course)) == (0, None)
    clarification = publish(course, number="a", changed_modules=[first])
    assert versions.current_version(course) == clarification
    assert versions.course_edition(course) == 0
    assert (versions.module_edition(first), versions.module_edition(second)) == (0, 0)

    renewal = publish(course, number="b", renewal_days=30, changed_modules=[second])
    assert (versions.module_edition(first), versions.module_edition(second)) == (0, 3)
    assert versions.course_edition(course) == 3

    later_clarification = publish(course, number="c", changed_modules=[first, second])
    assert versions.current_version(course) == later_clarification
    assert versions.course_edition(course) == renewal.sequence == 3
    assert (versions.module_edition(first), versions.module_edition(second)) == (0, 3)


def test_the_gate_reads_each_modules_own_latest_edition(course_and_modules):
    course, (first, second) = course_and_modules
    publish(course, number="a", renewal_days=30, changed_modules=[first])
    publish(course, number="b", renewal_days=30, changed_modules=[second])
    publish(course, number="c", changed_modules=[first])  # no window: no edition
    inputs = gating.load_gate_inputs(UserFactory(), course)
    assert {m.id: m.edition for m in inputs.modules} == {first.pk: 2, second.pk: 3}
    publish(course, number="d", renewal_days=30, changed_modules=[first])  # its latest
    inputs = gating.load_gate_inputs(UserFactory(), course)
    assert {m.id: m.edition for m in inputs.modules} == {first.pk: 5, second.pk: 3}
    assert versions.module_edition(first) == 5


def test_editions_are_per_course(site_root, course_and_modules):
    course, (first, _second) = course_and_modules
    other, (elsewhere,) = make_course_with_modules(site_root, modules=1)
    publish(course, renewal_days=30, changed_modules=[first])
    assert (versions.course_edition(other), versions.module_edition(elsewhere)) == (0, 0)
    assert versions.current_version(other) is None


def test_a_version_needing_no_renewal_has_no_deadline(course_and_modules):
    course, _modules = course_and_modules
    assert versions.renewal_deadline(publish(course)) is None


def test_a_translation_reads_and_publishes_the_versions_of_its_source(
    course_and_modules, site_root
):
    course, (first, _second) = course_and_modules
    translate(site_root)
    translated = translate(course)

    version = versions.publish_version(
        translated.specific,
        number="2027.1",
        summary="Changed.",
        changed_modules=[first],
        renewal_days=30,
    )
    assert version.course_id == course.pk
    assert versions.current_version(translated) == version
    assert versions.versions_of(translated) == versions.versions_of(course)
    assert versions.renewal_ask(translated, 1).changed_modules == (first,)


def test_a_badge_of_the_baseline_is_due_by_the_window_of_the_first_renewal(
    course_and_modules, django_capture_on_commit_callbacks
):
    course, (first, _second) = course_and_modules
    make_badge_design(course)
    fellow = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(fellow, course)
    version = publish(course, renewal_days=45, changed_modules=[first])
    badge = Badge.objects.get(recipient=fellow)
    assert badge.renew_by == version.published_at + timedelta(days=45)


def test_the_version_in_force_is_one_of_the_courses_own(site_root, course_and_modules):
    course, _modules = course_and_modules
    other, _other_modules = make_course_with_modules(site_root, modules=1)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        own = publish(course, number="own")
    with time_machine.travel(start + timedelta(days=1), tick=False):
        for number in ("a", "b", "c"):  # a higher sequence than any of the course's
            publish(other, number=number)
    assert versions.version_in_force(course, start + timedelta(days=2)) == own
    assert versions.version_in_force(other, start).course_id == other.pk  # its first


def test_a_renewal_ask_is_true_only_when_a_later_version_asks_for_renewal(course_and_modules):
    course, (first, _second) = course_and_modules
    publish(course, number="a")
    assert not versions.renewal_ask(course, 1)
    publish(course, number="b", renewal_days=30, changed_modules=[first])
    assert versions.renewal_ask(course, 1)
    assert not versions.renewal_ask(course, 3)
