"""Badge issuance through Celery and Redis, as ratios against floors measured in the same run.

Needs PostgreSQL (DATABASE_URL) and redis-server on PATH; starts its own Redis on a free
loopback port and real Celery workers, and drops its database afterwards:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/bench_issuance.py [N]

(b) end to end: p50 of course completion → stored PDF (one worker), against p50 of a
    no-op task round trip plus p50 of the render alone in this process. Target ≤ 1.15.
(c) N badges (default 1,000) issued at once by two warmed-up worker processes: the N
    completions are queued while the workers are told not to consume, and the clock runs
    from telling them to resume to the N-th issued badge. Wall time against
    N × render time / 2 (target ≤ 1.1), and each worker's resident memory after the
    N-th badge no more than 5 MiB above that after the 50th.
Exits non-zero when a target is missed.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from kombu import pools  # noqa: E402

from bench.support import run_in_test_database  # noqa: E402
from tests.support.services import CeleryWorker, RedisServer, wait_for  # noqa: E402

E2E_ROUNDS = 20


def configure_producer(redis_url: str) -> None:
    from lms.celery import app

    app.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def worker_env(redis_url: str, media: Path) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_MEDIA_ROOT": str(media),
        "DJANGO_ISSUER_KEYS_FILE": settings.CREDENCE_ISSUER_KEYS_FILE,
    }


def build_course():
    from tests.factories.certificates import make_badge_design
    from tests.factories.courses import make_catalogue, make_course

    index = make_catalogue(slug="bench-home")
    course = make_course(index, title="Foundations of AI Data Labeling")
    make_badge_design(course, validity_days=730)
    return course


def make_fellows(n: int, start: int = 0):
    from lms.accounts.models import User

    return User.objects.bulk_create(
        [
            User(email=f"fellow{i}@example.org", display_name=f"Fellow Number {i}")
            for i in range(start, start + n)
        ]
    )


def complete(fellow, course):
    from certificates import issuance
    from courses.models import CourseCompletion

    with transaction.atomic():
        completion = CourseCompletion.objects.create(
            user=fellow,
            course=course,
            completed_at=timezone.now(),
            module_scores=[{"module_id": 1, "title": "M", "score_percent": 92}],
        )
        return issuance.request_badge_for_completion(completion)


def render_alone_p50(badge, rounds: int = 10) -> float:
    """The render exactly as the worker calls it: the issued badge's snapshot, with its
    signed credential attached as the PDF/A-3 associated file."""
    from certificates.publishing import render_pdf_bytes

    render_pdf_bytes(badge)
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        render_pdf_bytes(badge)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def child_rss_kib(worker: CeleryWorker) -> int:
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(worker.process.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    total = 0
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def main(n: int) -> int:
    from certificates.models import Badge
    from certificates.tasks import ping_task

    failures = []
    media = Path(settings.MEDIA_ROOT)
    redis = RedisServer().start()
    workers = []
    try:
        configure_producer(redis.url)
        course = build_course()
        logs = Path(os.environ.get("TMPDIR", "/tmp"))
        env = worker_env(redis.url, media)
        workers.append(CeleryWorker(env, logs / "bench-worker-0.log", name="bench0").start())

        # (b) end to end, one worker.
        ping_task.delay().get(timeout=30)  # warm the worker and connections
        noop = []
        for _ in range(E2E_ROUNDS):
            t = time.perf_counter()
            ping_task.delay().get(timeout=30)
            noop.append(time.perf_counter() - t)
        fellows = make_fellows(E2E_ROUNDS + 1)
        complete(fellows[0], course)  # warm the render path in the worker
        wait_for(
            lambda: Badge.objects.filter(state="issued").count() == 1,
            timeout=120,
            what="warm-up badge",
        )
        e2e = []
        for fellow in fellows[1:]:
            t = time.perf_counter()
            badge = complete(fellow, course)
            wait_for(
                lambda b=badge: Badge.objects.filter(pk=b.pk, state="issued").exists(),
                timeout=120,
                what="badge issued",
                interval=0.005,
            )
            e2e.append(time.perf_counter() - t)
        render = render_alone_p50(Badge.objects.filter(state="issued").first())
        floor_b = statistics.median(noop) + render
        ratio_b = statistics.median(e2e) / floor_b
        print(
            f"(b) no-op round trip p50 {statistics.median(noop) * 1000:.1f} ms; "
            f"render alone p50 {render * 1000:.1f} ms; "
            f"completion→stored PDF p50 {statistics.median(e2e) * 1000:.1f} ms"
        )
        print(f"(b) ratio {ratio_b:.2f} (target ≤ 1.15)")
        if ratio_b > 1.15:
            failures.append(f"(b) ratio {ratio_b:.2f}")

        # (c) N badges at once, two worker processes. The workers stop taking tasks while
        # the N completions are written and queued (that is the web tier's work, and it
        # would share the machine's cores with the workers), and the clock starts when
        # they are told to consume again.
        workers.append(CeleryWorker(env, logs / "bench-worker-1.log", name="bench1").start())
        from lms.celery import app

        hosts = [f"{w.name}@{socket.gethostname()}" for w in workers]
        queue = app.conf.task_default_queue
        # Bring the second worker to where (b) left the first (fonts, stylesheets, caches
        # warm, E2E_ROUNDS + 1 badges behind it): the memory check compares steady states.
        app.control.cancel_consumer(queue, destination=hosts[:1], reply=True, timeout=10)
        already = Badge.objects.filter(state="issued").count()
        for fellow in make_fellows(E2E_ROUNDS + 1, start=5_000):
            complete(fellow, course)
        wait_for(
            lambda: Badge.objects.filter(state="issued").count() >= already + E2E_ROUNDS + 1,
            timeout=120,
            what="the second worker's warm-up badges",
        )
        app.control.cancel_consumer(queue, destination=hosts[1:], reply=True, timeout=10)
        already = Badge.objects.filter(state="issued").count()
        fellows = make_fellows(n, start=10_000)
        t_queue = time.perf_counter()
        for fellow in fellows:
            complete(fellow, course)
        queued_s = time.perf_counter() - t_queue
        t0 = time.perf_counter()
        replies = app.control.add_consumer(queue, destination=hosts, reply=True, timeout=10)
        if len(replies) != len(hosts):
            raise SystemExit(f"workers did not resume consuming: {replies}")
        wait_for(
            lambda: Badge.objects.filter(state="issued").count() >= already + 50,
            timeout=600,
            what="50 badges",
            interval=0.05,
        )
        rss_50 = [child_rss_kib(w) for w in workers]
        wait_for(
            lambda: Badge.objects.filter(state="issued").count() >= already + n,
            timeout=n * 5,
            what=f"{n} badges",
            interval=0.2,
        )
        wall = time.perf_counter() - t0
        rss_n = [child_rss_kib(w) for w in workers]
        ideal = n * render / 2
        ratio_c = wall / ideal
        growth_mib = max((b - a) / 1024 for a, b in zip(rss_50, rss_n, strict=True))
        print(f"(c) {n} completions written and queued in {queued_s:.1f} s (not timed)")
        print(
            f"(c) {n} badges by 2 workers in {wall:.1f} s; ideal {ideal:.1f} s; "
            f"ratio {ratio_c:.2f} (target ≤ 1.1)"
        )
        print(
            f"(c) worker RSS after 50: {[r // 1024 for r in rss_50]} MiB; after {n}: "
            f"{[r // 1024 for r in rss_n]} MiB; growth {growth_mib:.1f} MiB (target ≤ 5)"
        )
        if ratio_c > 1.1:
            failures.append(f"(c) ratio {ratio_c:.2f}")
        if growth_mib > 5:
            failures.append(f"(c) memory growth {growth_mib:.1f} MiB")
    finally:
        for worker in workers:
            worker.stop()
        redis.stop()
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench_issuance needs PostgreSQL: set DATABASE_URL=postgres://...")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    sys.exit(run_in_test_database(main, count))
