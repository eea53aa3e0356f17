"""Concurrent starts and submits on PostgreSQL: one attempt, one grade, limit never exceeded."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from courses import services
from courses.models import CourseCompletion, ModulePass, QuizAttempt
from tests.factories.courses import make_course, make_module
from tests.support.courses import right_answers

# serialized_rollback restores the rows migrations create (the Wagtail root page, locale).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 8


def race(target, n=THREADS):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.fixture
def one_shot(site_root, fellow):
    course = make_course(site_root)
    module = make_module(course, max_attempts=1)
    services.check_enrol(fellow, course)
    return course, module


def test_concurrent_starts_create_one_attempt(one_shot, fellow):
    _, module = one_shot
    results, errors = race(lambda: services.start_attempt(fellow, module).pk)
    assert not [e for e in errors if not isinstance(e, services.QuizUnavailable)], errors
    assert QuizAttempt.objects.filter(user=fellow, module=module).count() == 1
    assert len(set(results)) == 1


def test_concurrent_double_submits_through_http_grade_once(one_shot, fellow):
    course, module = one_shot
    attempt = services.start_attempt(fellow, module)
    data = right_answers(attempt)
    url = reverse("courses:attempt", args=[attempt.public_id])

    def post():
        client = Client()
        client.force_login(fellow)
        return client.post(url, data).status_code

    statuses, errors = race(post)
    assert not errors, errors
    assert sorted(set(statuses)) == [303]  # the winner and the replays all see the result
    assert QuizAttempt.objects.filter(user=fellow).count() == 1
    assert ModulePass.objects.filter(user=fellow, module=module).count() == 1
    assert CourseCompletion.objects.filter(user=fellow, course=course).count() == 1
    row = QuizAttempt.objects.get(pk=attempt.pk)
    assert row.passed and row.state == QuizAttempt.State.SUBMITTED


def test_concurrent_service_submits_grade_once(one_shot, fellow):
    _, module = one_shot
    attempt = services.start_attempt(fellow, module)
    answers = right_answers(attempt)

    def submit():
        stale = QuizAttempt.objects.get(pk=attempt.pk)
        return services.submit_attempt(stale, answers).graded_now

    results, errors = race(submit)
    assert not errors, errors
    assert results.count(True) == 1 and results.count(False) == THREADS - 1
    assert ModulePass.objects.filter(user=fellow).count() == 1


def test_racing_start_after_limit_never_exceeds_it(site_root, fellow):
    course = make_course(site_root)
    module = make_module(course, max_attempts=2)
    services.check_enrol(fellow, course)
    first = services.start_attempt(fellow, module)
    services.submit_attempt(first, {})  # a failed attempt
    results, errors = race(lambda: services.start_attempt(fellow, module).pk)
    assert len(set(results)) == 1
    assert QuizAttempt.objects.filter(user=fellow, module=module).count() == 2
    attempt = QuizAttempt.objects.get(pk=results[0])
    services.submit_attempt(attempt, {})
    with pytest.raises(services.QuizUnavailable):
        services.start_attempt(fellow, module)


# --- renewal -------------------------------------------------------------------------------


def test_concurrent_out_of_date_jobs_mark_each_badge_once_and_set_every_bit(site_root):
    """Beat and the command (or two beat instances) running at once: every due badge is
    marked once, each run counts only its own, and both lists agree with the rows."""
    from datetime import timedelta

    from django.utils import timezone

    from certificates.issuing import renewal
    from certificates.issuing.status_publishing import get_status_list
    from certificates.models import Badge
    from certificates.signing.ob3.status_list import Bitstring
    from tests.factories.certificates import make_badge_design
    from tests.support.staff import make_badge

    design = make_badge_design(make_course(site_root))
    past = timezone.now() - timedelta(minutes=1)
    for index in range(40):
        badge = make_badge(design=design)
        Badge.objects.filter(pk=badge.pk).update(renew_by=past, status_index=500 + index)
    results, errors = race(lambda: renewal.mark_out_of_date(batch_size=7).marked, n=4)
    assert not errors, errors
    assert sum(results) == 40
    assert Badge.objects.filter(state=Badge.State.OUT_OF_DATE).count() == 40
    bits = Bitstring.decode(
        get_status_list("suspension").credential["credentialSubject"]["encodedList"]
    )
    assert all(bits.get(500 + index) for index in range(40))


def test_concurrent_renewals_issue_one_badge(site_root, fellow, django_capture_on_commit_callbacks):
    """The last quiz of a renewal submitted twice at once (two tabs): one new badge."""
    from certificates.models import Badge
    from courses import versions
    from tests.factories.certificates import make_badge_design
    from tests.support.courses import complete_course, right_answer

    course = make_course(site_root)
    module = make_module(course)
    make_badge_design(course)
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(fellow, course)
    versions.publish_version(
        course, number="2", summary="Changed.", changed_modules=[module], renewal_days=30
    )
    attempt = services.start_attempt(fellow, module)
    answers = {q["id"]: right_answer(q, attempt.answer_key[q["id"]]) for q in attempt.layout}
    results, errors = race(lambda: services.submit_attempt(attempt, answers).graded_now)
    assert not errors, errors
    assert results.count(True) == 1
    assert Badge.objects.filter(recipient=fellow).exclude(state="superseded").count() == 1
    assert Badge.objects.filter(recipient=fellow).count() == 2


def test_authors_publishing_versions_at_once_get_one_baseline_and_a_sequence_each(site_root):
    """Two authors (or two tabs) publish a course's first versions at the same moment: the
    course row's lock orders them, so there is one baseline and no sequence is taken
    twice (which the database would refuse with a 500)."""
    from courses import versions
    from courses.models import CourseVersion

    course = make_course(site_root)
    numbers = iter(f"2027.{n}" for n in range(1, 5))
    lock = threading.Lock()

    def publish():
        with lock:
            number = next(numbers)
        return versions.publish_version(
            course, number=number, summary="Changed.", renewal_days=None
        ).sequence

    results, errors = race(publish, n=4)
    assert not errors, errors
    assert sorted(results) == [2, 3, 4, 5]
    rows = list(
        CourseVersion.objects.filter(course=course).order_by("sequence").values_list("number")
    )
    assert rows[0] == ("1",)  # the one baseline
    assert sorted(rows[1:]) == [("2027.1",), ("2027.2",), ("2027.3",), ("2027.4",)]


def test_the_same_number_published_twice_at_once_is_one_version_and_a_form_error(site_root):
    from django.core.exceptions import ValidationError

    from courses import versions
    from courses.models import CourseVersion

    course = make_course(site_root)
    versions.publish_version(course, number="2027.1", summary="First.", renewal_days=None)

    def publish():
        return versions.publish_version(
            course, number="2027.2", summary="Changed.", renewal_days=None
        )

    results, errors = race(publish, n=4)
    assert len(results) == 1
    assert [type(e) for e in errors] == [ValidationError] * 3, errors
    assert all(
        e.message_dict == {"number": ["This course already has a version 2027.2."]} for e in errors
    )
    assert CourseVersion.objects.filter(course=course).count() == 3
