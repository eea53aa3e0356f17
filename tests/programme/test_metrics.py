"""Every Programme metric on hand-built data, with the expected numbers worked out here."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from courses.programme import metrics
from courses.programme.models import Cohort, CohortMembership
from tests.factories.courses import make_course, make_module, single_choice_pool
from tests.programme.conftest import (
    END,
    answer_by_text,
    days_before_end,
    enrol,
    make_fellow,
    take_quiz,
)

pytestmark = pytest.mark.django_db

PERIOD = metrics.Period(END - timedelta(days=60), END)


@pytest.fixture
def funnel_course(site_root):
    """Two quiz modules, two attempts each, and fellows placed at known points.

    A: enrolled 10 days before the end, passes both modules first try 3 days before (a
       completion taking 7 days).
    B: fails module 1, passes it on the second attempt, fails module 2 once (2 days before).
    C: fails module 1 twice, 20 days before the end: out of attempts.
    D: enrolled 30 days before the end, never attempts: inactive for more than 14 days.
    E: enrolled 2 days before the end, never attempts: neither out of attempts nor inactive.
    F: enrolled before the period (outside the funnel), starts module 1 a day before the
       end and leaves the attempt open.
    H: enrolled 100 days before the end (outside the funnel), passes both modules 2 days
       before the end (a completion taking 98 days).
    """
    course = make_course(site_root, title="Ranking responses")
    m1 = make_module(
        course, title="Pairwise basics", questions=single_choice_pool(2), max_attempts=2
    )
    m2 = make_module(course, title="Rubrics", questions=single_choice_pool(2), max_attempts=2)
    people = {name: make_fellow(f"{name.lower()}@example.org") for name in "ABCDEFH"}
    enrol(people["A"], course, days_before=10)
    take_quiz(people["A"], m1, passing=True, days_before=3)
    take_quiz(people["A"], m2, passing=True, days_before=3)
    enrol(people["B"], course, days_before=20)
    take_quiz(people["B"], m1, passing=False, days_before=15)
    take_quiz(people["B"], m1, passing=True, days_before=4)
    take_quiz(people["B"], m2, passing=False, days_before=2)
    enrol(people["C"], course, days_before=25)
    take_quiz(people["C"], m1, passing=False, days_before=20)
    take_quiz(people["C"], m1, passing=False, days_before=20)
    enrol(people["D"], course, days_before=30)
    enrol(people["E"], course, days_before=2)
    enrol(people["F"], course, days_before=90)
    take_quiz(people["F"], m1, passing=True, days_before=1, submit=False)
    enrol(people["H"], course, days_before=100)
    take_quiz(people["H"], m1, passing=True, days_before=2)
    take_quiz(people["H"], m2, passing=True, days_before=2)
    return course, m1, m2, people


def test_course_overview_counts_and_median(funnel_course):
    course, _, _, _ = funnel_course
    overview = metrics.course_overview(course, PERIOD)
    # Enrolled in the period: A, B, C, D, E (F and H enrolled before it).
    assert overview.enrolled == 5
    # Attempts started or submitted in the last 7 days: A (3), B (4 and 2), F (1), H (2).
    assert overview.active_7_days == 4
    # Completions in the period: A and H.
    assert overview.completed == 2
    # A took 7 days and 5 minutes (the pass is recorded on submission, 5 minutes after
    # the start); H took 98 days and 5 minutes. The median of two is their mean.
    five_minutes = 5 / (24 * 60)
    assert overview.median_days_to_complete == pytest.approx((7 + 98) / 2 + five_minutes)


def test_median_of_an_odd_number_of_completions_is_the_middle_one(funnel_course):
    course, m1, m2, _ = funnel_course
    late = make_fellow("late@example.org")
    enrol(late, course, days_before=40)
    take_quiz(late, m1, passing=True, days_before=1)
    take_quiz(late, m2, passing=True, days_before=1)
    # Durations: 7, 39 and 98 days (each plus five minutes): the median is 39.
    median = metrics.median_time_to_complete(course, PERIOD)
    assert median == timedelta(days=39, minutes=5)


def test_course_overview_empty_range(funnel_course):
    course, _, _, _ = funnel_course
    long_ago = metrics.Period(END - timedelta(days=400), END - timedelta(days=300))
    overview = metrics.course_overview(course, long_ago)
    assert (overview.enrolled, overview.active_7_days, overview.completed) == (0, 0, 0)
    assert overview.median_days_to_complete is None


def test_module_funnel(funnel_course):
    course, m1, m2, _ = funnel_course
    first, second = metrics.module_funnel(course, PERIOD, inactive_days=14)
    assert (first.module_id, second.module_id) == (m1.pk, m2.pk)
    # Module 1 is reached by everyone enrolled in the period: A B C D E.
    # Attempted: A B C. First try: A. Eventually: A B.
    # Stuck: C (both attempts used) and D (enrolled 30 days ago, no activity in 14 days);
    # E is too new to count as inactive.
    assert (
        first.reached,
        first.attempted,
        first.passed_first_try,
        first.passed_eventually,
        first.stuck,
    ) == (5, 3, 1, 2, 2)
    # Module 2 is reached by those who passed module 1 (A, B); both attempted; A passed
    # first try; B failed once, has an attempt left and was active 2 days ago: not stuck.
    assert (
        second.reached,
        second.attempted,
        second.passed_first_try,
        second.passed_eventually,
        second.stuck,
    ) == (2, 2, 1, 1, 0)


def test_module_funnel_counts_a_long_silence_as_stuck(funnel_course):
    course, _, _, _ = funnel_course
    # With a 1-day threshold, B (last active 2 days before the end) is stuck at module 2
    # and E (enrolled 2 days before) at module 1, beside C and D.
    first, second = metrics.module_funnel(course, PERIOD, inactive_days=1)
    assert first.stuck == 3 and second.stuck == 1


def test_extra_attempts_granted_take_a_fellow_out_of_the_stuck_count(funnel_course):
    from courses.accommodations import grant_accommodation
    from tests.support.staff import make_editor

    course, m1, _, people = funnel_course
    # With a 60-day threshold nobody is inactive: module 1's only stuck fellow is C, out of
    # attempts. One extra attempt granted to C leaves nobody stuck there.
    (first, _) = metrics.module_funnel(course, PERIOD, inactive_days=60)
    assert first.stuck == 1
    granter = make_editor("granter@example.org", "pw-Granter-1", "courses.add_accommodation")
    granter.is_superuser = True
    granter.save()
    grant_accommodation(
        by=granter,
        fellow=people["C"],
        module=m1,
        extra_attempts=1,
        reason="Ill during the second attempt",
        now=END - timedelta(days=1),
    )
    (first, _) = metrics.module_funnel(course, PERIOD, inactive_days=60)
    assert first.stuck == 0


def test_cohort_filter(funnel_course):
    course, m1, _, people = funnel_course
    cohort = Cohort.objects.create(name="Spring intake")
    for name in "AC":
        CohortMembership.objects.create(cohort=cohort, user=people[name])
    overview = metrics.course_overview(course, PERIOD, cohort)
    assert (overview.enrolled, overview.active_7_days, overview.completed) == (2, 1, 1)
    first, _ = metrics.module_funnel(course, PERIOD, cohort)
    assert (first.reached, first.attempted, first.passed_eventually, first.stuck) == (2, 2, 1, 1)
    summary = metrics.quiz_summary(m1, PERIOD, cohort)
    assert (summary.fellows_attempted, summary.fellows_passed) == (2, 1)


def test_quiz_summary(funnel_course):
    _, m1, m2, _ = funnel_course
    summary = metrics.quiz_summary(m1, PERIOD)
    # Graded attempts at module 1: A 1 pass, B fail+pass, C fail+fail, H 1 pass; F's is open.
    assert (summary.graded_attempts, summary.passing_attempts) == (6, 3)
    assert (summary.fellows_attempted, summary.fellows_passed) == (4, 3)
    assert summary.pass_rate == pytest.approx(3 / 4)
    # Passes came at attempts 1 (A), 2 (B) and 1 (H).
    assert summary.attempts_per_pass == pytest.approx(4 / 3)
    empty = metrics.quiz_summary(m2, metrics.Period(END, END + timedelta(days=1)))
    assert empty.graded_attempts == 0 and empty.pass_rate is None
    assert empty.attempts_per_pass is None


# --- Item analysis ---------------------------------------------------------------------------

# Who picked what, per question ("R" right, "W" the first wrong option); nobody picks the
# second wrong option ("Also wrong") of any question.
ANSWERS = {
    "F1": "RRW",
    "F2": "RWR",
    "F3": "WRR",
    "F4": "WWR",
    "F5": "RRW",
    "F6": "RRR",
    "F7": "WWW",
}


@pytest.fixture
def item_quiz(site_root):
    course = make_course(site_root, title="Labelling")
    quiz = make_module(course, title="Harm labels", questions=single_choice_pool(3))
    for name, row in ANSWERS.items():  # in this order, so attempt ids follow it
        fellow = make_fellow(f"{name.lower()}@example.org")
        enrol(fellow, course, days_before=30)
        attempt = take_quiz(fellow, quiz, passing=False, days_before=1, submit=False)
        picks = {
            f"Question {i + 1}": (f"Right {i + 1}" if mark == "R" else f"Wrong {i + 1}")
            for i, mark in enumerate(row)
        }
        from courses import services

        services.submit_attempt(attempt, answer_by_text(attempt, picks), now=days_before_end(1))
    # Outside the period: a fellow who gets question 3 right, never counted.
    late = make_fellow("late@example.org")
    enrol(late, course, days_before=30)
    take_quiz(late, quiz, passing=True, days_before=-1)
    return quiz


def test_item_analysis_facility_discrimination_and_options(item_quiz):
    q1, q2, q3 = metrics.item_analysis(item_quiz, PERIOD, min_responses=5)
    assert [q.prompt for q in (q1, q2, q3)] == ["Question 1", "Question 2", "Question 3"]
    assert all(q.responses == 7 for q in (q1, q2, q3))
    # Each question is right for 4 of the 7 fellows.
    assert [q.facility for q in (q1, q2, q3)] == [pytest.approx(4 / 7)] * 3

    # Question 1. Right: F1 F2 F5 F6. Rest scores (questions 2 and 3 together):
    # F1 1, F2 1, F3 2, F4 1, F5 1, F6 2, F7 0; mean 8/7; mean of squares 12/7, so the
    # variance is 12/7 - 64/49 = 20/49. Mean rest of those right: (1+1+1+2)/4 = 5/4; of
    # those wrong (F3 F4 F7): (2+1+0)/3 = 1. p = 4/7, q = 3/7.
    # r = (5/4 - 1) / sqrt(20/49) * sqrt(4/7 * 3/7) = sqrt(12/20) / 4.
    assert q1.discrimination == pytest.approx(math.sqrt(12 / 20) / 4)  # 0.194
    # Question 2 has the same shape (right: F1 F3 F5 F6; rest 1 2 1 1 1 2 0).
    assert q2.discrimination == pytest.approx(math.sqrt(12 / 20) / 4)
    # Question 3. Right: F2 F3 F4 F6. Rest (questions 1 and 2): F1 2, F2 1, F3 1, F4 0,
    # F5 2, F6 2, F7 0; mean 8/7, mean of squares 14/7, variance 2 - 64/49 = 34/49.
    # Mean rest of those right: (1+1+0+2)/4 = 1; of those wrong (F1 F5 F7): 4/3.
    # r = (1 - 4/3) / sqrt(34/49) * sqrt(12/49) = -sqrt(12/34) / 3.
    assert q3.discrimination == pytest.approx(-math.sqrt(12 / 34) / 3)  # -0.198

    assert [(o.text, o.correct, o.picks) for o in q3.options] == [
        ("Right 3", True, 4),
        ("Wrong 3", False, 3),
        ("Also wrong 3", False, 0),
    ]
    assert q3.pick_share(q3.options[0]) == pytest.approx(4 / 7)
    # The upper 27% of 7 responses, rounded up, is 2: the highest rest scores on question
    # 3 are F1, F5 and F6 (2 each); the tie goes to the earlier attempts, F1 and F5, who
    # both picked "Wrong 3".
    assert q3.upper_group_size == 2
    assert [o.upper_picks for o in q3.options] == [0, 2, 0]
    # On question 1 the upper group is F3 (wrong) and F6 (right): one pick each.
    assert [o.upper_picks for o in q1.options] == [1, 1, 0]


def test_item_analysis_flags_broken_questions(item_quiz):
    q1, q2, q3 = metrics.item_analysis(item_quiz, PERIOD, min_responses=5)
    assert q1.flags == (metrics.FLAG_UNPICKED.format("Also wrong 1"),)
    assert q2.flags == (metrics.FLAG_UNPICKED.format("Also wrong 2"),)
    assert q3.flags == (
        metrics.FLAG_NEGATIVE,
        metrics.FLAG_UNPICKED.format("Also wrong 3"),
        metrics.FLAG_AVOIDED.format("Right 3"),
    )
    # Too few responses to judge: no flags at the default threshold of 10.
    assert all(not q.flags for q in metrics.item_analysis(item_quiz, PERIOD))


def test_item_analysis_leaves_out_overdue_attempts_and_other_cohorts(item_quiz):
    from courses.models import QuizAttempt

    cohort = Cohort.objects.create(name="Two fellows")
    for email in ("f1@example.org", "f4@example.org"):
        CohortMembership.objects.create(
            cohort=cohort, user=QuizAttempt.objects.get(user__email=email).user
        )
    q1, q2, q3 = metrics.item_analysis(item_quiz, PERIOD, cohort)
    # F1 RRW and F4 WWR: one right answer each per question.
    assert [(q.responses, q.correct) for q in (q1, q2, q3)] == [(2, 1), (2, 1), (2, 1)]
    QuizAttempt.objects.filter(user__email="f1@example.org").update(state="overdue")
    q1, _, _ = metrics.item_analysis(item_quiz, PERIOD, cohort)
    assert (q1.responses, q1.correct) == (1, 0)
    # One response: no spread, so no correlation.
    assert q1.discrimination is None


def test_item_analysis_empty_period(item_quiz):
    assert metrics.item_analysis(item_quiz, metrics.Period(END, END + timedelta(days=1))) == []


def test_point_biserial_is_none_without_spread():
    assert metrics.point_biserial(3, 3, 3, 3, 3) is None  # everyone right
    assert metrics.point_biserial(4, 2, 4, 4, 2) is None  # every rest score 1
