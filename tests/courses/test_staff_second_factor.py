"""docs/threats.md, row G8: staff rights on the public site need the second factor, as the admin
does.

A staff member who logged in with a password only (no authenticator yet) is a fellow on
the public site: a module locked for a fellow is locked for them, its JSON too, and they
can neither start nor answer its quiz. Once they have enrolled an authenticator and
passed it in this session, the editor's view opens: the lesson, its JSON and its quiz.
"""

import pytest
from django.urls import reverse

from courses import services
from courses.models import QuizAttempt
from lms.accounts import second_factor
from lms.accounts.otp_policy import has_verified_second_factor
from tests.support.courses import right_answers
from tests.support.otp import SETUP_URL, current_code, password_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def password_only_staff(client, staff_user, password, course_two):
    """The staff member, signed in with their password only, enrolled like a fellow
    (so the first module is open to them and the second locked behind its quiz)."""
    services.check_enrol(staff_user, course_two[0])
    response = password_login(client, staff_user.email, password)
    assert response.status_code == 302
    assert not second_factor.has_confirmed_device(staff_user)
    return client


def enrol_authenticator(client, user):
    """The real enrolment step: open the setup page, type the app's first code."""
    assert client.get(SETUP_URL).status_code == 200
    device = second_factor.get_totp_device(user, confirmed=False)
    response = client.post(SETUP_URL, {"otp_token": current_code(device)})
    assert response.status_code == 200 and "backup" in response.content.decode().lower()


def attempt_url(attempt):
    return reverse("courses:attempt", args=[attempt.public_id])


def test_password_only_staff_see_a_locked_module_as_a_fellow_does(
    password_only_staff, staff_user, course_two
):
    client = password_only_staff
    _course, (m1, m2) = course_two

    page = client.get(m2.url)
    assert page.status_code == 403
    assert "SECRET-BODY" not in page.content.decode()
    assert m1.title in page.content.decode()  # the fellow's "pass this first" page

    api = client.get(reverse("courses:module_json", args=[m2.pk]))
    assert api.status_code == 403
    assert api.json()["locked"] is True and "body_html" not in api.json()

    start = client.post(reverse("courses:start_quiz", args=[m2.pk]))
    assert start.status_code == 403
    assert not QuizAttempt.objects.filter(module=m2).exists()

    # An attempt they hold from a verified session is just as closed to this one.
    attempt = services.start_attempt(staff_user, m2, check_access=False)
    assert client.get(attempt_url(attempt)).status_code == 403
    submitted = client.post(attempt_url(attempt), right_answers(attempt))
    assert submitted.status_code == 403
    attempt.refresh_from_db()
    assert attempt.is_open and attempt.submitted_at is None

    # The open module stays open: they are a fellow, not shut out.
    assert "SECRET-BODY" in client.get(m1.url).content.decode()


def test_the_same_staff_after_passing_the_second_factor_see_everything(
    password_only_staff, staff_user, course_two
):
    client = password_only_staff
    _course, (_m1, m2) = course_two
    enrol_authenticator(client, staff_user)

    page = client.get(m2.url)
    assert page.status_code == 200 and "SECRET-BODY" in page.content.decode()
    api = client.get(reverse("courses:module_json", args=[m2.pk]))
    assert api.status_code == 200 and "SECRET-BODY" in api.json()["body_html"]

    start = client.post(reverse("courses:start_quiz", args=[m2.pk]))
    assert start.status_code == 302
    attempt = QuizAttempt.objects.get(module=m2, user=staff_user)
    assert client.get(attempt_url(attempt)).status_code == 200
    submitted = client.post(attempt_url(attempt), right_answers(attempt))
    assert submitted.status_code == 303
    attempt.refresh_from_db()
    assert not attempt.is_open and attempt.passed


def test_a_preview_by_password_only_staff_is_gated_like_a_fellows(password_only_staff, course_two):
    m2 = course_two[1][1]
    request = password_only_staff.get("/").wsgi_request
    response = m2.make_preview_request(original_request=request)
    assert response.status_code == 403
    assert "SECRET-BODY" not in response.content.decode()


def test_the_predicate_needs_a_session_verified_by_django_otp(staff_user, rf):
    # A user object that never went through OTPMiddleware has no is_verified: not verified.
    assert has_verified_second_factor(staff_user) is False
    staff_user.is_verified = lambda: True
    assert has_verified_second_factor(staff_user) is True
    staff_user.is_verified = lambda: False
    assert has_verified_second_factor(staff_user) is False
