"""Programme fixtures: fellows taking quizzes through courses.services at chosen times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from courses import services

# The end of the reporting period every test uses; events are placed relative to it.
END = datetime(2026, 3, 1, tzinfo=UTC)


def days_before_end(days: float) -> datetime:
    return END - timedelta(days=days)


def make_fellow(email: str):
    return get_user_model().objects.create_user(
        email=email, password=None, display_name=email.split("@")[0].title()
    )


def enrol(user, course, *, days_before: float):
    return services.check_enrol(user, course, now=days_before_end(days_before))


def answer_by_text(attempt, picks: dict[str, str]) -> dict[str, str]:
    """Answers naming the option by its text, per question prompt (as authored)."""
    answers = {}
    for q in attempt.layout:
        prompt = q["prompt"].removeprefix("<p>").removesuffix("</p>")
        text = picks[prompt]
        answers[q["id"]] = next(c["id"] for c in q["choices"] if c["text"] == text)
    return answers


def take_quiz(user, module, *, passing: bool, days_before: float, submit: bool = True):
    """Start and (unless submit=False) submit an attempt, all right or all wrong."""
    now = days_before_end(days_before)
    attempt = services.start_attempt(user, module, now=now)
    if not submit:
        return attempt
    answers = {}
    for q in attempt.layout:
        correct = set(attempt.answer_key[q["id"]]["correct"])
        answers[q["id"]] = next(c["id"] for c in q["choices"] if (c["id"] in correct) == passing)
    return services.submit_attempt(attempt, answers, now=now + timedelta(minutes=5)).attempt


@pytest.fixture
def staff_without_reports(db, password):
    """Staff with admin access (and a verified second factor) but no Programme permission."""
    from django.contrib.auth.models import Group, Permission

    user = get_user_model().objects.create_user(
        email="author@example.org", password=password, display_name="Arthur Author", is_staff=True
    )
    group = Group.objects.create(name="Authors only")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    return user


def verified_client(client, user):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
