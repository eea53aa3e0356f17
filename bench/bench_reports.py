"""Programme report pages against their main aggregate queries run alone, at scale.

    BENCH_FELLOWS=100000 .venv/bin/python bench/bench_reports.py [ROUNDS]   (DATABASE_URL set)

Needs PostgreSQL (the seed uses COPY); on SQLite it says so and exits 0. In a throwaway
test database, bench/seed_programme.py seeds BENCH_FELLOWS fellows (default 100,000: 10
courses, about 2,000,000 attempts). Then, for each report page (courses overview, one
course's module funnel, one quiz's item analysis) over the whole seeded year, it times
the page as an OTP-verified admin through the test client, and, in the same run, the
metric function behind the page's table alone (its main aggregate queries). Printed: the
medians, the ratio page/query (target ≤ 3), and for every SQL statement on the progress
tables that the metric runs, whether its PostgreSQL plan uses an index (Index, Index Only
or Bitmap Index scans found in EXPLAIN). Exits non-zero when a ratio misses the target.
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
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.support import run_in_test_database  # noqa: E402

TARGET = 3.0
INDEX_SCANS = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
# The tables that grow with the programme; lookups in the page tree (tens of rows) are
# planned as sequential scans whatever the indexes, and are not counted.
PROGRESS_TABLES = (
    "courses_quizattempt",
    "courses_enrolment",
    "courses_modulepass",
    "courses_coursecompletion",
)


def median_seconds(call, rounds: int) -> float:
    call()  # warm caches and the plan
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def plans(call) -> list[tuple[str, bool]]:
    """(first line of each SQL statement `call` runs, whether its plan uses an index)."""
    with CaptureQueriesContext(connection) as captured:
        call()
    found = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            if not any(table in sql for table in PROGRESS_TABLES):
                continue
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            found.append((" ".join(sql.split())[:70], any(s in plan for s in INDEX_SCANS)))
    return found


def staff_client() -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from lms.accounts.models import User

    staff = User.objects.create_superuser(
        email="bench-admin@example.org", password=None, display_name="Bench Admin"
    )
    device = TOTPDevice.objects.create(user=staff, name="bench", confirmed=True)
    client = Client()
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main(rounds: int) -> int:
    from bench.seed_programme import SPAN_DAYS, seed
    from courses.models import CoursePage
    from courses.programme import metrics
    from courses.programme.forms import ReportFilterForm

    fellows = int(os.environ.get("BENCH_FELLOWS", 100_000))
    seed(fellows)
    client = staff_client()
    course = CoursePage.objects.order_by("path").first()
    module = metrics.quiz_modules(course)[0]
    form = ReportFilterForm({})
    form.is_valid()
    last = form.cleaned_data["end"]
    query = f"start={last.replace(year=last.year - 1).isoformat()}&end={last.isoformat()}"
    form = ReportFilterForm(dict(p.split("=") for p in query.split("&")))
    form.is_valid()
    period = form.period()
    print(f"period: the last {SPAN_DAYS} days; {rounds} rounds each")

    def page(url):
        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return get

    cases = [
        (
            "courses overview",
            page(f"/admin/programme/reports/?{query}"),
            lambda: metrics.courses_overview(period),
        ),
        (
            "module funnel",
            page(f"/admin/programme/reports/courses/{course.pk}/?{query}"),
            lambda: metrics.module_funnel(course, period),
        ),
        (
            "quiz item analysis",
            page(f"/admin/programme/reports/quizzes/{module.pk}/?{query}"),
            lambda: metrics.item_analysis(module, period),
        ),
    ]
    missed = []
    for name, render, aggregate in cases:
        page_s = median_seconds(render, rounds)
        query_s = median_seconds(aggregate, rounds)
        ratio = page_s / query_s
        print(
            f"{name:20} page {page_s * 1000:8.1f} ms   main query alone {query_s * 1000:8.1f} ms"
            f"   ratio {ratio:4.2f} (target ≤ {TARGET})"
        )
        statements = plans(aggregate)
        indexed = sum(1 for _, uses in statements if uses)
        print(f"{'':20} plans: {indexed} of {len(statements)} statements use an index")
        for sql, uses in statements:
            if not uses:
                print(f"{'':22} no index: {sql}")
        if ratio > TARGET:
            missed.append(name)
    if missed:
        print("targets missed: " + ", ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    if connection.vendor != "postgresql":
        print("bench_reports needs PostgreSQL (the seed uses COPY): set DATABASE_URL. Skipped.")
        sys.exit(0)
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    sys.exit(run_in_test_database(main, rounds))
