"""The demo's guideline versions: Foundations ships 2026.1 and 2027.1 (one module changed,
a 60-day renewal window), and a fellow certified on 2026.1 finds that module open again."""

import dataclasses
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.models import Locale

from certificates.issuing.renewal import DUE_STATES
from certificates.models import Badge
from courses import gating, services
from courses.demo import COURSES
from courses.demo.foundations import m5_quality
from courses.demo.loader import ADMIN_EMAIL, FELLOW_EMAIL, RENEWING_FELLOW_EMAIL
from courses.models import CourseCompletion, CoursePage, CourseVersion, ModulePage, QuizAttempt
from courses.versions import renewal_ask, versions_of
from tests.support.courses import complete_course, right_answer

FOUNDATIONS = COURSES[0]
CHANGED = m5_quality.MODULE


def run_load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def foundations(language: str = "en") -> CoursePage:
    return CoursePage.objects.get(slug=FOUNDATIONS.slug, locale__language_code=language)


def user(email: str):
    return get_user_model().objects.get(email=email)


def anchors(body) -> list[str]:
    return [block["value"]["anchor"] for block in body if block["type"] == "heading"]


# --- The versions as data (no database) --------------------------------------------


def test_foundations_has_a_baseline_and_a_version_that_changes_one_module():
    first, second = FOUNDATIONS.versions
    assert (first.number, first.changed_modules, first.renewal_days) == ("2026.1", (), None)
    assert (second.number, second.changed_modules, second.renewal_days) == (
        "2027.1",
        (CHANGED.slug,),
        60,
    )
    assert first.summary and "ambiguous" in second.summary.lower()
    assert not any(course.versions for course in COURSES[1:])


def test_the_changed_module_adds_a_section_and_a_question_about_it():
    assert CHANGED in FOUNDATIONS.modules
    added = set(anchors(CHANGED.body)) - set(anchors(CHANGED.first_body))
    assert added == {"ambiguous-items"}
    new_questions = [q for q in CHANGED.questions if q not in CHANGED.first_questions]
    assert [q["value"]["review_section"] for q in new_questions] == ["ambiguous-items"]
    # The rest of the lesson and quiz is as 2026.1 had it.
    assert [b for b in CHANGED.body if b in CHANGED.first_body] == CHANGED.first_body
    assert CHANGED.questions[: len(CHANGED.first_questions)] == CHANGED.first_questions
    assert all(m.first_body is None for m in FOUNDATIONS.modules if m is not CHANGED)


# --- load_demo -----------------------------------------------------------------------


@pytest.fixture
def first_output(db):
    return run_load_demo()


def test_foundations_has_two_versions_the_second_changing_one_module(first_output):
    course = foundations()
    latest, baseline = versions_of(course)
    assert (baseline.sequence, baseline.number, baseline.renewal_days) == (1, "2026.1", None)
    assert baseline.summary == FOUNDATIONS.versions[0].summary
    assert baseline.published_at == course.first_published_at
    assert (latest.sequence, latest.number, latest.renewal_days) == (2, "2027.1", 60)
    assert [m.slug for m in latest.changed_modules.all()] == [CHANGED.slug]
    assert latest.published_by == user(ADMIN_EMAIL)
    # Versions are kept on the source course; the translation and Ethics have none.
    assert CourseVersion.objects.count() == 2
    assert "Guideline versions: 2 created, 0 unchanged" in first_output


def test_the_change_is_a_new_published_revision_of_the_module(first_output):
    module = ModulePage.objects.get(slug=CHANGED.slug, locale__language_code="en")
    revisions = list(module.revisions.order_by("created_at", "pk"))
    assert len(revisions) == 2
    before = revisions[0].as_object()
    assert "ambiguous-items" not in anchors(before.body.raw_data)
    assert len(before.quiz_questions) == len(CHANGED.first_questions)
    assert module.live_revision_id == revisions[1].pk
    assert "ambiguous-items" in anchors(module.body.raw_data)
    assert len(module.quiz_questions) == len(CHANGED.questions)
    # Every other module was published once.
    others = ModulePage.objects.filter(locale__language_code="en").exclude(slug=CHANGED.slug)
    assert {m.revisions.count() for m in others} == {1}


def test_the_renewing_fellow_holds_a_2026_badge_due_by_the_window(first_output):
    fellow = user(RENEWING_FELLOW_EMAIL)
    latest = versions_of(foundations())[0]
    badge = Badge.objects.select_related("course_version").get(recipient=fellow)
    assert badge.course == foundations()
    assert badge.state in DUE_STATES
    assert badge.course_version.number == "2026.1"
    assert badge.snapshot["version_number"] == "2026.1"
    assert badge.renew_by == latest.published_at + timedelta(days=60)
    assert CourseCompletion.objects.get(user=fellow).edition == 0
    assert f"{RENEWING_FELLOW_EMAIL} (fellow, " in first_output
    assert f"again by {badge.renew_by:%Y-%m-%d}" in first_output
    # The other demo fellow is as before: no progress, no badge.
    assert not Badge.objects.filter(recipient=user(FELLOW_EMAIL)).exists()
    assert not QuizAttempt.objects.filter(user=user(FELLOW_EMAIL)).exists()


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_renewal_gate_opens_exactly_the_changed_module(first_output, language):
    fellow = user(RENEWING_FELLOW_EMAIL)
    # Versions are kept on the source course; the translation is decided as its source.
    assert renewal_ask(foundations(), since_sequence=1).changed_modules == (
        ModulePage.objects.get(slug=CHANGED.slug, locale__language_code="en"),
    )
    course = foundations(language)
    _decision, inputs = gating.decide_course(fellow, course)
    progress = gating.course_progress(inputs)
    statuses = {row.module.title: row.status for row in progress.modules}
    changed_title = ModulePage.objects.get(slug=CHANGED.slug, locale=course.locale).title
    assert statuses.pop(changed_title) == gating.Status.OPEN
    assert set(statuses.values()) == {gating.Status.PASSED}
    assert (progress.passed, progress.required) == (4, 5)


def test_the_fellow_reads_the_new_rule_in_both_languages(first_output, client):
    client.force_login(user(RENEWING_FELLOW_EMAIL))
    zh_hant = Locale.objects.get(language_code="zh-hant")
    for locale_module in ModulePage.objects.filter(slug=CHANGED.slug):
        response = client.get(locale_module.url)
        assert response.status_code == 200, locale_module.locale
        html = response.content.decode()
        assert 'id="ambiguous-items"' in html
        assert "Since guidelines version 2027.1" in html
    assert ModulePage.objects.filter(slug=CHANGED.slug, locale=zh_hant).exists()


def test_passing_the_changed_module_renews_the_badge(first_output):
    fellow = user(RENEWING_FELLOW_EMAIL)
    old = Badge.objects.get(recipient=fellow)
    module = ModulePage.objects.get(slug=CHANGED.slug, locale__language_code="en")

    attempt = services.start_attempt(fellow, module)
    answers = {q["id"]: right_answer(q, attempt.answer_key[q["id"]]) for q in attempt.layout}
    assert services.submit_attempt(attempt, answers).attempt.passed

    old.refresh_from_db()
    new = Badge.objects.exclude(pk=old.pk).select_related("course_version").get(recipient=fellow)
    assert old.state == Badge.State.SUPERSEDED and old.superseded_by == new
    assert new.course_version.number == "2027.1" and new.renew_by is None
    assert CourseCompletion.objects.filter(user=fellow).count() == 2


def test_a_second_run_records_no_version_and_no_progress(first_output):
    counts = (
        CourseVersion.objects.count(),
        Badge.objects.count(),
        CourseCompletion.objects.count(),
        QuizAttempt.objects.count(),
    )
    renew_by = Badge.objects.get().renew_by

    output = run_load_demo()

    assert "Guideline versions: 0 created, 2 unchanged" in output
    assert (
        CourseVersion.objects.count(),
        Badge.objects.count(),
        CourseCompletion.objects.count(),
        QuizAttempt.objects.count(),
    ) == counts
    assert Badge.objects.get().renew_by == renew_by
    assert f"again by {renew_by:%Y-%m-%d}" in output


def test_a_demo_loaded_before_versions_gets_them_and_its_badges_are_asked_to_renew(db, monkeypatch):
    """A database loaded by the demo before it had versions: the module still has its
    2026.1 content and a fellow's badge names no version."""
    from courses.demo import loader

    old_module = dataclasses.replace(
        CHANGED, body=CHANGED.first_body, questions=CHANGED.first_questions, first_body=None
    )
    old_foundations = dataclasses.replace(
        FOUNDATIONS,
        versions=(),
        modules=[old_module if m is CHANGED else m for m in FOUNDATIONS.modules],
    )
    monkeypatch.setattr(loader, "COURSES", [old_foundations, *COURSES[1:]])
    run_load_demo()
    complete_course(user(FELLOW_EMAIL), foundations())
    assert not CourseVersion.objects.exists()
    assert Badge.objects.get(recipient=user(FELLOW_EMAIL)).course_version is None
    monkeypatch.undo()

    output = run_load_demo()

    assert "Guideline versions: 2 created" in output
    module = ModulePage.objects.get(slug=CHANGED.slug, locale__language_code="en")
    assert module.revisions.count() == 2
    latest = versions_of(foundations())[0]
    for email in (FELLOW_EMAIL, RENEWING_FELLOW_EMAIL):
        badge = Badge.objects.select_related("course_version").get(recipient=user(email))
        assert badge.course_version.number == "2026.1", email
        assert badge.renew_by == latest.published_at + timedelta(days=60), email
