"""Fixtures and checks for fault tests with real services: a private Redis as broker, real
Celery workers on the test database, and "issued exactly once".

Loaded for every test module by tests/conftest.py (pytest_plugins); each fixture starts
its service only when a test asks for it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.urls import reverse
from kombu import pools as kombu_pools

from certificates.models import Badge
from courses.models import CourseCompletion, QuizAttempt
from lms.celery import app as celery_app
from tests.factories.certificates import make_badge_design
from tests.factories.courses import make_course_with_modules
from tests.support.courses import right_answers
from tests.support.services import CeleryWorker, RedisServer, wait_for

# Workers started here give up a claimed render (and Redis redelivers its message) after
# this many seconds, so tests that kill a worker wait seconds, not minutes.
LEASE_SECONDS = 4


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def fault_dirs(tmp_path, settings):
    dirs = {name: tmp_path / name for name in ("media", "mail", "logs")}
    for path in dirs.values():
        path.mkdir()
    dirs["pause"] = tmp_path / "pause-render"
    settings.MEDIA_ROOT = str(dirs["media"])
    return dirs


@pytest.fixture
def producer(redis_server, settings):
    """Point this process's Celery app at the private Redis, publishing for real."""
    saved = {
        "broker_url": celery_app.conf.broker_url,
        "task_always_eager": celery_app.conf.task_always_eager,
    }

    def reset_pools():
        # Close and forget kombu's pooled connections and producers, and the app's AMQP
        # helper (a cached property), which holds its producer pool: the next publish
        # looks that pool up again, for the broker configured now.
        kombu_pools.reset()
        del celery_app.amqp

    celery_app.conf.update(broker_url=redis_server.url, task_always_eager=False)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    reset_pools()
    yield
    celery_app.conf.update(**saved)
    reset_pools()


@pytest.fixture
def start_worker(redis_server, fault_dirs):
    workers: list[CeleryWorker] = []
    db = connection.settings_dict

    def start(*, concurrency: int = 1) -> CeleryWorker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lms.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": redis_server.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_VISIBILITY_TIMEOUT": str(LEASE_SECONDS),
            "CREDENCE_RENDER_LEASE_SECONDS": str(LEASE_SECONDS),
            "CREDENCE_RENDER_PAUSE_FILE": str(fault_dirs["pause"]),
            "DJANGO_MEDIA_ROOT": str(fault_dirs["media"]),
            "CREDENCE_TEST_EMAIL_DIR": str(fault_dirs["mail"]),
        }
        worker = CeleryWorker(
            env,
            fault_dirs["logs"] / f"worker{len(workers)}.log",
            name=f"w{len(workers)}-{os.getpid()}",
            concurrency=concurrency,
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def course_with_badge(site_root):
    course, modules = make_course_with_modules(site_root, modules=1, questions=2)
    make_badge_design(course)
    return course, modules


def complete_course_through_the_site(client, fellow, course, module):
    """The fellow's real requests: enrol, start the quiz, submit right answers."""
    client.force_login(fellow)
    assert client.post(reverse("courses:enrol", args=[course.pk])).status_code in (302, 303)
    started = client.post(reverse("courses:start_quiz", args=[module.pk]))
    attempt = QuizAttempt.objects.get(public_id=started.url.rstrip("/").split("/")[-1])
    began = time.monotonic()
    response = client.post(
        reverse("courses:attempt", args=[attempt.public_id]), right_answers(attempt)
    )
    elapsed = time.monotonic() - began
    assert response.status_code == 303, response.content[:300]
    assert CourseCompletion.objects.filter(user=fellow, course=course).exists()
    return elapsed


def badge_issued(fellow):
    return Badge.objects.filter(recipient=fellow, state=Badge.State.ISSUED).first()


def ready_mails(fault_dirs):
    return [
        f
        for f in Path(fault_dirs["mail"]).iterdir()
        if "Your badge is ready" in f.read_text(errors="replace")
    ]


def broker_contents(server: RedisServer) -> dict[str, int]:
    """How many messages each queue (a Redis list) holds, and how many are unacknowledged."""
    client = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=5)
    try:
        lists = [key for key in client.keys("*") if client.type(key) == b"list"]
        counts = {key.decode(): client.llen(key) for key in lists}
        counts["unacked"] = client.hlen("unacked")
        return counts
    finally:
        client.close()


def broker_is_quiet(server: RedisServer) -> bool:
    """No task message waits in a queue or is held by a worker: every delivery (a
    redelivery, a retry waiting for its countdown, the sweeper's) has run to its end.
    Tasks acknowledge late, so a message stays in the broker's unacknowledged set until its
    task has finished, e-mail included, and one a killed worker held comes back from there."""
    return not any(broker_contents(server).values())


def wait_for_quiet_broker(server: RedisServer, timeout: float = 60) -> None:
    """Wait until the broker is quiet. A killed worker's message comes back only once the
    visibility timeout has passed and a live worker's periodic restore runs, so this can
    take several seconds."""

    def quiet_twice() -> bool:
        # A worker takes a message off its queue and records it as unacknowledged in two
        # steps; a second look, a moment later, cannot fall between the same two steps.
        if not broker_is_quiet(server):
            return False
        time.sleep(0.2)
        return broker_is_quiet(server)

    try:
        wait_for(quiet_twice, timeout=timeout, what="every task message to be handled and acked")
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; the broker holds {broker_contents(server)}") from None


def assert_issued_exactly_once(fellow, fault_dirs, broker: RedisServer):
    """One issued badge, one stored PDF, one e-mail, once every delivery of the render
    (and any retry or redelivery of it) has run: the late ones must have been no-ops."""
    wait_for(lambda: ready_mails(fault_dirs), timeout=30, what="the 'badge ready' e-mail")
    wait_for_quiet_broker(broker)
    assert Badge.objects.filter(recipient=fellow).count() == 1
    badge = Badge.objects.get(recipient=fellow)
    assert badge.state == Badge.State.ISSUED
    pdfs = list((Path(fault_dirs["media"]) / "badges" / badge.public_id).glob("*.pdf"))
    assert [p.name for p in pdfs] == [Path(badge.pdf.name).name]
    assert pdfs[0].read_bytes().startswith(b"%PDF-")
    assert len(ready_mails(fault_dirs)) == 1
    return badge
