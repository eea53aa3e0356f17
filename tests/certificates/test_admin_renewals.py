"""The course team's renewal actions (certificates.staff.renewal_views): extending one
fellow's deadline, reminding one fellow or everyone due, each in the badge's history;
who may; and that a double click sends one e-mail."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates.issuing import renewal
from certificates.models import Badge
from certificates.staff import renewals
from tests.factories.certificates import make_badge_design
from tests.factories.courses import make_course_with_modules
from tests.support.otp import verified_client_for
from tests.support.staff import badge_history, make_badge, make_due_badges, make_editor

pytestmark = pytest.mark.django_db

State = Badge.State


@pytest.fixture
def course(site_root):
    course, _modules = make_course_with_modules(site_root, modules=2)
    make_badge_design(course)
    return course


@pytest.fixture
def due(course, staff_user):
    """Three fellows certified on the course as first published, asked to renew within
    30 days by version 2027.1."""
    return make_due_badges(course, count=3, by=staff_user)


@pytest.fixture
def staff(verified_staff_client):
    return verified_staff_client


def url(name, *args):
    return reverse(f"badges:{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def end_of(day):
    return timezone.make_aware(datetime.combine(day, time.max))


# --- extending a deadline ---------------------------------------------------------------------


def test_extending_a_deadline_moves_it_and_writes_the_badge_history(staff, staff_user, due, course):
    badge = due[0]
    previous = badge.renew_by
    new_day = (previous + timedelta(days=20)).date()
    page = staff.get(url("renewal_extend", badge.pk))
    assert page.status_code == 200
    assert "Holder 0" in page.content.decode()

    response = staff.post(
        url("renewal_extend", badge.pk),
        {"renew_by": new_day.isoformat(), "reason": "On parental leave until June."},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("courses_versions", args=[course.pk])
    badge.refresh_from_db()
    assert badge.renew_by == end_of(new_day)
    entry = badge_history(badge, "extend_renewal").get()
    assert entry.user == staff_user
    assert entry.data["reason"] == "On parental leave until June."
    assert entry.data["previous"] == previous.isoformat()
    # The badge's own page in the admin lists it, with the reason.
    inspect = staff.get(url("inspect", badge.pk)).content.decode()
    assert "Renewal deadline extended (On parental leave until June.)" in inspect
    assert "<dt>Certified version</dt><dd><bdi>1</bdi></dd>" in inspect
    assert "<dt>Renew by</dt>" in inspect
    assert url("renewal_extend", badge.pk) in inspect
    # Nobody else's deadline moved.
    assert {b.renew_by for b in Badge.objects.exclude(pk=badge.pk)} == {previous}


def test_an_out_of_date_badge_whose_deadline_is_extended_is_issued_again(staff, due):
    badge = due[0]
    # The thirty days have passed and the beat job has run.
    Badge.objects.update(renew_by=timezone.now() - timedelta(days=1))
    assert renewal.mark_out_of_date().marked == 3
    badge.refresh_from_db()
    assert badge.state == State.OUT_OF_DATE

    new_day = (timezone.now() + timedelta(days=14)).date()
    response = staff.post(
        url("renewal_extend", badge.pk),
        {"renew_by": new_day.isoformat(), "reason": "Was in hospital."},
    )
    assert response.status_code == 302
    assert "valid again" in " ".join(messages_of(response))
    badge.refresh_from_db()
    assert badge.state == State.ISSUED
    assert badge.out_of_date_at is None
    assert badge.renew_by == end_of(new_day)
    assert Badge.objects.filter(state=State.OUT_OF_DATE).count() == 2


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"renew_by": "2000-01-01", "reason": "Late"}, "must be in the future"),
        ({"renew_by": "EARLIER", "reason": "Late"}, "later than the current one"),
        ({"renew_by": "FAR", "reason": "Late"}, "within 3650 days"),
        ({"renew_by": "not a date", "reason": "Late"}, "Enter a valid date"),
        ({"renew_by": "99999-01-01", "reason": "Late"}, "Enter a valid date"),
        ({"renew_by": "LATER", "reason": "   "}, "This field is required"),
        ({"renew_by": "LATER", "reason": "x" * 501}, "at most 500 characters"),
    ],
)
def test_a_deadline_that_cannot_be_given_is_a_form_error(staff, due, data, error):
    badge = due[0]
    days = {
        "EARLIER": (badge.renew_by - timedelta(days=2)).date(),
        "LATER": (badge.renew_by + timedelta(days=2)).date(),
        "FAR": timezone.localdate() + timedelta(days=3651),
    }
    data = {**data, "renew_by": str(days.get(data["renew_by"], data["renew_by"]))}
    response = staff.post(url("renewal_extend", badge.pk), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    fresh = Badge.objects.get(pk=badge.pk)
    assert fresh.renew_by == badge.renew_by
    assert not badge_history(badge, "extend_renewal").exists()


def test_a_badge_with_no_deadline_cannot_be_extended(staff, course):
    badge = make_badge(design=course.badge_design)
    day = (timezone.now() + timedelta(days=5)).date().isoformat()
    response = staff.post(url("renewal_extend", badge.pk), {"renew_by": day, "reason": "x"})
    assert response.status_code == 400
    assert "This badge has no renewal deadline." in response.content.decode()
    assert Badge.objects.get(pk=badge.pk).renew_by is None


# --- reminders -------------------------------------------------------------------------------


def test_a_reminder_sends_one_email_and_is_logged_and_a_double_click_sends_none(
    staff, staff_user, due
):
    badge = due[0]
    mail.outbox.clear()
    response = staff.post(url("renewal_remind", badge.pk))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[badge.recipient.email]]
    assert badge_history(badge, "renewal_reminder").get().user == staff_user
    assert "Holder 0 was reminded to renew." in " ".join(messages_of(response))

    again = staff.post(url("renewal_remind", badge.pk))
    assert len(mail.outbox) == 1
    assert badge_history(badge, "renewal_reminder").count() == 1
    assert "not sent again" in " ".join(messages_of(again))
    # The versions page says when.
    page = staff.get(reverse("courses_versions", args=[badge.course_id])).content.decode()
    assert page.count("Never") == 2


def test_a_reminder_is_a_post(staff, due):
    assert staff.get(url("renewal_remind", due[0].pk)).status_code == 405
    assert not badge_history(due[0], "renewal_reminder").exists()


def test_reminding_everyone_due_sends_one_email_each_and_logs_each(staff, due, course):
    make_badge(design=course.badge_design, state=State.REVOKED)  # not due: not reminded
    confirm = staff.get(url("renewal_remind_all", course.pk))
    assert confirm.status_code == 200
    assert "Send 3 reminders" in confirm.content.decode()

    mail.outbox.clear()
    response = staff.post(url("renewal_remind_all", course.pk))
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted(b.recipient.email for b in due)
    for badge in due:
        assert badge_history(badge, "renewal_reminder").count() == 1
    assert "3 fellows reminded." in " ".join(messages_of(response))

    again = staff.post(url("renewal_remind_all", course.pk))
    assert len(mail.outbox) == 3
    assert "3 reminded less than an hour ago" in " ".join(messages_of(again))


def test_many_reminders_go_to_a_task_which_sends_each_once(staff, due, course, monkeypatch):
    monkeypatch.setattr(renewals, "REMIND_IN_REQUEST_MAX", 2)
    mail.outbox.clear()
    response = staff.post(url("renewal_remind_all", course.pk))  # eager Celery in tests
    assert "Reminding 3 fellows in the background" in " ".join(messages_of(response))
    assert len(mail.outbox) == 3
    from certificates.tasks import remind_due_renewals_task

    assert remind_due_renewals_task.delay(course.pk).get() == 0  # delivered twice: none
    assert len(mail.outbox) == 3


def test_an_automatic_reminder_counts_as_recent(staff, due):
    Badge.objects.filter(pk=due[0].pk).update(renewal_reminder_sent_at=timezone.now())
    mail.outbox.clear()
    staff.post(url("renewal_remind", due[0].pk))
    assert mail.outbox == []


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "permissions",
    [(), ("certificates.view_badge", "certificates.suspend_badge", "accounts.view_fellow_email")],
)
def test_without_manage_renewals_every_action_is_403_and_nothing_happens(
    due, course, password, permissions
):
    client = verified_client_for(make_editor("someone@example.org", password, *permissions))
    badge = due[0]
    day = (badge.renew_by + timedelta(days=5)).date().isoformat()
    mail.outbox.clear()
    assert client.get(url("renewal_extend", badge.pk)).status_code == 403
    assert (
        client.post(url("renewal_extend", badge.pk), {"renew_by": day, "reason": "x"}).status_code
        == 403
    )
    assert client.post(url("renewal_remind", badge.pk)).status_code == 403
    assert client.post(url("renewal_remind_all", course.pk)).status_code == 403
    assert Badge.objects.get(pk=badge.pk).renew_by == badge.renew_by
    assert mail.outbox == []
    assert not ModelLogEntry.objects.filter(action__startswith="credence.badge.").exists()


def test_a_badge_officer_may_manage_renewals(due, password):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from lms.accounts.roles import BADGE_OFFICER

    officer = get_user_model().objects.create_user(
        email="officer@example.org", password=password, display_name="Otto Officer"
    )
    officer.is_staff = True
    officer.save()
    officer.groups.add(Group.objects.get(name=BADGE_OFFICER))
    client = verified_client_for(officer)
    page = client.get(reverse("courses_versions", args=[due[0].course_id])).content.decode()
    assert "Holder 0" in page and due[0].recipient.email in page
    mail.outbox.clear()
    assert client.post(url("renewal_remind", due[0].pk)).status_code == 302
    assert len(mail.outbox) == 1


def test_unknown_badge_or_course_is_404(staff):
    assert staff.post(url("renewal_remind", 999999)).status_code == 404
    assert staff.get(url("renewal_extend", 999999)).status_code == 404
    assert staff.get(url("renewal_remind_all", 999999)).status_code == 404


def test_a_reminder_is_sent_with_the_renewal_e_mail(due):
    mail.outbox.clear()
    assert renewal.remind(due[0]) is True
    assert len(mail.outbox) == 1
