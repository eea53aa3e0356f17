"""Seeding and in-process query counts for the learner benches, run in a child process
under bench/learner_settings (see bench/http_load.py's django_child).

`seed_pages(fellows)` builds a catalogue with a 3-module course (6 questions each) and a
12-module course (20 questions each), `fellows` fellows enrolled in both with module 1
passed, each signed in (a session row), and prints one request line per fellow and page.
`seed_quiz(fellows)` builds a 20-question quiz and `fellows` fellows each with an open
attempt, and prints one submission line per fellow (wrong answers: the quiz is never
passed, as most submissions are not). `count_queries(...)` prints the SQL queries one
request makes, on every connection.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

CSRF_SECRET = "b" * 32  # one unmasked secret (Django accepts it as the form token too)
BACKEND = "django.contrib.auth.backends.ModelBackend"


def make_fellows(prefix: str, count: int):
    from django.contrib.auth.hashers import make_password

    from lms.accounts.models import User

    unusable = make_password(None)  # they never log in with a password: sessions are made
    users = [
        User(email=f"{prefix}{n}@example.org", display_name=f"Fellow {n}", password=unusable)
        for n in range(count)
    ]
    User.objects.bulk_create(users, batch_size=1000)
    return list(User.objects.filter(email__startswith=prefix).order_by("pk"))


def sign_in(users) -> dict[int, str]:
    """A session row per user, as logging in makes: {user id: Cookie header}."""
    expires = timezone.now() + timedelta(days=1)
    rows, cookies = [], {}
    store = SessionStore()
    for user in users:
        key = secrets.token_hex(16)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        cookies[user.pk] = (
            f"{settings.SESSION_COOKIE_NAME}={key}; {settings.CSRF_COOKIE_NAME}={CSRF_SECRET}"
        )
    Session.objects.bulk_create(rows, batch_size=1000)
    return cookies


def catalogue():
    from courses.models import CourseIndexPage
    from tests.factories.courses import make_catalogue

    return CourseIndexPage.objects.first() or make_catalogue(slug="bench-home")


def seed_pages(fellows: int) -> None:
    from courses import services
    from tests.factories.courses import make_course, make_module, single_choice_pool
    from tests.support.courses import right_answers

    index = catalogue()
    courses = {}
    for size, questions in ((3, 6), (12, 20)):
        course = make_course(index, title=f"Course of {size}")
        modules = [
            make_module(
                course,
                title=f"Module {n + 1}",
                questions=single_choice_pool(questions),
                max_attempts=5,
                cooldown_minutes=1,
            )
            for n in range(size)
        ]
        courses[size] = (course, modules)
    users = make_fellows("page", fellows)
    for user in users:
        for course, modules in courses.values():
            services.check_enrol(user, course)
            attempt = services.start_attempt(user, modules[0])
            services.submit_attempt(attempt, right_answers(attempt))
    cookies = sign_in(users)
    lines = []
    for user in users:
        for size, (_, modules) in courses.items():
            lines.append(
                {"page": f"module{size}", "path": modules[1].url, "cookie": cookies[user.pk]}
            )
        lines.append({"page": "dashboard", "path": "/learning/", "cookie": cookies[user.pk]})
    print(json.dumps(lines))


def seed_quiz(fellows: int, questions: int, prefix: str = "quiz") -> None:
    from django.urls import reverse

    from courses import grading
    from courses.models import Enrolment, QuizAttempt
    from tests.factories.courses import make_course, make_module, single_choice_pool

    index = catalogue()
    course = make_course(index, title="Quiz course", slug=f"{prefix}-course")
    # One wrong answer in any quiz fails it: every submission is graded in full, none passes.
    module = make_module(course, questions=single_choice_pool(questions), pass_mark_percent=100)
    users = make_fellows(prefix, fellows)
    now = timezone.now()
    Enrolment.objects.bulk_create(
        [Enrolment(user=user, course=course, enrolled_at=now) for user in users], batch_size=1000
    )
    attempts = []
    for user in users:
        layout, key = grading.freeze_quiz(
            module.quiz_questions.raw_data,
            draw=None,
            shuffle_questions=True,
            shuffle_choices=True,
        )
        attempts.append(
            QuizAttempt(
                user=user,
                module=module,
                attempt_number=1,
                layout=layout,
                answer_key=key,
                pass_mark_percent=module.pass_mark_percent,
                started_at=now,
            )
        )
    QuizAttempt.objects.bulk_create(attempts, batch_size=500)
    cookies = sign_in(users)
    warm_progress(users)
    lines = []
    for attempt in QuizAttempt.objects.filter(module=module).order_by("pk"):
        answers = wrong_answers(attempt)
        answers["csrfmiddlewaretoken"] = CSRF_SECRET
        lines.append(
            {
                "path": reverse("courses:attempt", args=[attempt.public_id]),
                "cookie": cookies[attempt.user_id],
                "body": urlencode(answers),
            }
        )
    print(json.dumps(lines))


def warm_progress(users) -> None:
    """Each fellow's progress in the cache, as the module page they started the quiz from
    left it (a submission is never a fellow's first request)."""
    from django.test import RequestFactory

    from courses import progress_cache

    for user in users:
        request = RequestFactory().get("/")
        request.user = user
        progress_cache.fellow_progress(user, request=request)


def wrong_answers(attempt) -> dict:
    """One wrong answer and the rest right: graded in full, never passed."""
    answers = {q["id"]: attempt.answer_key[q["id"]]["correct"][0] for q in attempt.layout}
    first = attempt.layout[0]
    answers[first["id"]] = next(
        c["id"]
        for c in first["choices"]
        if c["id"] not in attempt.answer_key[first["id"]]["correct"]
    )
    return answers


def count_queries(method: str, path: str, cookie: str, body: str = "") -> None:
    """Print the queries one request makes (every connection), after one warm-up request
    when `method` is GET."""
    import contextlib

    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_COOKIE=cookie)
    # Warm this process and the cache as a served fellow's earlier requests would.
    assert client.get("/learning/").status_code == 200
    if method == "GET":
        assert client.get(path).status_code == 200
    with contextlib.ExitStack() as stack:
        captured = [stack.enter_context(CaptureQueriesContext(c)) for c in connections.all()]
        if method == "GET":
            response = client.get(path)
        else:
            response = client.generic(
                "POST", path, body, content_type="application/x-www-form-urlencoded"
            )
    assert response.status_code in (200, 303), (path, response.status_code)
    print(sum(len(q) for q in captured))
