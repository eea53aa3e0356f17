"""Services on the database: enrolment, attempts, limits, cooldown, passes, completion;
and the review of a graded attempt (courses.selectors)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from courses import selectors, services
from courses.models import CourseCompletion, Enrolment, ModulePass, QuizAttempt
from tests.factories.courses import make_course, make_module, single_choice_pool
from tests.support.courses import right_answers, wrong_answers

pytestmark = pytest.mark.django_db


def test_enrol_is_idempotent_and_unenrol_keeps_results(enrolled, course_two):
    course, (m1, _) = course_two
    services.check_enrol(enrolled, course)
    assert Enrolment.objects.filter(user=enrolled).count() == 1
    attempt = services.start_attempt(enrolled, m1)
    services.submit_attempt(attempt, right_answers(attempt))
    assert services.unenrol(enrolled, course)
    assert not Enrolment.objects.filter(user=enrolled).exists()
    assert ModulePass.objects.filter(user=enrolled, module=m1).exists()


def test_enrol_refused_until_prerequisite_completed(site_root, fellow, course_two):
    later = make_course(site_root, title="Advanced ranking")
    later.prerequisites.add(course_two[0])
    later.save()
    with pytest.raises(services.CourseLocked) as locked:
        services.check_enrol(fellow, later)
    assert course_two[0].title in locked.value.decision.message
    assert not Enrolment.objects.filter(user=fellow, course=later).exists()


def test_start_is_idempotent_while_an_attempt_is_open(enrolled, course_two):
    m1 = course_two[1][0]
    first = services.start_attempt(enrolled, m1)
    again = services.start_attempt(enrolled, m1)
    assert first.pk == again.pk and QuizAttempt.objects.count() == 1


def test_locked_module_cannot_start(enrolled, course_two):
    with pytest.raises(services.CourseLocked):
        services.start_attempt(enrolled, course_two[1][1])
    assert not QuizAttempt.objects.exists()


def test_submit_twice_grades_once(enrolled, course_two):
    m1 = course_two[1][0]
    attempt = services.start_attempt(enrolled, m1)
    first = services.submit_attempt(attempt, wrong_answers(attempt))
    stale = QuizAttempt.objects.get(pk=attempt.pk)
    stale.state = QuizAttempt.State.IN_PROGRESS  # an old copy of the row, as a second tab has
    second = services.submit_attempt(stale, right_answers(attempt))
    assert first.graded_now and not second.graded_now
    fresh = QuizAttempt.objects.get(pk=attempt.pk)
    assert fresh.score_percent == 0 and not fresh.passed
    assert not ModulePass.objects.exists()


def test_attempt_limit_and_cooldown(site_root, fellow):
    course = make_course(site_root)
    module = make_module(course, max_attempts=2, cooldown_minutes=10)
    services.check_enrol(fellow, course)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        a1 = services.start_attempt(fellow, module)
        services.submit_attempt(a1, wrong_answers(a1))
        with pytest.raises(services.QuizUnavailable) as cooling:
            services.start_attempt(fellow, module)
        assert cooling.value.code == "cooldown"
        assert cooling.value.retry_at == a1.submitted_at + timedelta(minutes=10)
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        a2 = services.start_attempt(fellow, module)
        assert a2.attempt_number == 2
        services.submit_attempt(a2, wrong_answers(a2))
    with time_machine.travel(start + timedelta(days=1), tick=False):
        with pytest.raises(services.QuizUnavailable) as exhausted:
            services.start_attempt(fellow, module)
        assert exhausted.value.code == "exhausted"
    assert QuizAttempt.objects.filter(user=fellow).count() == 2


def test_late_submission_is_overdue_and_scores_zero(site_root, fellow):
    course = make_course(site_root)
    module = make_module(course, time_limit_minutes=5)
    services.check_enrol(fellow, course)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attempt = services.start_attempt(fellow, module)
    assert attempt.deadline == start + timedelta(minutes=5)
    # Within the grace period: graded as on time.
    with time_machine.travel(start + timedelta(minutes=5, seconds=20), tick=False):
        on_time = services.submit_attempt(attempt, right_answers(attempt))
    assert on_time.attempt.passed

    other_course = make_course(site_root)
    timed = make_module(other_course, time_limit_minutes=5)
    services.check_enrol(fellow, other_course)
    with time_machine.travel(start, tick=False):
        late_attempt = services.start_attempt(fellow, timed)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        late = services.submit_attempt(late_attempt, right_answers(late_attempt))
    row = QuizAttempt.objects.get(pk=late_attempt.pk)
    assert late.graded_now and row.state == QuizAttempt.State.OVERDUE
    assert row.score_percent == 0 and not row.passed
    assert row.answers  # kept for review
    assert not ModulePass.objects.filter(module=timed).exists()


def test_abandoned_timed_attempt_is_closed_when_the_quiz_is_next_seen(site_root, fellow):
    course = make_course(site_root)
    module = make_module(course, time_limit_minutes=5)
    services.check_enrol(fellow, course)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attempt = services.start_attempt(fellow, module)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        state = services.quiz_state(fellow, module)
        assert state.open_attempt is None and state.can_start
        assert QuizAttempt.objects.get(pk=attempt.pk).state == QuizAttempt.State.OVERDUE
        assert services.start_attempt(fellow, module).attempt_number == 2


def test_passing_every_module_records_completion_once(enrolled, course_two, monkeypatch):
    course, (m1, m2) = course_two
    calls = []
    monkeypatch.setattr(
        services,
        "request_badge_for_completion",
        lambda completion, *, language: calls.append((completion, language)),
    )
    for module in (m1, m2):
        attempt = services.start_attempt(enrolled, module)
        services.submit_attempt(attempt, right_answers(attempt))
    completion = CourseCompletion.objects.get(user=enrolled, course=course)
    assert [s["module_id"] for s in completion.module_scores] == [m1.pk, m2.pk]
    assert all(s["score_percent"] == 100.0 for s in completion.module_scores)
    # Issued in the language of the pages the course was passed on (English here).
    assert calls == [(completion, "en")]
    assert services.record_completion_if_done(enrolled, course) is None
    assert CourseCompletion.objects.count() == 1 and len(calls) == 1


def test_editing_a_quiz_after_attempts_leaves_old_grades(enrolled, course_two):
    m1 = course_two[1][0]
    attempt = services.start_attempt(enrolled, m1)
    services.submit_attempt(attempt, wrong_answers(attempt))
    before = QuizAttempt.objects.get(pk=attempt.pk)
    # The author flips every key and rewrites the prompts.
    pool = single_choice_pool(5)
    for block in pool:
        for choice in block["value"]["choices"]:
            choice["is_correct"] = not choice["is_correct"]
    m1.quiz_questions = pool
    m1.pass_mark_percent = 10
    m1.save_revision().publish()
    after = QuizAttempt.objects.get(pk=attempt.pk)
    assert (after.layout, after.answer_key, after.grade) == (
        before.layout,
        before.answer_key,
        before.grade,
    )
    assert after.score_percent == before.score_percent and after.pass_mark_percent == 80
    review = selectors.review_attempt(after)
    assert len(review) == 3 and not any(r.correct for r in review)


def test_review_is_refused_for_an_open_attempt(enrolled, course_two):
    attempt = services.start_attempt(enrolled, course_two[1][0])
    with pytest.raises(ValueError):
        selectors.review_attempt(attempt)
