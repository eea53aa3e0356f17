"""A signed-in fellow's module page and dashboard over HTTP under production settings,
against a bare Django view in the same run; then course-page cost growth in-process.

Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/credence REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/bench_pages.py [ROUNDS]

The HTTP part (bench/learner_http.py; skipped without PostgreSQL, Redis and wrk) seeds
BENCH_FELLOWS (200) fellows, signed in, enrolled in a 3-module and a 12-module course with
module 1 passed, and serves bench/learner_settings (the production settings) with
gunicorn, 2 workers. wrk asks for module 2 of each course and the dashboard as random
fellows, each run right after the floor (a bare view, same server, same cookies).
Targets (issue 17): module page and dashboard >= 0.1 of the floor's requests/s; module
page <= 8 queries, the same in both courses; p99 printed beside the floor's.

The in-process part below:

Every request goes through the same test client, middleware and settings in the same
process, as an enrolled fellow. Printed: median times, the ratio of each page to the
bare view (the floor), and for the course page with 1, 50 and 200 modules the number of
SQL queries (must not grow at all) and time(200)/time(1) (target ≤ 3). Exits non-zero
when a target is missed.
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
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path  # noqa: E402

from bench.support import run_in_test_database  # noqa: E402
from lms import urls as project_urls  # noqa: E402

_BARE = engines["django"].from_string(
    "{% extends 'base.html' %}{% block content %}<h1>Bare</h1>{% endblock %}"
)


def bare_page(request):
    # The floor: the same middleware and the site's base template, no application work.
    return HttpResponse(_BARE.render({}, request))


# The project's URL map itself, not include()d: it uses i18n_patterns, which Django allows
# only in a root URLconf.
urlpatterns = [
    path("bench/bare/", bare_page),
    *project_urls.urlpatterns,
]
SIZES = (1, 50, 200)


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
    user = User.objects.create_user(email="bench@example.org", password=None, display_name="Bench")
    courses = {}
    for size in SIZES:
        course = make_course(index, title=f"Course with {size} modules")
        modules = [
            make_module(course, title=f"Module {i + 1}", questions=single_choice_pool(6))
            for i in range(size)
        ]
        services.check_enrol(user, course)
        courses[size] = (course, modules)
    return user, courses


def timed(client, url, rounds):
    client.get(url)  # warm caches and template loading
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def learner_http() -> int:
    from bench import http_load, learner_http

    wrk, base = learner_http.ready("bench_pages (HTTP)")
    env = learner_http.prepare(base, os.environ.get("BENCH_DB", "credence_bench_pages"))
    fellows = int(os.environ.get("BENCH_FELLOWS", "200"))
    lines = learner_http.child_json(env, f"learner_seed.seed_pages({fellows})")
    by_page: dict[str, list[dict]] = {}
    for line in lines:
        by_page.setdefault(line["page"], []).append(line)
    counts = {
        "module page (3 and 12 modules)": (
            [learner_http.queries(env, "GET", by_page[p][0]) for p in ("module3", "module12")],
            8,
        ),
        "dashboard": ([learner_http.queries(env, "GET", by_page["dashboard"][0])], 8),
    }
    print(f"HTTP: {fellows} fellows; queries {counts}", flush=True)
    files = {}
    for page, rows in by_page.items():
        files[page] = http_load.write_requests([("GET", r["path"], r["cookie"], "") for r in rows])
        files[f"{page}-floor"] = http_load.write_requests(
            [("GET", "/bench/bare/", r["cookie"], "") for r in rows]
        )
    endpoints = {p: (files[p], files[f"{p}-floor"], None) for p in by_page}
    results = learner_http.rounds(wrk, env, endpoints)
    targets = {"module3": ("rps", 0.1), "module12": ("rps", 0.1), "dashboard": ("rps", 0.1)}
    return learner_http.report(results, targets, counts)


def main(rounds: int) -> int:
    user, courses = build()
    client = Client()
    client.force_login(user)
    bare = timed(client, "/bench/bare/", rounds)
    small_course, small_modules = courses[1]
    course_t = {size: timed(client, courses[size][0].url, rounds) for size in SIZES}
    course_q = {size: queries(client, courses[size][0].url) for size in SIZES}
    module_t = timed(client, small_modules[0].url, rounds)
    module_q = queries(client, small_modules[0].url)

    print(f"database: {connection.vendor}; {rounds} rounds per figure")
    print(f"bare view            {bare * 1000:7.2f} ms")
    for size in SIZES:
        print(
            f"course, {size:>3} modules {course_t[size] * 1000:7.2f} ms  "
            f"ratio {course_t[size] / bare:5.1f}x  queries {course_q[size]}"
        )
    print(
        f"module page          {module_t * 1000:7.2f} ms  "
        f"ratio {module_t / bare:5.1f}x  queries {module_q}"
    )
    growth = course_t[200] / course_t[1]
    print(f"course page time(200)/time(1) = {growth:.2f} (target <= 3)")
    failures = []
    if len(set(course_q.values())) != 1:
        failures.append(f"course-page queries grow with modules: {course_q}")
    if growth > 3:
        failures.append(f"course page cost grows {growth:.2f}x from 1 to 200 modules")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    status = learner_http()
    print("In-process course pages (test settings):", flush=True)
    sys.exit(run_in_test_database(main, rounds, urlconf=__name__) or status)
