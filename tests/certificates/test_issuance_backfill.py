"""Issuing the badges of past completions: how many it reports, whose history records
it, and a fellow whose badge arrives by another path meanwhile."""

import pytest
from django.utils import timezone

from certificates.issuing import issuance
from certificates.models import Badge
from courses.models import CourseCompletion
from tests.certificates.test_issuance import history
from tests.factories.certificates import make_badge_design

pytestmark = pytest.mark.django_db


def past_fellows(course, n):
    from django.contrib.auth import get_user_model

    people = []
    for i in range(n):
        person = get_user_model().objects.create_user(
            email=f"past{i}@example.org", display_name=f"Past Fellow {i}"
        )
        CourseCompletion.objects.create(
            user=person,
            course=course,
            completed_at=timezone.now(),
            module_scores=[{"module_id": 1, "title": "One", "score_percent": 80}],
        )
        people.append(person)
    return people


def backfill_messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "past completions" in r.getMessage()]


def test_a_backfill_reports_its_badges_and_records_who_ran_it_on_each(course, staff_user, caplog):
    people = past_fellows(course, 2)
    make_badge_design(course)

    with caplog.at_level("INFO", logger="credence.badges"):
        assert issuance.issue_badges_for_past_completions(course, by=staff_user) == 2

    for person in people:
        (badge,) = Badge.objects.filter(recipient=person, course=course)
        assert badge.state == Badge.State.PENDING
        assert history(badge) == [("credence.badge.backfill", staff_user, {})]
    assert backfill_messages(caplog) == [
        f"issued 2 badges for past completions of course {course.pk}"
    ]


def test_a_backfill_run_by_the_system_records_no_person(course, caplog):
    (person,) = past_fellows(course, 1)
    make_badge_design(course)
    with caplog.at_level("INFO", logger="credence.badges"):
        assert issuance.issue_badges_for_past_completions(course) == 1
    (badge,) = Badge.objects.filter(recipient=person)
    assert history(badge) == [("credence.badge.backfill", None, {})]
    assert backfill_messages(caplog) == [
        f"issued 1 badges for past completions of course {course.pk}"
    ]


def test_a_badge_issued_by_another_path_meanwhile_is_neither_counted_nor_logged_as_backfill(
    course, staff_user, monkeypatch, caplog
):
    """The fellow's own completion request (or a second backfill) issues their badge
    after this backfill listed them: the backfill gets that badge back, and must not
    count it, nor write "backfill" into its history."""
    raced, other = past_fellows(course, 2)
    make_badge_design(course)
    request = issuance.request_badge_for_completion

    def other_path_gets_there_first(completion):
        if completion.user == raced:
            request(completion)
        return request(completion)

    monkeypatch.setattr(issuance, "request_badge_for_completion", other_path_gets_there_first)
    with caplog.at_level("INFO", logger="credence.badges"):
        assert issuance.issue_badges_for_past_completions(course, by=staff_user) == 1

    (raced_badge,) = Badge.objects.filter(recipient=raced, course=course)
    assert history(raced_badge) == []
    (other_badge,) = Badge.objects.filter(recipient=other, course=course)
    assert history(other_badge) == [("credence.badge.backfill", staff_user, {})]
    assert backfill_messages(caplog) == [
        f"issued 1 badges for past completions of course {course.pk}"
    ]


def test_a_backfill_of_a_course_whose_design_is_gone_says_why_and_issues_nothing(course):
    """The form offers only courses with a design; one deleted before the job ran makes
    the job fail, and this message is what the worker's log shows the operator."""
    past_fellows(course, 1)
    with pytest.raises(issuance.IssuanceError) as refused:
        issuance.issue_badges_for_past_completions(course)
    assert str(refused.value) == "This course has no badge design yet."
    assert not Badge.objects.exists()
