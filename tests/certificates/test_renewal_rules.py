"""The renewal rules themselves (certificates.issuing.renewal, courses.versions), called
without HTTP: what extending a deadline refuses and records, who a reminder reaches, how
the e-mails are counted, and which versions start a module edition. The admin screens and
the fellow's pages have their own tests; mutation testing showed these rules needed
tests of their own."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates import tasks
from certificates.issuing import renewal
from certificates.issuing.renewal import RenewalError
from certificates.models import Badge
from courses import versions
from tests.factories.certificates import make_badge_design
from tests.factories.courses import make_course_with_modules
from tests.support.staff import badge_history, make_badge, make_due_badges

pytestmark = pytest.mark.django_db

State = Badge.State


@pytest.fixture
def course_and_modules(site_root):
    course, modules = make_course_with_modules(site_root, modules=2)
    make_badge_design(course)
    return course, modules


@pytest.fixture
def due(course_and_modules, staff_user):
    """Two fellows certified on the course as first published, asked to renew within 30
    days by version 2027.1 (its e-mails not sent: the commit that queues them never
    happens here)."""
    return make_due_badges(course_and_modules[0], count=2, by=staff_user)


# --- extending a deadline ---------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", " \n\t "])
def test_an_extension_without_a_reason_is_refused(due, reason):
    badge = due[0]
    with pytest.raises(RenewalError, match=r"^Give a reason: it is kept in the audit log\.$"):
        renewal.extend_deadline(badge, until=badge.renew_by + timedelta(days=1), reason=reason)
    assert Badge.objects.get(pk=badge.pk).renew_by == badge.renew_by


def test_a_deadline_of_this_very_moment_is_not_in_the_future(due):
    badge = due[0]
    with time_machine.travel(timezone.now(), tick=False):
        with pytest.raises(RenewalError, match=r"^The new deadline must be in the future\.$"):
            renewal.extend_deadline(badge, until=timezone.now(), reason="Illness.")


def test_the_same_deadline_again_is_not_an_extension(due):
    badge = due[0]
    with pytest.raises(
        RenewalError, match=r"^The new deadline must be later than the current one\.$"
    ):
        renewal.extend_deadline(badge, until=badge.renew_by, reason="Illness.")
    assert not badge_history(badge, "extend_renewal").exists()


def test_a_badge_without_a_deadline_or_no_longer_current_cannot_be_extended(
    course_and_modules, due
):
    course, _modules = course_and_modules
    undated = make_badge(design=course.badge_design, name="Never asked")
    Badge.objects.filter(pk=undated.pk).update(course_version=None, renew_by=None)
    later = timezone.now() + timedelta(days=90)
    with pytest.raises(RenewalError, match=r"^This badge has no renewal deadline\.$"):
        renewal.extend_deadline(undated, until=later, reason="Illness.")
    Badge.objects.filter(pk=due[0].pk).update(state=State.REVOKED, revoked_at=timezone.now())
    with pytest.raises(RenewalError, match=r"^Only a current badge's deadline can be extended\.$"):
        renewal.extend_deadline(due[0], until=later, reason="Illness.")


def test_an_extension_records_both_dates_and_the_reason_on_one_line(due, staff_user):
    badge = due[0]
    previous, until = badge.renew_by, badge.renew_by + timedelta(days=14)
    reason = "Parental\nleave,   back in March. " + "x" * 600
    renewal.extend_deadline(badge, until=until, reason=reason, by=staff_user)

    entry = badge_history(badge, "extend_renewal").get()
    assert entry.user == staff_user
    assert entry.data["previous"] == previous.isoformat()
    assert entry.data["until"] == until.isoformat()
    assert entry.data["reason"].startswith("Parental leave, back in March. xxx")
    assert len(entry.data["reason"]) == 500
    assert Badge.objects.get(pk=badge.pk).renew_by == until


def test_restoring_an_out_of_date_badge_tells_the_worker_after_the_commit(
    due, monkeypatch, django_capture_on_commit_callbacks
):
    badge = due[0]
    with time_machine.travel(badge.renew_by + timedelta(seconds=1), tick=False):
        renewal.mark_out_of_date()
        queued = []
        monkeypatch.setattr(
            tasks.badge_status_changed_task,
            "apply_async",
            lambda args, **kwargs: queued.append(args),
        )
        with django_capture_on_commit_callbacks(execute=True):
            renewal.extend_deadline(
                badge, until=timezone.now() + timedelta(days=7), reason="Illness."
            )
    assert queued == [[badge.pk, None]]
    assert Badge.objects.get(pk=badge.pk).state == State.ISSUED


# --- reminders ----------------------------------------------------------------------------


def test_a_reminder_reaches_the_holder_and_is_logged_under_who_sent_it(due, staff_user):
    badge = due[0]
    assert renewal.remind(badge, by=staff_user) is True
    assert [m.to for m in mail.outbox] == [[badge.recipient.email]]
    assert badge_history(badge, "renewal_reminder").get().user == staff_user


def test_a_badge_that_is_not_due_gets_no_reminder(course_and_modules, due, staff_user):
    course, _modules = course_and_modules
    undated = make_badge(design=course.badge_design, name="Never asked")
    Badge.objects.filter(pk=undated.pk).update(renew_by=None)
    Badge.objects.filter(pk=due[0].pk).update(state=State.REVOKED, revoked_at=timezone.now())
    gone = Badge(pk=10**9)
    for badge in (undated, due[0], gone):
        assert renewal.remind(badge, by=staff_user) is False
    assert mail.outbox == []
    assert not ModelLogEntry.objects.filter(action="credence.badge.renewal_reminder").exists()


def test_an_out_of_date_badge_still_gets_a_reminder(due, staff_user):
    badge = due[0]
    Badge.objects.filter(pk=badge.pk).update(state=State.OUT_OF_DATE)
    assert renewal.remind(badge, by=staff_user) is True
    assert len(mail.outbox) == 1


# --- the renewal e-mails ------------------------------------------------------------------


def test_the_notices_are_counted_one_per_badge_and_sent_once(course_and_modules, due):
    course, _modules = course_and_modules
    revoked = make_badge(design=course.badge_design, name="Revoked holder")
    Badge.objects.filter(pk=revoked.pk).update(
        state=State.REVOKED, revoked_at=timezone.now(), renew_by=due[0].renew_by
    )
    assert renewal.send_renewal_emails()["renewal_notice"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(b.recipient.email for b in due)
    assert renewal.send_renewal_emails() == {
        "renewal_notice": 0,
        "renewal_reminder": 0,
        "out_of_date": 0,
    }


def test_the_reminder_goes_only_in_the_last_week_and_only_to_an_issued_badge(due):
    renewal.send_renewal_emails()  # the notices
    deadline = due[0].renew_by
    Badge.objects.filter(pk=due[1].pk).update(state=State.SUSPENDED)
    with time_machine.travel(deadline - renewal.REMINDER_BEFORE - timedelta(seconds=1)):
        assert renewal.send_renewal_emails()["renewal_reminder"] == 0
    with time_machine.travel(deadline - renewal.REMINDER_BEFORE, tick=False):
        assert renewal.send_renewal_emails()["renewal_reminder"] == 1
    with time_machine.travel(deadline, tick=False):
        counts = renewal.run_renewal_job()
    assert counts == {
        "marked_out_of_date": 1,
        "renewal_notice": 0,
        "renewal_reminder": 0,
        "out_of_date": 1,
    }


def test_a_broker_that_cannot_take_the_e_mails_leaves_them_to_the_beat_job(
    course_and_modules, due, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    course, modules = course_and_modules
    asked = []

    def refuse(*args, **kwargs):
        asked.append(kwargs)
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.send_renewal_emails_task, "apply_async", refuse)
    with caplog.at_level(logging.WARNING, logger="credence.badges"):
        with django_capture_on_commit_callbacks(execute=True):
            versions.publish_version(
                course,
                number="2027.2",
                summary="More rationales.",
                changed_modules=[modules[1]],
                renewal_days=30,
            )
    assert [r.getMessage() for r in caplog.records] == [
        "could not queue send_renewal_emails_task (broker down); the beat job will"
    ]
    # Once, at once: Celery's retries would hold the publishing request while it waits.
    assert asked == [{"retry": False}]
    assert mail.outbox == []
    assert renewal.send_renewal_emails()["renewal_notice"] == 2


def test_the_job_logs_how_many_it_marked_in_how_many_batches(due, caplog):
    with time_machine.travel(due[0].renew_by, tick=False):
        with caplog.at_level(logging.INFO, logger="credence.badges"):
            assert renewal.mark_out_of_date(batch_size=1) == renewal.MarkResult(2, 2)
    assert "marked 2 badges out of date in 2 batches" in [r.getMessage() for r in caplog.records]


# --- module editions ----------------------------------------------------------------------


def test_only_a_version_asking_for_renewal_starts_a_module_edition(course_and_modules):
    course, (first, second) = course_and_modules
    versions.publish_version(
        course,
        number="2026.2",
        summary="Wording only.",
        changed_modules=[first],
        renewal_days=None,
    )
    assert versions.module_edition(first) == 0
    renewal_version = versions.publish_version(
        course, number="2027.1", summary="New rules.", changed_modules=[first], renewal_days=9
    )
    assert versions.module_edition(first) == renewal_version.sequence
    assert versions.module_edition(second) == 0


def test_versions_of_reads_every_version_and_its_modules_in_two_queries(
    course_and_modules, django_assert_num_queries
):
    course, (first, second) = course_and_modules
    for number, modules in (("2027.1", [first]), ("2027.2", [first, second])):
        versions.publish_version(
            course, number=number, summary="Changed.", changed_modules=modules, renewal_days=30
        )
    with django_assert_num_queries(2):
        found = versions.versions_of(course)
        changed = [sorted(m.pk for m in v.changed_modules.all()) for v in found]
    assert [v.number for v in found] == ["2027.2", "2027.1", "1"]
    assert changed == [sorted([first.pk, second.pk]), [first.pk], []]


def test_each_renewal_e_mail_goes_once_however_often_the_job_runs(due):
    renewal.send_renewal_emails()  # the notices
    deadline = due[0].renew_by
    with time_machine.travel(deadline - timedelta(days=2), tick=False):
        assert renewal.send_renewal_emails()["renewal_reminder"] == 2
        assert renewal.send_renewal_emails()["renewal_reminder"] == 0
    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        assert renewal.run_renewal_job()["out_of_date"] == 2
        assert renewal.run_renewal_job()["out_of_date"] == 0
    assert len(mail.outbox) == 2 + 2 + 2


# --- what a badge's holder is asked -------------------------------------------------------


def test_a_holder_is_asked_only_about_the_versions_after_theirs_of_their_course(
    site_root, course_and_modules, django_assert_num_queries
):
    course, (first, second) = course_and_modules
    other, other_modules = make_course_with_modules(site_root, modules=1)
    versions.publish_version(
        other, number="9.0", summary="Other.", changed_modules=other_modules, renewal_days=5
    )
    asked_first = versions.publish_version(
        course, number="2027.1", summary="One.", changed_modules=[first], renewal_days=30
    )
    asked_second = versions.publish_version(
        course, number="2027.2", summary="Two.", changed_modules=[second], renewal_days=30
    )

    with django_assert_num_queries(2):
        since_baseline = versions.renewal_ask(course, 1)
        assert since_baseline.changed_modules == (first, second)
    assert since_baseline.versions == (asked_first, asked_second)
    assert since_baseline.current == asked_second

    since_first = versions.renewal_ask(course, asked_first.sequence)
    assert since_first.versions == (asked_second,)
    assert since_first.changed_modules == (second,)

    # Holding the current version: nothing asked, and the current version still named.
    up_to_date = versions.renewal_ask(course, asked_second.sequence)
    assert not up_to_date
    assert (up_to_date.changed_modules, up_to_date.current) == ((), asked_second)


# --- opening renewals ---------------------------------------------------------------------


def test_a_version_asks_only_its_own_courses_holders_and_logs_how_many(
    site_root, course_and_modules, caplog
):
    course, (first, _second) = course_and_modules
    other, _other_modules = make_course_with_modules(site_root, modules=1)
    make_badge_design(other)
    holders = [make_badge(design=course.badge_design, name=f"Holder {n}") for n in range(2)]
    elsewhere = make_badge(design=other.badge_design, name="Other holder")
    # The other course has versions too, so its badge certifies an early sequence.
    versions.publish_version(other, number="5.0", summary="Wording.", renewal_days=None)
    assert Badge.objects.get(pk=elsewhere.pk).course_version.sequence == 1

    with caplog.at_level(logging.INFO, logger="credence.badges"):
        version = versions.publish_version(
            course, number="2027.1", summary="One.", changed_modules=[first], renewal_days=30
        )
    deadline = version.published_at + timedelta(days=30)
    assert [Badge.objects.get(pk=b.pk).renew_by for b in holders] == [deadline, deadline]
    assert Badge.objects.get(pk=elsewhere.pk).renew_by is None
    assert f"course {course.pk} version 2027.1: 2 badges asked to renew by {deadline.date()}" in [
        r.getMessage() for r in caplog.records
    ]


@pytest.mark.django_db(transaction=True)
def test_opening_renewals_outside_the_versions_transaction_is_a_programming_error(
    site_root,
):
    course, (first, _second) = make_course_with_modules(site_root, modules=2)
    version = versions.publish_version(
        course, number="2027.1", summary="One.", changed_modules=[first], renewal_days=30
    )
    with pytest.raises(
        RuntimeError, match=r"^open_renewals must run in the version's transaction$"
    ):
        renewal.open_renewals(version)


def test_the_first_version_records_the_baseline_on_its_own_courses_badges_only(
    site_root, course_and_modules, staff_user
):
    from wagtail.models import PageLogEntry

    course, (first, _second) = course_and_modules
    other, _other_modules = make_course_with_modules(site_root, modules=1)
    make_badge_design(other)
    mine = make_badge(design=course.badge_design, name="Holder")
    elsewhere = make_badge(design=other.badge_design, name="Other holder")

    version = versions.publish_version(
        course,
        number="2027.1",
        summary="One.",
        changed_modules=[first],
        renewal_days=30,
        by=staff_user,
    )
    assert Badge.objects.get(pk=mine.pk).course_version.number == "1"
    assert Badge.objects.get(pk=elsewhere.pk).course_version is None
    entry = PageLogEntry.objects.get(page=course, action="credence.course.version")
    assert entry.user == staff_user
    assert entry.data == {
        "number": version.number,
        "renewal_days": 30,
        "changed_modules": [first.pk],
    }
