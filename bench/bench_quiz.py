"""Quiz-submission benchmark: a 20-question quiz POST against a bare Django POST.

First over HTTP under production settings (bench/learner_http.py; skipped without
PostgreSQL, Redis and wrk): BENCH_SUBMITTERS (3000) fellows, signed in, each with an open
attempt; wrk submits each attempt once (one wrong answer, so graded in full and not
passed), right after the floor (a bare view parsing the same form body with the same
cookies, same gunicorn with 2 workers). Targets (issue 17): a submission costs <= 4x the
bare POST (floor requests/s / submissions/s) and makes <= 15 queries, the same for 2 and
20 questions. Then the in-process comparison below.

Run from the project root (SQLite in memory by default; set DATABASE_URL for PostgreSQL,
in which case a throwaway test database "test_<name>" is created and dropped):

    DJANGO_SETTINGS_MODULE=lms.settings.test .venv/bin/python bench/bench_quiz.py [N]

Both requests go through the same test client, middleware and settings in the same
process; the quiz request is a real submission (validation, grading, conditional update).
Each quiz round starts a fresh attempt outside the timed section. The ratio, not the
milliseconds, is the figure to compare between runs and machines.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path, reverse  # noqa: E402
from django.views.decorators.http import require_POST  # noqa: E402

from bench.support import run_in_test_database  # noqa: E402
from lms import urls as project_urls  # noqa: E402


@require_POST
def bare_post(request):
    # The floor: the same middleware stack and a parsed form body, no application work.
    return HttpResponse(str(len(request.POST)))


# The project's URL map itself, not include()d: it uses i18n_patterns, which Django allows
# only in a root URLconf.
urlpatterns = [
    path("bench/bare/", bare_post),
    *project_urls.urlpatterns,
]
QUESTIONS = 20


def build():
    from courses import services
    from lms.accounts.models import User
    from tests.factories.courses import (
        make_catalogue,
        make_course,
        make_module,
        single_choice_pool,
    )

    index = make_catalogue(slug="bench-home")
    course = make_course(index, title="Bench course")
    module = make_module(course, questions=single_choice_pool(QUESTIONS), pass_mark_percent=100)
    user = User.objects.create_user(email="bench@example.org", password=None, display_name="Bench")
    services.check_enrol(user, course)
    return user, module


def wrong(attempt):
    # Always one wrong answer, so the quiz is never passed and attempts can continue.
    answers = {q["id"]: attempt.answer_key[q["id"]]["correct"][0] for q in attempt.layout}
    first = attempt.layout[0]
    answers[first["id"]] = next(
        c["id"]
        for c in first["choices"]
        if c["id"] not in attempt.answer_key[first["id"]]["correct"]
    )
    return answers


def learner_http() -> int:
    from bench import http_load, learner_http

    wrk, base = learner_http.ready("bench_quiz (HTTP)")
    env = learner_http.prepare(base, os.environ.get("BENCH_DB", "credence_bench_quiz"))
    submitters = int(os.environ.get("BENCH_SUBMITTERS", "3000"))
    lines = learner_http.child_json(env, f"learner_seed.seed_quiz({submitters}, {QUESTIONS})")
    small = learner_http.child_json(env, "learner_seed.seed_quiz(2, 2, 'small')")
    counts = {
        "quiz submit (20 and 2 questions)": (
            [
                learner_http.queries(env, "POST", lines.pop()),
                learner_http.queries(env, "POST", small[0]),
            ],
            15,
        )
    }
    print(f"HTTP: {len(lines)} open attempts; queries {counts}", flush=True)
    # Each round: a warm-up slice and a measured slice of attempts never submitted before.
    rounds = learner_http.ROUNDS
    share = len(lines) // (2 * rounds)
    slices = [lines[i * share : (i + 1) * share] for i in range(2 * rounds)]
    as_requests = [
        http_load.write_requests([("POST", r["path"], r["cookie"], r["body"]) for r in chunk])
        for chunk in slices
    ]
    floor = http_load.write_requests(
        [("POST", "/bench/bare/", r["cookie"], r["body"]) for r in lines]
    )
    endpoints = {"quiz submit": (as_requests[rounds:], floor, as_requests[:rounds])}
    results = learner_http.rounds(wrk, env, endpoints)
    status = learner_http.report(results, {"quiz submit": ("cost", 4.0)}, counts)
    submitted = learner_http.child_json(
        env,
        "import json\nfrom courses.models import QuizAttempt\n"
        "print(json.dumps(QuizAttempt.objects.exclude(state='in_progress').count()))",
    )
    print(f"attempts submitted during the run: {submitted} of {len(lines)} (each once)")
    return status


def main(n: int) -> None:
    from courses import services
    from courses.models import QuizAttempt

    user, module = build()
    client = Client()
    client.force_login(user)
    bare_times, quiz_times = [], []
    for _ in range(n):
        attempt = services.start_attempt(user, module)
        data = wrong(attempt)
        url = reverse("courses:attempt", args=[attempt.public_id])
        started = time.perf_counter()
        response = client.post("/bench/bare/", data)
        bare_times.append(time.perf_counter() - started)
        assert response.status_code == 200
        started = time.perf_counter()
        response = client.post(url, data)
        quiz_times.append(time.perf_counter() - started)
        assert response.status_code == 303, response.status_code
    assert QuizAttempt.objects.filter(user=user, state="submitted").count() == n
    bare, quiz = statistics.median(bare_times), statistics.median(quiz_times)
    print(f"database: {connection.vendor}; {n} rounds; {QUESTIONS} questions")
    print(f"bare Django POST   median {bare * 1000:7.2f} ms")
    print(f"quiz submission    median {quiz * 1000:7.2f} ms")
    print(f"ratio quiz/bare    {quiz / bare:7.1f}x")


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    status = learner_http()
    print("In-process (test settings):", flush=True)
    sys.exit(run_in_test_database(main, rounds, urlconf=__name__) or status)
