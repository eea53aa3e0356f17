"""The renewal e-mails (issue #15): when a course version asks for renewal, a week before
the deadline, and when it passes. Each is sent once per badge, through the badge e-mail
path, in the fellow's language, and says what changed, which modules to retake (linked on
SITE_URL), by when, and where to start."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import formats, timezone, translation

from certificates.issuing import renewal
from certificates.models import Badge
from tests.support.renewals import SUMMARY, certified_course, publish_renewal

pytestmark = pytest.mark.django_db


@pytest.fixture
def due(site_root, fellow, django_capture_on_commit_callbacks):
    """A fellow's badge that version 2027.1 (module 2 changed, 60 days) asks to renew;
    its e-mails not sent yet. (badge, modules)."""
    course, modules, badge = certified_course(site_root, fellow, django_capture_on_commit_callbacks)
    publish_renewal(course, [modules[1]])
    badge.refresh_from_db()
    mail.outbox.clear()
    return badge, modules


def absolute(module) -> str:
    return f"{settings.SITE_URL}{module.url}"


def when(moment, fmt="DATETIME_FORMAT", language="en") -> str:
    with translation.override(language):
        return formats.date_format(timezone.localtime(moment), fmt)


def test_the_notice_is_sent_once_per_due_badge_and_says_what_to_do(due, fellow):
    badge, (first, second, third) = due
    assert renewal.send_renewal_emails()["renewal_notice"] == 1
    (sent,) = mail.outbox
    assert sent.to == [fellow.email]
    assert (
        sent.subject == "The course has a new version: renew your badge Certified AI Data Labeler"
    )
    body = sent.body
    assert "has a new version, 2027.1" in body and "certifies version 1" in body
    assert f"2027.1: {SUMMARY}" in body
    assert f"by {when(badge.renew_by)} UTC" in body
    assert f"- {second.title}\n  {absolute(second)}" in body
    assert first.title not in body and third.title not in body
    assert f"Start here:\n{absolute(second)}" in body
    assert "&quot;" not in body and "&#" not in body  # plain text, not HTML-escaped
    # Sent: the next run sends nothing.
    assert renewal.send_renewal_emails()["renewal_notice"] == 0
    assert len(mail.outbox) == 1


def test_only_the_holders_of_an_earlier_version_hear_of_it(
    due, django_user_model, django_capture_on_commit_callbacks
):
    from tests.support.courses import complete_course

    badge, _modules = due
    later = django_user_model.objects.create_user(
        email="later@example.org", password=None, display_name="Later"
    )
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(later, badge.course)  # certified on 2027.1 already
    mail.outbox.clear()
    assert renewal.send_renewal_emails()["renewal_notice"] == 1
    assert [m.to for m in mail.outbox] == [[badge.recipient.email]]


def test_publishing_the_version_sends_the_notice_once_it_commits(
    site_root, fellow, django_capture_on_commit_callbacks
):
    course, modules, _badge = certified_course(
        site_root, fellow, django_capture_on_commit_callbacks
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publish_renewal(course, [modules[2]])
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["The course has a new version"]
    assert absolute(modules[2]) in mail.outbox[0].body


def test_a_reminder_goes_out_in_the_last_week_once(due):
    badge, (_first, second, _third) = due
    renewal.send_renewal_emails()
    mail.outbox.clear()
    with time_machine.travel(badge.renew_by - timedelta(days=8), tick=False):
        assert renewal.send_renewal_emails()["renewal_reminder"] == 0
    with time_machine.travel(badge.renew_by - timedelta(days=6), tick=False):
        assert renewal.send_renewal_emails()["renewal_reminder"] == 1
        assert renewal.send_renewal_emails()["renewal_reminder"] == 0
    (sent,) = mail.outbox
    assert sent.subject == "Renew your badge soon: Certified AI Data Labeler"
    assert f"renew it by {when(badge.renew_by)} UTC (in 6\xa0days)" in sent.body
    assert f"2027.1: {SUMMARY}" in sent.body
    assert f"- {second.title}\n  {absolute(second)}" in sent.body
    assert f"Carry on here:\n{absolute(second)}" in sent.body


def test_the_out_of_date_e_mail_follows_the_deadline_once(due):
    badge, (_first, second, _third) = due
    renewal.send_renewal_emails()
    mail.outbox.clear()
    with time_machine.travel(badge.renew_by + timedelta(hours=2), tick=False):
        assert renewal.send_renewal_emails()["out_of_date"] == 0  # not marked yet
        assert renewal.mark_out_of_date().marked == 1
        assert renewal.send_renewal_emails()["out_of_date"] == 1
        assert renewal.send_renewal_emails()["out_of_date"] == 0
    badge.refresh_from_db()
    assert badge.state == Badge.State.OUT_OF_DATE
    (sent,) = mail.outbox
    assert sent.subject == "Your badge is out of date: Certified AI Data Labeler"
    assert f"is out of date since {when(badge.renew_by, 'DATE_FORMAT')}" in sent.body
    assert "a badge for version 2027.1 replaces this one" in sent.body
    assert f"Renew here:\n{absolute(second)}" in sent.body
    assert f"2027.1: {SUMMARY}" in sent.body


def test_the_e_mails_are_in_the_fellows_language(due, fellow):
    badge, _modules = due
    fellow.language = "zh-hant"
    fellow.save(update_fields=["language"])
    renewal.send_renewal_emails()
    (sent,) = mail.outbox
    assert sent.body.startswith(f"{fellow.display_name} 您好：")
    assert when(badge.renew_by, language="zh-hant") in sent.body  # 2027年2月5日 12:00
    assert "年" in when(badge.renew_by, language="zh-hant")
    assert "\n" not in sent.subject


def test_the_e_mail_links_a_fellow_who_left_the_course_to_its_page(due, fellow):
    from courses import services

    badge, _modules = due
    services.unenrol(fellow, badge.course)
    renewal.send_renewal_emails()
    (sent,) = mail.outbox
    assert f"Start here:\n{settings.SITE_URL}{badge.course.url}" in sent.body


def test_a_renewal_that_cannot_be_worked_out_still_sends_a_plain_notice(due, monkeypatch):
    """The send is claimed before the e-mail is written: if working out what the renewal
    asks fails, the fellow still hears that the course changed, with their badge's link."""
    from certificates import holdings

    badge, _modules = due

    def broken(badge):
        raise RuntimeError("the course tree could not be read")

    monkeypatch.setattr(holdings, "renewal_for_email", broken)
    assert renewal.send_renewal_emails()["renewal_notice"] == 1
    (sent,) = mail.outbox
    assert "has a new version" in sent.body
    assert badge.snapshot["verify_url"] in sent.body


def test_a_reminder_the_course_team_sends_after_the_deadline_says_out_of_date(due):
    badge, (_first, second, _third) = due
    with time_machine.travel(badge.renew_by + timedelta(days=3), tick=False):
        renewal.mark_out_of_date()
        badge.refresh_from_db()
        assert renewal.remind(badge) is True
    (sent,) = mail.outbox
    day = when(badge.renew_by, "DATE_FORMAT")
    assert f"is out of date since {day}. Renew it to bring it up to date." in sent.body
    assert "renew it by" not in sent.body
    assert f"Carry on here:\n{absolute(second)}" in sent.body
