"""Issuance against the real services: PostgreSQL, a private Redis, real Celery workers.

docs/threats.md, rows B1 (hostile name through a real worker), F1 (Redis down at completion), F2
(Redis hanging), F3 (Redis lost the queued message), F4/F5 (worker killed mid-render), F6 (duplicate
delivery). "Issued exactly once" means one issued Badge row, one stored PDF and one "badge ready"
e-mail.
"""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates.issuing import issuance
from certificates.models import Badge
from certificates.tasks import ping_task
from courses.models import CourseCompletion
from tests.support.services import CeleryWorker, RedisServer, wait_for
from tests.support.worker_faults import (
    LEASE_SECONDS,
    assert_issued_exactly_once,
    badge_issued,
    complete_course_through_the_site,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_completion_yields_one_issued_badge_through_a_real_worker(
    client, fellow, course_with_badge, producer, redis_server, start_worker, fault_dirs
):
    course, modules = course_with_badge
    start_worker()
    complete_course_through_the_site(client, fellow, course, modules[0])
    wait_for(lambda: badge_issued(fellow), timeout=90, what="the badge to be issued")
    assert_issued_exactly_once(fellow, fault_dirs, redis_server)


def test_redis_down_at_completion_then_issued_after_restart(
    client, fellow, course_with_badge, producer, redis_server, start_worker, fault_dirs
):
    course, modules = course_with_badge
    redis_server.stop()
    elapsed = complete_course_through_the_site(client, fellow, course, modules[0])
    # A hang guard, not a benchmark: publishing gives up after its 1 s connect timeout.
    assert elapsed < 10
    badge = Badge.objects.get(recipient=fellow)
    assert badge.state == Badge.State.PENDING
    my_badges = client.get(reverse("certificates:my_badges")).content.decode()
    assert "being prepared" in my_badges.lower()

    redis_server.start()
    start_worker()
    assert issuance.sweep_stuck_badges(pending_after=timedelta(0)) == 1
    wait_for(lambda: badge_issued(fellow), timeout=90, what="the badge to be issued")
    assert_issued_exactly_once(fellow, fault_dirs, redis_server)


def wait_for_lease_to_run_out(badge: Badge) -> None:
    """Until the dead render's lease has run out (a real lease of LEASE_SECONDS, which the
    sweeper respects), or a redelivery has already taken the badge over."""
    wait_for(
        lambda: (
            not Badge.objects.filter(
                pk=badge.pk, state=Badge.State.RENDERING, render_lease_until__gte=timezone.now()
            ).exists()
        ),
        timeout=LEASE_SECONDS + 30,
        what="the dead render's lease to run out",
    )


def start_a_render_held_in_the_worker(client, fellow, course_with_badge, start_worker, fault_dirs):
    """A worker, and the fellow's badge claimed by it and held mid-render (pause file)."""
    course, modules = course_with_badge
    fault_dirs["pause"].touch()
    worker = start_worker()
    complete_course_through_the_site(client, fellow, course, modules[0])
    wait_for(
        lambda: Badge.objects.filter(recipient=fellow, state=Badge.State.RENDERING).exists(),
        timeout=60,
        what="the worker to claim the badge",
    )
    return worker


def test_worker_killed_mid_render_issues_exactly_once_after_restart(
    client, fellow, course_with_badge, producer, redis_server, start_worker, fault_dirs
):
    first = start_a_render_held_in_the_worker(
        client, fellow, course_with_badge, start_worker, fault_dirs
    )
    first.kill()
    fault_dirs["pause"].unlink()
    badge = Badge.objects.get(recipient=fellow)
    assert badge.state == Badge.State.RENDERING and not badge.pdf

    # The dead worker's unacknowledged message comes back once it is older than the
    # visibility timeout (LEASE_SECONDS, as long as the lease), when a live worker looks
    # for such messages: at its start, then only every hundred seconds or so (kombu's
    # default throttle). So the new worker starts after the lease has run out, and
    # finds the message at once; the sweeper re-queues the badge too. Either may win;
    # both together must still issue once (assert_issued_exactly_once waits for both).
    wait_for_lease_to_run_out(badge)
    start_worker()
    issuance.sweep_stuck_badges(pending_after=timedelta(0))
    wait_for(lambda: badge_issued(fellow), timeout=90, what="the badge to be issued")
    assert_issued_exactly_once(fellow, fault_dirs, redis_server)


def pool_children(worker: CeleryWorker) -> list[int]:
    pid = worker.process.pid
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_pool_child_killed_mid_render_is_replaced_and_issues_exactly_once(
    client, fellow, course_with_badge, producer, redis_server, start_worker, fault_dirs
):
    """docs/threats.md, row F5: SIGKILL only the pool process rendering the badge, as the kernel's
    OOM killer would. The worker's main process survives, reports WorkerLostError and forks a new
    child; the message (acks_late, reject_on_worker_lost) comes back, and with the sweeper the badge
    is still issued exactly once."""
    worker = start_a_render_held_in_the_worker(
        client, fellow, course_with_badge, start_worker, fault_dirs
    )
    (child,) = pool_children(worker)
    os.kill(child, signal.SIGKILL)
    wait_for(lambda: "WorkerLostError" in worker.log(), timeout=30, what="WorkerLostError")
    fault_dirs["pause"].unlink()
    assert worker.process.poll() is None  # the main process lives on
    wait_for(
        lambda: pool_children(worker) and child not in pool_children(worker),
        timeout=30,
        what="a new pool child",
    )
    wait_for_lease_to_run_out(Badge.objects.get(recipient=fellow))
    issuance.sweep_stuck_badges(pending_after=timedelta(0))
    wait_for(lambda: badge_issued(fellow), timeout=90, what="the badge to be issued")
    assert_issued_exactly_once(fellow, fault_dirs, redis_server)


def test_the_same_task_delivered_twice_concurrently_issues_once(
    fellow, course_with_badge, producer, redis_server, start_worker, fault_dirs
):
    course, _modules = course_with_badge
    CourseCompletion.objects.create(user=fellow, course=course, completed_at=timezone.now())
    fault_dirs["pause"].touch()
    worker = start_worker(concurrency=2)
    badge = issuance.issue_badge(recipient=fellow, course=course, score_percent=100)
    # issue_badge queued one delivery on commit (autocommit here); send a second at once.
    assert issuance.enqueue_render(badge.pk)
    wait_for(
        lambda: Badge.objects.filter(pk=badge.pk, state=Badge.State.RENDERING).exists(),
        timeout=60,
        what="a worker to claim the badge",
    )
    # The other delivery meets the held lease and schedules its retry (Celery logs it).
    wait_for(
        lambda: "render_badge_task" in worker.log() and " retry: " in worker.log(),
        timeout=60,
        what="the second delivery to find the render taken",
    )
    fault_dirs["pause"].unlink()
    wait_for(lambda: badge_issued(fellow), timeout=90, what="the badge to be issued")
    # The losing delivery's retry runs after the lease and is a no-op: the check waits
    # for it.
    assert_issued_exactly_once(fellow, fault_dirs, redis_server)


def redis_command(server: RedisServer, *words: str) -> bytes:
    """One command over a raw socket (RESP inline form); returns the first reply line."""
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(" ".join(words).encode() + b"\r\n")
        return sock.recv(256).split(b"\r\n", 1)[0]


def test_redis_hanging_at_completion_does_not_hang_the_request(
    client, fellow, course_with_badge, producer, redis_server, start_worker, fault_dirs
):
    """docs/threats.md, row F2: Redis accepts connections but answers nothing (CLIENT PAUSE)."""
    course, modules = course_with_badge
    # The pause holds every client, this one included, until it runs out.
    assert redis_command(redis_server, "CLIENT", "PAUSE", "20000", "ALL") == b"+OK"
    elapsed = complete_course_through_the_site(client, fellow, course, modules[0])
    # Publishing gives up after its 2 s socket timeout; the 20 s pause must not be felt.
    assert elapsed < 12
    badge = Badge.objects.get(recipient=fellow)
    assert badge.state == Badge.State.PENDING
    assert (
        "being prepared" in client.get(reverse("certificates:my_badges")).content.decode().lower()
    )

    wait_for(redis_server.answers, timeout=30, what="Redis to answer again")
    start_worker()
    issuance.sweep_stuck_badges(pending_after=timedelta(0))
    wait_for(lambda: badge_issued(fellow), timeout=90, what="the badge to be issued")
    assert_issued_exactly_once(fellow, fault_dirs, redis_server)


def test_queued_render_lost_by_redis_is_recovered_by_the_sweeper(
    client, fellow, course_with_badge, producer, redis_server, start_worker, fault_dirs
):
    """docs/threats.md, row F3: the message was queued, then Redis lost it (no persistence)."""
    course, modules = course_with_badge
    complete_course_through_the_site(client, fellow, course, modules[0])
    # queued on the render queue (lms/settings/celery.py routes renders there), no worker yet
    assert int(redis_command(redis_server, "LLEN", "render")[1:]) == 1
    assert redis_command(redis_server, "FLUSHALL") == b"+OK"
    worker = start_worker()
    # A message sent now is handled after anything still queued (a Redis list is FIFO):
    # once the worker has run it, the lost render is known not to be coming.
    ping = ping_task.delay()
    wait_for(
        lambda: f"ping_task[{ping.id}] succeeded" in worker.log(),
        timeout=60,
        what="the worker to run a task sent after the flush",
    )
    assert Badge.objects.get(recipient=fellow).state == Badge.State.PENDING

    assert issuance.sweep_stuck_badges(pending_after=timedelta(0)) == 1
    wait_for(lambda: badge_issued(fellow), timeout=90, what="the badge to be issued")
    assert_issued_exactly_once(fellow, fault_dirs, redis_server)


def test_hostile_name_set_on_the_profile_prints_literally_through_a_real_worker(
    client, fellow, course_with_badge, producer, redis_server, start_worker, fault_dirs
):
    """docs/threats.md, row B1: markup aimed at WeasyPrint's fetcher, entered where fellows enter
    names."""
    import io
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from pypdf import PdfReader

    from certificates.signing.credentials import CREDENTIAL_FILENAME

    hits: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    listener = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    port = listener.server_address[1]
    name = (
        f'<img src="http://127.0.0.1:{port}/x"><link rel="attachment" href="file:///etc/passwd">'
        "<style>@import url(file:///etc/hostname)</style>"
    )
    try:
        client.force_login(fellow)
        saved = client.post(reverse("accounts:profile"), {"display_name": name})
        assert saved.status_code in (302, 303), saved.content[:500]
        fellow.refresh_from_db()
        assert fellow.display_name == name

        course, modules = course_with_badge
        start_worker()
        complete_course_through_the_site(client, fellow, course, modules[0])
        wait_for(lambda: badge_issued(fellow), timeout=90, what="the badge to be issued")
        badge = assert_issued_exactly_once(fellow, fault_dirs, redis_server)
    finally:
        listener.shutdown()
        listener.server_close()

    assert hits == []
    reader = PdfReader(io.BytesIO((Path(fault_dirs["media"]) / badge.pdf.name).read_bytes()))
    text = "".join(reader.pages[0].extract_text().split())
    assert "".join(name.split()) in text
    assert "root:" not in text
    # The one embedded file is the signed credential we attach, never a fetched file.
    assert list(reader.attachments) == [CREDENTIAL_FILENAME]
