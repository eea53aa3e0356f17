"""Guideline versions and renewal, end to end through the services (courses.versions,
certificates.issuing.renewal): what a version asks of whom, the renewal a certified fellow
makes, and the out-of-date job. The public page, the dashboard, the admin and the e-mails
have their own tests; these are the rules underneath them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates.issuing import renewal
from certificates.models import Badge
from certificates.public.verification import verify_badge
from courses import gating, services, versions
from courses.models import CourseCompletion, CourseVersion, ModulePass
from tests.factories.accounts import UserFactory
from tests.factories.certificates import make_badge_design
from tests.factories.courses import make_course_with_modules
from tests.support.badges import served_bit
from tests.support.courses import complete_course, right_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_and_modules(site_root):
    course, modules = make_course_with_modules(site_root, modules=3, questions=2)
    make_badge_design(course)
    return course, modules


@pytest.fixture
def certified(fellow, course_and_modules, django_capture_on_commit_callbacks):
    """`fellow` completed the course before any version and holds its issued badge."""
    course, _modules = course_and_modules
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(fellow, course)
    badge = Badge.objects.get(recipient=fellow)
    assert badge.state == Badge.State.ISSUED, badge.last_error
    return badge


def publish_renewal(course, modules, *, days=60, number="2027.1", capture=None):
    def publish():
        return versions.publish_version(
            course,
            number=number,
            summary="Ambiguous items are now labelled 'unsure', not skipped.",
            changed_modules=modules,
            renewal_days=days,
        )

    if capture is None:
        return publish()
    with capture(execute=True):
        return publish()


def pass_module(user, module, capture):
    """Start and pass `module`'s quiz as the fellow would, running what commits queue."""
    with capture(execute=True):
        attempt = services.start_attempt(user, module)
        answers = {q["id"]: right_answer(q, attempt.answer_key[q["id"]]) for q in attempt.layout}
        outcome = services.submit_attempt(attempt, answers)
    assert outcome.attempt.passed
    return outcome.attempt


def statuses(user, course) -> list[str]:
    progress = gating.course_progress(gating.load_gate_inputs(user, course))
    return [str(row.status) for row in progress.modules]


# --- what publishing a version asks of whom ----------------------------------------------


def test_a_version_with_a_window_asks_certified_fellows_to_retake_only_the_changed_module(
    fellow, certified, course_and_modules, django_capture_on_commit_callbacks
):
    course, (first, changed, last) = course_and_modules
    assert statuses(fellow, course) == ["passed", "passed", "passed"]

    version = publish_renewal(course, [changed], capture=django_capture_on_commit_callbacks)

    # The course's earlier state became its baseline, which the badge is recorded as
    # certifying; the badge is due by the new version's deadline.
    baseline = CourseVersion.objects.get(course=course, sequence=1)
    certified.refresh_from_db()
    assert (certified.course_version, certified.state) == (baseline, Badge.State.ISSUED)
    assert certified.renew_by == version.published_at + timedelta(days=60)
    # Only the changed module is open again; the others stay passed, so it opens at once.
    assert statuses(fellow, course) == ["passed", "open", "passed"]
    assert gating.decide_module(fellow, changed)[0].allowed
    state = services.quiz_state(fellow, changed)
    assert (state.can_start, state.attempts_used, state.passed) == (True, 0, False)
    assert services.quiz_state(fellow, first).passed


def test_renewing_issues_exactly_one_badge_for_the_new_version_superseding_the_old(
    fellow, certified, course_and_modules, django_capture_on_commit_callbacks
):
    course, (_first, changed, _last) = course_and_modules
    version = publish_renewal(course, [changed], capture=django_capture_on_commit_callbacks)

    attempt = pass_module(fellow, changed, django_capture_on_commit_callbacks)

    certified.refresh_from_db()
    new = Badge.objects.exclude(pk=certified.pk).get(recipient=fellow)
    assert (certified.state, certified.superseded_by) == (Badge.State.SUPERSEDED, new)
    assert (new.state, new.course_version, new.renew_by) == (Badge.State.ISSUED, version, None)
    assert (new.snapshot["version_number"], new.snapshot["version_sequence"]) == ("2027.1", 2)
    assert verify_badge(new).code == "valid"
    assert verify_badge(certified).code == "superseded"
    assert list(
        CourseCompletion.objects.filter(user=fellow)
        .order_by("edition")
        .values_list("edition", flat=True)
    ) == [0, 2]
    assert attempt.edition == 2
    # Both lists read the old credential as not valid, for good.
    assert served_bit(_client(), "revocation", certified.status_index)
    assert statuses(fellow, course) == ["passed", "passed", "passed"]
    # Asking again (a replayed completion) issues nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.record_completion_if_done(fellow, course) is None
    assert Badge.objects.filter(recipient=fellow).count() == 2
    ModelLogEntry.objects.get(object_id=str(certified.pk), action="credence.badge.renewed")


def test_a_renewal_counts_attempts_afresh_for_the_changed_module(
    fellow, certified, course_and_modules, django_capture_on_commit_callbacks, site_root
):
    course, (_first, changed, _last) = course_and_modules
    changed.max_attempts = 1
    changed.save_revision().publish()
    publish_renewal(course, [changed], capture=django_capture_on_commit_callbacks)
    # The fellow used their one attempt before the change; the new edition has its own.
    assert services.quiz_state(fellow, changed).can_start
    pass_module(fellow, changed, django_capture_on_commit_callbacks)
    assert Badge.objects.filter(recipient=fellow, state=Badge.State.ISSUED).count() == 1


def test_a_fellow_who_never_held_the_badge_takes_the_whole_current_course(
    certified, course_and_modules, django_capture_on_commit_callbacks
):
    course, (first, changed, last) = course_and_modules
    version = publish_renewal(course, [changed], capture=django_capture_on_commit_callbacks)
    newcomer = UserFactory(display_name="Ngozi Okafor")
    services.check_enrol(newcomer, course)
    assert statuses(newcomer, course) == ["open", "locked", "locked"]

    with django_capture_on_commit_callbacks(execute=True):
        complete_course(newcomer, course)

    badge = Badge.objects.get(recipient=newcomer)
    assert (badge.state, badge.course_version, badge.renew_by) == (
        Badge.State.ISSUED,
        version,
        None,
    )
    assert ModulePass.objects.filter(user=newcomer).count() == 3
    assert CourseCompletion.objects.get(user=newcomer).edition == 2


def test_a_pass_made_before_the_change_does_not_count_for_a_fellow_still_taking_the_course(
    course_and_modules, django_capture_on_commit_callbacks
):
    course, (first, changed, last) = course_and_modules
    midway = UserFactory()
    services.check_enrol(midway, course)
    pass_module(midway, first, django_capture_on_commit_callbacks)
    pass_module(midway, changed, django_capture_on_commit_callbacks)
    publish_renewal(course, [changed], capture=django_capture_on_commit_callbacks)
    assert statuses(midway, course) == ["passed", "open", "locked"]


def test_a_cosmetic_edit_or_a_version_needing_no_renewal_changes_nothing(
    fellow, certified, course_and_modules, django_capture_on_commit_callbacks
):
    course, (_first, changed, _last) = course_and_modules
    before = Badge.objects.values().get(pk=certified.pk)
    # A lesson edit published as a new revision is not a version.
    changed.title = "Module 2, with a typo fixed"
    changed.save_revision().publish()
    assert statuses(fellow, course) == ["passed", "passed", "passed"]
    # A version without a renewal window starts no edition.
    with django_capture_on_commit_callbacks(execute=True):
        clarified = versions.publish_version(
            course,
            number="2026.2",
            summary="Clarified the wording of one example.",
            changed_modules=[changed],
            renewal_days=None,
        )
    assert statuses(fellow, course) == ["passed", "passed", "passed"]
    after = Badge.objects.values().get(pk=certified.pk)
    # The badge is only recorded as certifying the baseline it was issued under.
    assert {k: v for k, v in after.items() if before[k] != v} == {
        "course_version_id": CourseVersion.objects.get(course=course, sequence=1).pk
    }
    # New badges name the new version.
    newcomer = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(newcomer, course)
    assert Badge.objects.get(recipient=newcomer).course_version == clarified


# --- the deadline --------------------------------------------------------------------------


def _client():
    from django.test import Client

    return Client()


def test_a_badge_is_out_of_date_only_once_its_window_has_passed(
    fellow, certified, course_and_modules, django_capture_on_commit_callbacks
):
    course, (_first, changed, _last) = course_and_modules
    publish_renewal(course, [changed], days=30, capture=django_capture_on_commit_callbacks)
    certified.refresh_from_db()
    deadline = certified.renew_by
    client = _client()

    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        assert renewal.mark_out_of_date() == renewal.MarkResult(0, 0)
        assert verify_badge(Badge.objects.get(pk=certified.pk)).code == "valid"
        assert not served_bit(client, "suspension", certified.status_index)

    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        assert renewal.mark_out_of_date() == renewal.MarkResult(1, 1)
        certified.refresh_from_db()
        assert (certified.state, certified.out_of_date_at) == (Badge.State.OUT_OF_DATE, deadline)
        verdict = verify_badge(certified)
        assert verdict.code == "out_of_date"
        assert verdict.summary == f"Out of date since {_written(deadline)}"
        assert "certifies version 1 of the course" in verdict.detail
        # Outside verifiers: the suspension list the credential names, not revocation.
        assert served_bit(client, "suspension", certified.status_index)
        assert not served_bit(client, "revocation", certified.status_index)
        # Running it again changes nothing.
        assert renewal.mark_out_of_date() == renewal.MarkResult(0, 0)


def _written(moment) -> str:
    months = "January February March April May June July August September October November"
    months = (months + " December").split()
    day = timezone.localtime(moment).date()
    return f"{day.day} {months[day.month - 1]} {day.year}"


def test_renewing_an_out_of_date_badge_supersedes_it_and_never_edits_it_back(
    fellow, certified, course_and_modules, django_capture_on_commit_callbacks
):
    course, (_first, changed, _last) = course_and_modules
    publish_renewal(course, [changed], days=10, capture=django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(days=11)):
        renewal.mark_out_of_date()
        pass_module(fellow, changed, django_capture_on_commit_callbacks)
        certified.refresh_from_db()
        assert certified.state == Badge.State.SUPERSEDED
        assert certified.out_of_date_at is not None
        assert verify_badge(certified.superseded_by).code == "valid"
        assert served_bit(_client(), "revocation", certified.status_index)


def test_extending_a_deadline_restores_an_out_of_date_badge_and_is_audited(
    fellow, certified, course_and_modules, django_capture_on_commit_callbacks, staff_user
):
    course, (_first, changed, _last) = course_and_modules
    publish_renewal(course, [changed], days=10, capture=django_capture_on_commit_callbacks)
    later = timezone.now() + timedelta(days=11)
    with time_machine.travel(later):
        renewal.mark_out_of_date()
        certified.refresh_from_db()
        with pytest.raises(renewal.RenewalError):
            renewal.extend_deadline(certified, until=later - timedelta(days=1), reason="Leave")
        with pytest.raises(renewal.RenewalError):
            renewal.extend_deadline(certified, until=later + timedelta(days=5), reason="  ")
        with django_capture_on_commit_callbacks(execute=True):
            renewal.extend_deadline(
                certified, until=later + timedelta(days=20), reason="Parental leave", by=staff_user
            )
        certified.refresh_from_db()
        assert (certified.state, certified.out_of_date_at) == (Badge.State.ISSUED, None)
        assert certified.renew_by == later + timedelta(days=20)
        assert verify_badge(certified).code == "valid"
        assert not served_bit(_client(), "suspension", certified.status_index)
        entry = ModelLogEntry.objects.get(
            object_id=str(certified.pk), action="credence.badge.extend_renewal"
        )
        assert (entry.user, entry.data["reason"]) == (staff_user, "Parental leave")


def test_the_job_marks_in_batches_at_a_cost_per_batch_not_per_badge(site_root):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.support.staff import make_badge

    course, modules = make_course_with_modules(site_root, modules=1, questions=2)
    design = make_badge_design(course)
    past = timezone.now() - timedelta(minutes=1)
    indexes = iter(range(1000, 2000, 7))

    def due(count):
        for _ in range(count):
            badge = make_badge(design=design, state=Badge.State.ISSUED)
            Badge.objects.filter(pk=badge.pk).update(renew_by=past, status_index=next(indexes))

    def run(count, batch_size):
        due(count)
        with CaptureQueriesContext(connection) as queries:
            result = renewal.mark_out_of_date(batch_size=batch_size)
        return result, len(queries)

    run(1, 10)  # the status lists exist and the keys are loaded from here on
    four_in_two, cost_4_2 = run(4, 2)
    eight_in_two, cost_8_2 = run(8, 4)
    eight_in_four, cost_8_4 = run(8, 2)
    assert (four_in_two, eight_in_two, eight_in_four) == (
        renewal.MarkResult(4, 2),
        renewal.MarkResult(8, 2),
        renewal.MarkResult(8, 4),
    )
    # Twice the badges in as many batches cost the same; twice the batches, twice as much.
    assert cost_8_2 == cost_4_2
    per_batch = (cost_8_4 - cost_4_2) // 2
    assert cost_8_4 - cost_4_2 == 2 * per_batch and per_batch <= 8
    assert Badge.objects.filter(state=Badge.State.OUT_OF_DATE).count() == 21


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"number": ""}, "number"),
        ({"number": "2027.1\u202e"}, "number"),
        ({"number": "x" * 41}, "number"),
        ({"summary": ""}, "summary"),
        ({"summary": "a\x00b"}, "summary"),
        ({"renewal_days": 0}, "renewal_days"),
        ({"renewal_days": 5000}, "renewal_days"),
        ({"changed_modules": []}, "changed_modules"),
    ],
)
def test_a_bad_version_is_refused_by_field_and_writes_nothing(
    course_and_modules, certified, fields, field
):
    course, (_first, changed, _last) = course_and_modules
    values = {
        "number": "2027.1",
        "summary": "Changed.",
        "changed_modules": [changed],
        "renewal_days": 60,
        **fields,
    }
    with pytest.raises(ValidationError) as refused:
        versions.publish_version(course, **values)
    assert field in refused.value.message_dict
    assert not CourseVersion.objects.exists()
    assert Badge.objects.get(pk=certified.pk).renew_by is None


def test_a_module_of_another_course_or_a_used_number_is_refused(
    site_root, course_and_modules, certified
):
    course, (_first, changed, _last) = course_and_modules
    _other, (stranger,) = make_course_with_modules(site_root, modules=1)
    with pytest.raises(ValidationError) as refused:
        publish_renewal(course, [stranger])
    assert "changed_modules" in refused.value.message_dict
    publish_renewal(course, [changed])
    with pytest.raises(ValidationError) as again:
        publish_renewal(course, [changed])
    assert "number" in again.value.message_dict
    assert CourseVersion.objects.filter(course=course).count() == 2


def test_a_fellow_out_of_attempts_in_a_renewal_is_told_and_the_team_alerted_again(
    fellow, certified, course_and_modules, django_capture_on_commit_callbacks
):
    from courses.models import StuckNotice
    from tests.support.courses import wrong_answers

    course, (_first, changed, _last) = course_and_modules
    changed.max_attempts = 1
    changed.save_revision().publish()
    StuckNotice.objects.create(
        user=fellow, module=changed, attempts_allowed=1, stuck_at=timezone.now()
    )  # as if they had run out in the first edition
    publish_renewal(course, [changed], capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = services.start_attempt(fellow, changed)
        services.submit_attempt(attempt, wrong_answers(attempt))
        state = services.quiz_state(fellow, changed)
    assert state.is_stuck
    assert StuckNotice.objects.filter(user=fellow, module=changed, edition=2).exists()


# --- badges issued late, for completions of an earlier edition ---------------------------


def test_a_badge_backfilled_for_an_earlier_edition_certifies_the_version_then_in_force(
    site_root, django_capture_on_commit_callbacks
):
    """A design added after the course changed: each fellow who finished before gets the
    version in force when they finished (not the current one), and is due to renew."""
    from certificates.issuing.issuance import issue_badges_for_past_completions

    course, (_first, changed, _last) = make_course_with_modules(site_root, modules=3)
    start = timezone.now()
    early, middle, late = UserFactory(), UserFactory(), UserFactory()
    with time_machine.travel(start + timedelta(days=1), tick=False):
        complete_course(early, course)
    with time_machine.travel(start + timedelta(days=2), tick=False):
        clarified = versions.publish_version(
            course, number="2026.2", summary="Typos fixed.", renewal_days=None
        )
    with time_machine.travel(start + timedelta(days=3), tick=False):
        complete_course(middle, course)
    with time_machine.travel(start + timedelta(days=4), tick=False):
        changed_version = publish_renewal(course, [changed], days=30)
    with time_machine.travel(start + timedelta(days=5), tick=False):
        complete_course(late, course)
    assert not Badge.objects.exists()  # no design yet: nobody got a badge

    make_badge_design(course)
    with django_capture_on_commit_callbacks(execute=True):
        assert issue_badges_for_past_completions(course) == 3

    baseline = CourseVersion.objects.get(course=course, sequence=1)
    deadline = changed_version.published_at + timedelta(days=30)
    got = {
        badge.recipient: (badge.course_version, badge.renew_by)
        for badge in Badge.objects.select_related("course_version", "recipient")
    }
    assert got == {
        early: (baseline, deadline),
        middle: (clarified, deadline),
        late: (changed_version, None),
    }
    # The two earlier ones are due, like any badge of an earlier version.
    assert {b.recipient for b in Badge.objects.filter(renew_by__isnull=False)} == {early, middle}
