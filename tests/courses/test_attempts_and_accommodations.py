"""Fellows always know the attempts and wait left; one who runs out is told the truth, the
course team is e-mailed once, and an accommodation lets the fellow go on at once."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from courses import accommodations, services
from courses.models import Accommodation, QuizAttempt, StuckNotice
from tests.factories.courses import make_course, make_module, single_choice_pool
from tests.support.courses import right_answers, wrong_answers
from tests.support.otp import verified_client_for
from tests.support.staff import make_editor

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz(site_root, fellow):
    """A course whose first module's quiz allows 2 attempts with a 30-minute wait."""
    course = make_course(site_root)
    module = make_module(
        course, questions=single_choice_pool(3), max_attempts=2, cooldown_minutes=30
    )
    make_module(course, title="After the quiz")
    services.check_enrol(fellow, course)
    return course, module


def fail(user, module, *, at=None):
    attempt = services.start_attempt(user, module, now=at)
    services.submit_attempt(attempt, wrong_answers(attempt), now=at)
    return attempt


def use_up(user, module):
    """Fail every allowed attempt, the first ones long enough ago for the wait to be over."""
    long_ago = timezone.now() - timedelta(days=1)
    fail(user, module, at=long_ago)
    return fail(user, module)


def page(client, url, capture):
    with capture(execute=True):  # run the on-commit e-mail, as a real request would
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- Attempts and wait left --------------------------------------------------------------


def test_quiz_and_result_pages_say_how_many_attempts_and_how_long_a_wait_remain(
    client, fellow, quiz
):
    _, module = quiz
    client.force_login(fellow)
    html = client.get(module.url).content.decode()
    assert "0 used of 2" in html and "2 left" in html
    attempt = services.start_attempt(fellow, module)
    quiz_html = client.get(reverse("courses:attempt", args=[attempt.public_id])).content.decode()
    assert "Attempt 1 of 2." in quiz_html
    services.submit_attempt(attempt, wrong_answers(attempt))
    result = client.get(reverse("courses:attempt_result", args=[attempt.public_id]))
    text = result.content.decode()
    assert "Attempts left: <strong>1</strong> of 2." in text
    # The wait: when, and how long from now.
    assert "Next attempt from" in text and re.search(r"\(in (29|30)\xa0minutes\)", text)
    assert "Try again" not in text
    html = client.get(module.url).content.decode()
    assert "1 used of 2" in html and "1 left" in html
    assert re.search(r"\(in (29|30)\xa0minutes\)", html)


# --- Out of attempts ---------------------------------------------------------------------


def test_course_page_and_dashboard_say_attempts_are_used_up_and_the_team_is_told_once(
    client, fellow, staff_user, quiz, django_capture_on_commit_callbacks
):
    course, module = quiz
    client.force_login(fellow)
    assert "Continue: " in page(client, course.url, django_capture_on_commit_callbacks)
    last = use_up(fellow, module)
    assert not mail.outbox
    result = page(
        client,
        reverse("courses:attempt_result", args=[last.public_id]),
        django_capture_on_commit_callbacks,
    )
    assert "Attempts left: <strong>0</strong> of 2." in result
    assert "the course team has been told" in result and "Try again" not in result
    course_html = page(client, course.url, django_capture_on_commit_callbacks)
    assert "Attempts used up: the course team has been told" in course_html
    assert "Continue: " not in course_html
    dashboard = page(client, reverse("courses:dashboard"), django_capture_on_commit_callbacks)
    assert "Attempts used up: the course team has been told" in dashboard
    assert f"Next: {module.title}" not in dashboard
    for _ in range(3):
        page(client, module.url, django_capture_on_commit_callbacks)
        page(client, course.url, django_capture_on_commit_callbacks)
    # Told once, by e-mail, with a link to help; and the fact is stored.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [staff_user.email]
    assert fellow.display_name in message.subject and module.title in message.subject
    assert accommodations.grant_url(fellow.pk, module.pk) in message.body
    notice = StuckNotice.objects.get(user=fellow, module=module)
    assert notice.attempts_allowed == 2 and notice.notified_at and notice.resolved_at is None


def test_the_course_page_tells_the_team_even_when_the_quiz_page_was_never_seen(
    client, fellow, staff_user, quiz, django_capture_on_commit_callbacks
):
    course, module = quiz
    use_up(fellow, module)  # e.g. through the API, or the tab was closed
    client.force_login(fellow)
    html = page(client, course.url, django_capture_on_commit_callbacks)
    assert "Attempts used up: the course team has been told" in html
    assert len(mail.outbox) == 1 and StuckNotice.objects.filter(user=fellow).count() == 1


def test_only_those_who_can_help_are_emailed(
    client, fellow, staff_user, quiz, password, django_capture_on_commit_callbacks
):
    course, module = quiz
    helper = make_editor("helper@example.org", password, "courses.add_accommodation")
    helper.is_superuser = True  # can edit every course
    helper.save()
    make_editor("onlooker@example.org", password)  # admin access, cannot edit or grant
    use_up(fellow, module)
    client.force_login(fellow)
    page(client, module.url, django_capture_on_commit_callbacks)
    assert sorted(mail.outbox[0].to) == sorted([staff_user.email, helper.email])


def test_the_programme_admin_role_is_told_and_a_course_author_is_not(
    client, fellow, staff_user, quiz, password, django_capture_on_commit_callbacks
):
    """With the roles as set up by lms.accounts.roles: a programme admin may grant, so
    hears of it; a course author may edit the course but not grant, so does not."""
    from django.contrib.auth.models import Group

    from lms.accounts import roles

    roles.ensure_roles()
    course, module = quiz
    admin = make_editor("programme@example.org", password)
    admin.groups.add(Group.objects.get(name=roles.PROGRAMME_ADMIN))
    author = make_editor("author@example.org", password)
    author.groups.add(Group.objects.get(name=roles.COURSE_AUTHOR))
    use_up(fellow, module)
    client.force_login(fellow)
    page(client, module.url, django_capture_on_commit_callbacks)
    assert sorted(mail.outbox[0].to) == sorted([staff_user.email, admin.email])


# --- Accommodations ----------------------------------------------------------------------


def test_an_accommodation_lets_a_stuck_fellow_start_again_at_once_and_is_audited(
    client, fellow, staff_user, quiz, django_capture_on_commit_callbacks
):
    course, module = quiz
    use_up(fellow, module)
    client.force_login(fellow)
    page(client, course.url, django_capture_on_commit_callbacks)
    refused = client.post(reverse("courses:start_quiz", args=[module.pk]))
    assert refused.status_code == 302 and refused.url.endswith("#quiz")
    assert QuizAttempt.objects.filter(user=fellow).count() == 2

    granted = accommodations.grant_accommodation(
        fellow=fellow,
        module=module,
        extra_attempts=1,
        reset_cooldown=True,
        reason="Connection dropped twice during the exam window.",
        by=staff_user,
    )
    # No cache to wait out: the very next request may start attempt 3.
    course_html = page(client, course.url, django_capture_on_commit_callbacks)
    assert "Attempts used up: the course team" not in course_html
    assert "Continue: " in course_html
    module_html = page(client, module.url, django_capture_on_commit_callbacks)
    assert "2 used of 3" in module_html and "1 left" in module_html
    started = client.post(reverse("courses:start_quiz", args=[module.pk]))
    assert started.status_code == 302 and "/attempts/" in started.url, started.url
    third = QuizAttempt.objects.get(user=fellow, attempt_number=3)
    assert third.is_open
    assert StuckNotice.objects.get(user=fellow, module=module).resolved_at is not None

    entry = ModelLogEntry.objects.get(action=accommodations.LOG_ACTION)
    assert entry.object_id == str(granted.pk) and entry.user_id == staff_user.pk
    assert entry.data["reason"] == "Connection dropped twice during the exam window."
    assert entry.data["extra_attempts"] == 1 and entry.data["fellow_id"] == fellow.pk
    assert fellow.email not in entry.label and fellow.display_name not in entry.label

    # Running out again is a new episode: the team hears about it once more.
    services.submit_attempt(third, wrong_answers(third))
    for _ in range(2):
        page(client, module.url, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert StuckNotice.objects.filter(user=fellow, module=module).count() == 2


def test_the_audit_log_shows_the_grant_in_the_admin(
    verified_staff_client, fellow, staff_user, quiz
):
    _, module = quiz
    use_up(fellow, module)
    granted = accommodations.grant_accommodation(
        fellow=fellow, module=module, extra_attempts=2, reason="Illness", by=staff_user
    )
    report = verified_staff_client.get("/admin/reports/site-history/")
    text = report.content.decode()
    assert report.status_code == 200 and "Accommodation granted to a fellow" in text
    assert str(granted) in text


def test_a_cooldown_reset_opens_the_next_attempt_now(fellow, staff_user, quiz):
    _, module = quiz
    fail(fellow, module)
    state = services.quiz_state(fellow, module)
    assert state.blocked_code == "cooldown" and state.retry_at > timezone.now()
    accommodations.grant_accommodation(
        fellow=fellow, module=module, reset_cooldown=True, reason="Retake booked", by=staff_user
    )
    assert services.quiz_state(fellow, module).can_start
    second = services.start_attempt(fellow, module)
    assert second.attempt_number == 2
    # The reset waives the wait after attempts finished before it, not after later ones.
    services.submit_attempt(second, wrong_answers(second))
    accommodations.grant_accommodation(
        fellow=fellow, module=module, extra_attempts=1, reason="One more", by=staff_user
    )
    assert services.quiz_state(fellow, module).blocked_code == "cooldown"


def test_extra_time_lengthens_new_and_open_attempts(site_root, fellow, staff_user):
    course = make_course(site_root)
    module = make_module(course, questions=single_choice_pool(3), time_limit_minutes=20)
    services.check_enrol(fellow, course)
    now = timezone.now()
    open_attempt = services.start_attempt(fellow, module, now=now)
    accommodations.grant_accommodation(
        fellow=fellow, module=module, extra_minutes=10, reason="Screen reader", by=staff_user
    )
    open_attempt.refresh_from_db()
    assert open_attempt.deadline == now + timedelta(minutes=30)
    services.submit_attempt(open_attempt, wrong_answers(open_attempt))
    later = timezone.now()
    second = services.start_attempt(fellow, module, now=later)
    assert second.deadline == later + timedelta(minutes=30)


BAD_GRANTS = [
    ({"extra_attempts": -1}, "extra_attempts"),
    ({"extra_attempts": 10**9}, "extra_attempts"),
    ({"extra_attempts": True}, "extra_attempts"),
    ({"extra_attempts": "3"}, "extra_attempts"),
    ({"extra_minutes": 5}, "extra_minutes"),  # the quiz has no time limit
    ({"extra_attempts": 1, "reason": "   "}, "reason"),
    ({"extra_attempts": 1, "reason": "ok\x00then"}, "reason"),
    ({"extra_attempts": 1, "reason": "x" * 1001}, "reason"),
    ({}, "__all__"),  # does nothing
]


@pytest.mark.parametrize(("kwargs", "field"), BAD_GRANTS)
def test_bad_grants_are_refused_and_write_nothing(fellow, staff_user, quiz, kwargs, field):
    _, module = quiz
    kwargs = {"reason": "A reason", **kwargs}
    with pytest.raises(ValidationError) as refused:
        accommodations.grant_accommodation(fellow=fellow, module=module, by=staff_user, **kwargs)
    assert field in refused.value.message_dict
    assert not Accommodation.objects.exists()
    assert not ModelLogEntry.objects.filter(action=accommodations.LOG_ACTION).exists()


def test_no_grant_to_oneself_after_a_pass_or_without_permission(fellow, staff_user, quiz, password):
    _, module = quiz
    with pytest.raises(ValidationError):
        accommodations.grant_accommodation(
            fellow=staff_user, module=module, extra_attempts=1, reason="Me", by=staff_user
        )
    bystander = make_editor("bystander@example.org", password)
    with pytest.raises(PermissionDenied):
        accommodations.grant_accommodation(
            fellow=fellow, module=module, extra_attempts=1, reason="Please", by=bystander
        )
    attempt = services.start_attempt(fellow, module)
    services.submit_attempt(attempt, right_answers(attempt))
    with pytest.raises(ValidationError):
        accommodations.grant_accommodation(
            fellow=fellow, module=module, extra_attempts=1, reason="Late", by=staff_user
        )
    assert not Accommodation.objects.exists()


# --- The admin form ----------------------------------------------------------------------


def grant_url(fellow, module):
    return accommodations.grant_url(fellow.pk, module.pk)


def test_attempt_rows_link_to_the_form_for_those_who_may_grant(
    verified_staff_client, fellow, quiz, password
):
    _, module = quiz
    fail(fellow, module)
    listing = verified_staff_client.get("/admin/quiz-attempts/").content.decode()
    assert grant_url(fellow, module) in listing and "Grant accommodation" in listing
    viewer = make_editor("viewer@example.org", password, "courses.view_quizattempt")
    viewer.is_staff = True
    viewer.save()
    listing = verified_client_for(viewer).get("/admin/quiz-attempts/")
    assert listing.status_code == 200 and grant_url(fellow, module) not in listing.content.decode()


def test_the_form_grants_and_the_fellow_can_go_on(verified_staff_client, fellow, quiz):
    _, module = quiz
    use_up(fellow, module)
    url = grant_url(fellow, module)
    form = verified_staff_client.get(url)
    text = form.content.decode()
    assert form.status_code == 200 and fellow.display_name in text and "2 used of 2" in text
    response = verified_staff_client.post(
        url, {"extra_attempts": "1", "reset_cooldown": "on", "reason": "Power cut"}
    )
    assert response.status_code == 302
    row = Accommodation.objects.get()
    assert (row.extra_attempts, row.reset_cooldown, row.extra_minutes) == (1, True, 0)
    assert services.quiz_state(fellow, module).can_start


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"extra_attempts": "-1", "reason": "r"}, "greater than or equal to 0"),
        ({"extra_attempts": "99999999999999999999999", "reason": "r"}, "less than or equal to"),
        ({"extra_attempts": "1e3", "reason": "r"}, "Enter a whole number"),
        ({"extra_attempts": "1", "reason": ""}, "This field is required"),
        ({"extra_attempts": "1", "reason": "null\x00byte"}, "Null characters are not allowed"),
        ({"extra_attempts": "0", "reason": "Nothing at all"}, "Choose at least one"),
        ({"extra_attempts": ["1", "2"], "reason": "r" * 1001}, "at most 1000 characters"),
    ],
)
def test_bad_form_input_gives_form_errors_not_500(
    verified_staff_client, fellow, quiz, data, message
):
    _, module = quiz
    use_up(fellow, module)
    response = verified_staff_client.post(grant_url(fellow, module), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Accommodation.objects.exists()


def test_hostile_reason_text_is_stored_as_text_and_shown_escaped(
    verified_staff_client, fellow, quiz
):
    _, module = quiz
    use_up(fellow, module)
    hostile = '<script>alert("x")</script> \u202eevil'
    response = verified_staff_client.post(
        grant_url(fellow, module), {"extra_attempts": "1", "reason": hostile}
    )
    assert response.status_code == 302
    row = Accommodation.objects.get()
    assert row.reason == '<script>alert("x")</script> evil'  # bidi override dropped
    inspect = verified_staff_client.get(f"/admin/accommodations/inspect/{row.pk}/").content.decode()
    assert "&lt;script&gt;" in inspect and '<script>alert("x")' not in inspect


def test_the_form_needs_the_permission(client, fellow, quiz, password):
    _, module = quiz
    use_up(fellow, module)
    editor = make_editor("no-grant@example.org", password)
    editor.is_staff = True
    editor.save()
    refused = verified_client_for(editor)
    url = grant_url(fellow, module)
    assert refused.get(url).status_code == 403
    assert refused.post(url, {"extra_attempts": "1", "reason": "r"}).status_code == 403
    assert not Accommodation.objects.exists()
    editor.user_permissions.add(
        Permission.objects.get(content_type__app_label="courses", codename="add_accommodation")
    )
    allowed = verified_client_for(get_user_model().objects.get(pk=editor.pk))
    assert allowed.post(url, {"extra_attempts": "1", "reason": "r"}).status_code == 302
    assert Accommodation.objects.get().granted_by_id == editor.pk
    # A fellow (no admin access) never reaches it.
    client.force_login(fellow)
    assert client.get(url).status_code in (302, 403)


def test_erasing_the_fellow_scrubs_the_grants_from_the_audit_log(fellow, staff_user, quiz):
    from lms.accounts.erasure import ERASED_LABEL, erase_account

    _, module = quiz
    use_up(fellow, module)
    accommodations.grant_accommodation(
        fellow=fellow, module=module, extra_attempts=1, reason="Their diagnosis", by=staff_user
    )
    erase_account(fellow)
    entry = ModelLogEntry.objects.get(action=accommodations.LOG_ACTION)
    assert entry.label == ERASED_LABEL and entry.data == {}
    assert not Accommodation.objects.exists()
