"""SQL queries for the module page, quiz page and submission do not grow with size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import services
from courses.models import QuizAttempt
from tests.factories.courses import make_course, make_module, single_choice_pool
from tests.support.courses import right_answers

pytestmark = pytest.mark.django_db


def build(site_root, user, *, modules: int, questions: int):
    course = make_course(site_root)
    built = [make_module(course, questions=single_choice_pool(questions)) for _ in range(modules)]
    services.check_enrol(user, course)
    return course, built


def count(client, method, url, data=None) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {})
    return len(ctx.captured_queries), response.status_code


def measure(client, site_root, user, *, modules, questions):
    course, built = build(site_root, user, modules=modules, questions=questions)
    last = built[-1]
    # Every earlier module passed, so the last one is open: the most gating work.
    for module in built[:-1]:
        attempt = services.start_attempt(user, module)
        services.submit_attempt(attempt, right_answers(attempt))
    client.force_login(user)
    client.get(last.url)  # warm per-process caches (site root paths)
    module_page = count(client, "get", last.url)
    attempt = services.start_attempt(user, last)
    url = reverse("courses:attempt", args=[attempt.public_id])
    quiz_page = count(client, "get", url)
    submission = count(client, "post", url, right_answers(attempt))
    assert QuizAttempt.objects.get(pk=attempt.pk).passed
    return {"module": module_page, "quiz": quiz_page, "submit": submission}


def test_query_counts_do_not_grow_with_questions_or_modules(
    client, site_root, fellow, django_user_model
):
    def someone(email):
        return django_user_model.objects.create_user(
            email=email, password=None, display_name=email.split("@")[0]
        )

    # A first completion in the process fills per-process caches (content types, badge
    # lookups); warm them so the two measured runs do the same work.
    measure(client, site_root, someone("warm@example.org"), modules=2, questions=6)
    small = measure(client, site_root, fellow, modules=2, questions=6)
    large = measure(client, site_root, someone("grace@example.org"), modules=20, questions=30)
    assert small["module"][1] == small["quiz"][1] == 200 and small["submit"][1] == 303
    # The last submission completes the course in both runs, so the work is the same.
    assert small == large, (small, large)
    assert small["module"][0] <= 25 and small["quiz"][0] <= 20 and small["submit"][0] <= 35
