"""Course and module pages against a bare Django view, and course-page cost growth.

Run from the project root (SQLite by default; set DATABASE_URL for PostgreSQL, in which
case a throwaway test database is created and dropped):

    .venv/bin/python bench/bench_pages.py [ROUNDS]

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
from django.urls import include, path  # noqa: E402

from bench.support import run_in_test_database  # noqa: E402

_BARE = engines["django"].from_string(
    "{% extends 'base.html' %}{% block content %}<h1>Bare</h1>{% endblock %}"
)


def bare_page(request):
    # The floor: the same middleware and the site's base template, no application work.
    return HttpResponse(_BARE.render({}, request))


urlpatterns = [path("bench/bare/", bare_page), path("", include("lms.urls"))]
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
    sys.exit(run_in_test_database(main, rounds, urlconf=__name__))
