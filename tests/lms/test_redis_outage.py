"""docs/threats.md, row F10: Redis down while it serves as cache (not only broker) degrades, never
breaks.

These tests use the cache configuration production ships (lms/settings/base.py with
REDIS_URL set: lms.cache.FailSoftRedisCache), pointed at a private redis-server that
the test stops and starts by its pid; the shared Redis is never touched.
"""

from __future__ import annotations

import logging
import socket
import threading
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from certificates.issuing import issuance
from certificates.models import Badge
from courses.models import CourseCompletion, QuizAttempt
from lms.cache import FailSoftRedisCache
from tests.support.courses import right_answers
from tests.support.production import run_under_production_settings
from tests.support.services import RedisServer, wait_for
from tests.support.worker_faults import assert_issued_exactly_once, badge_issued

OUTAGE_STARTED = "unavailable"
OUTAGE_ENDED = "reachable again"


def shipped_cache_config(url: str) -> dict:
    """The default cache exactly as lms/settings/base.py configures it, at `url`."""
    from lms.settings import base

    if base.REDIS_URL:  # the settings in force are the shipped ones
        assert base.CACHES["default"] == base.redis_cache(base.REDIS_URL)
    return {"default": base.redis_cache(url)}


@pytest.fixture
def production_cache(redis_server, settings):
    """Django's default cache and REDIS_URL on the private Redis, as production has them.

    Setting CACHES through override_settings resets Django's cache handler (its
    setting_changed receiver), so `caches["default"]` is built afresh from these settings.
    """
    settings.CACHES = shipped_cache_config(redis_server.url)
    settings.REDIS_URL = redis_server.url
    cache = caches["default"]
    cache.clear()
    return cache


@pytest.fixture
def cache_log(caplog):
    caplog.set_level(logging.INFO, logger="credence.cache")

    def messages(fragment: str) -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "credence.cache" and fragment in r.getMessage()
        ]

    return messages


def log_in_through_the_form(client, user, password) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": password}
    )
    assert response.status_code == 302, response.content[:500]


def fellow_pages(course, module) -> dict[str, str]:
    return {
        "catalogue": "/",
        "course": course.url,
        "module": module.url,
        "dashboard": reverse("courses:dashboard"),
        "search": reverse("courses:search") + "?q=" + module.title.split()[0],
        "badges": reverse("certificates:my_badges"),
    }


def assert_fellow_pages_answer(client, fellow, course, module) -> None:
    """Every page a fellow browses answers 200 and shows what it should (a fellow signed
    out by a lost session would be redirected to the login page instead)."""
    for name, url in fellow_pages(course, module).items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        body = response.content.decode()
        assert fellow.display_name in body, name  # still signed in
        if name != "badges":
            assert (module.title if name in ("module", "search") else course.title) in body, name


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redis_down_pages_and_the_final_submit_work_and_the_badge_is_issued_once_it_returns(
    client,
    fellow,
    password,
    course_with_badge,
    producer,
    redis_server,
    production_cache,
    start_worker,
    fault_dirs,
    cache_log,
):
    course, (module,) = course_with_badge
    assert client.get("/").status_code == 200  # the site as it runs, its caches warm
    assert cache_log(OUTAGE_STARTED) == []

    redis_server.stop()
    # Signing in, enrolling and browsing: sessions live in the database.
    log_in_through_the_form(client, fellow, password)
    assert client.post(reverse("courses:enrol", args=[course.pk])).status_code in (302, 303)
    assert_fellow_pages_answer(client, fellow, course, module)

    started = client.post(reverse("courses:start_quiz", args=[module.pk]))
    assert started.status_code == 302, started.content[:300]
    attempt = QuizAttempt.objects.get(public_id=started.url.rstrip("/").split("/")[-1])
    submitted = client.post(
        reverse("courses:attempt", args=[attempt.public_id]), right_answers(attempt)
    )
    assert submitted.status_code == 303, submitted.content[:300]
    attempt.refresh_from_db()
    assert attempt.passed
    assert CourseCompletion.objects.filter(user=fellow, course=course).exists()
    # The badge waits in the outbox: its render could not be queued.
    assert Badge.objects.get(recipient=fellow).state == Badge.State.PENDING
    assert_fellow_pages_answer(client, fellow, course, module)
    assert "being prepared" in client.get(reverse("certificates:my_badges")).content.decode()

    ready = client.get(reverse("readyz"))
    assert ready.status_code == 503
    assert ready.json()["failing"] == ["redis"]
    assert client.get(reverse("healthz")).status_code == 200
    # One line in the log for the whole outage, not one per cache call.
    assert len(cache_log(OUTAGE_STARTED)) == 1

    redis_server.start()  # the same port, empty, as after a restart without persistence
    start_worker()
    assert issuance.sweep_stuck_badges(pending_after=timedelta(0)) == 1
    wait_for(lambda: badge_issued(fellow), timeout=90, what="the badge to be issued")
    badge = assert_issued_exactly_once(fellow, fault_dirs, redis_server)
    assert client.get(reverse("readyz")).status_code == 200
    # The cache is used again once its retry interval has passed.
    wait_for(
        lambda: production_cache.add("probe", 1) and production_cache.get("probe") == 1,
        timeout=30,
        what="the cache to answer again",
    )
    assert len(cache_log(OUTAGE_ENDED)) == 1
    assert_fellow_pages_answer(client, fellow, course, module)
    assert badge.public_id in client.get(reverse("certificates:my_badges")).content.decode()
    # A second sweep finds nothing to do: still one badge, one PDF, one e-mail.
    assert issuance.sweep_stuck_badges(pending_after=timedelta(0)) == 0
    assert_issued_exactly_once(fellow, fault_dirs, redis_server)


# --- the cache backend on its own ----------------------------------------------------


@pytest.fixture
def private_redis():
    server = RedisServer().start()
    yield server
    server.stop()


def fail_soft_cache(url: str, **options) -> FailSoftRedisCache:
    config = shipped_cache_config(url)["default"]
    params = {**config, "OPTIONS": {**config.get("OPTIONS", {}), **options}}
    return FailSoftRedisCache(params.pop("LOCATION"), params)


def every_method(cache) -> dict[str, object]:
    """Each public method of Django's cache API, called once: {name: what it answered}."""
    return {
        "get": cache.get("k", "default"),
        "get_many": cache.get_many(["k", "other"]),
        "has_key": cache.has_key("k"),
        "get_or_set": cache.get_or_set("fresh", lambda: "computed"),
        "add": cache.add("new", 1),
        "set": cache.set("k", "v2"),
        "set_many": cache.set_many({"a": 1, "b": 2}),
        "touch": cache.touch("k", 60),
        "incr": cache.incr("counter"),
        "decr": cache.decr("counter", 3),
        "delete": cache.delete("k"),
        "delete_many": cache.delete_many(["a", "b"]),
        "clear": cache.clear(),
    }


# What an empty cache that stores nothing would answer.
EMPTY_CACHE_ANSWERS = {
    "get": "default",
    "get_many": {},
    "has_key": False,
    "get_or_set": "computed",
    "add": False,
    "set": None,
    "set_many": ["a", "b"],
    "touch": False,
    "incr": 1,
    "decr": -3,
    "delete": False,
    "delete_many": None,
    "clear": False,
}


@pytest.mark.redis
def test_every_cache_method_answers_like_an_empty_cache_and_logs_once_while_redis_is_down(
    private_redis, cache_log
):
    # Retry on every call, so each method really meets the dead server.
    cache = fail_soft_cache(private_redis.url, outage_retry_seconds=0)
    cache.set("k", "v")
    cache.set("counter", 10)
    assert cache.get("k") == "v"

    private_redis.stop()
    assert every_method(cache) == EMPTY_CACHE_ANSWERS
    # The async API goes through the same methods.
    import asyncio

    assert asyncio.run(cache.aget("k", "default")) == "default"
    assert asyncio.run(cache.aset("k", "v")) is None
    assert len(cache_log(OUTAGE_STARTED)) == 1
    assert cache_log(OUTAGE_ENDED) == []

    private_redis.start()  # same port, empty
    cache.set("k", "back")
    assert cache.get("k") == "back"
    assert cache.add("n", 1) and cache.incr("n") == 2
    assert len(cache_log(OUTAGE_ENDED)) == 1
    # A miss on a live Redis is still Django's: incr of a missing key raises ValueError.
    with pytest.raises(ValueError):
        cache.incr("missing")


class SilentServer:
    """Accepts connections on a loopback port and never answers: a hanging Redis."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.listener.close()
        for conn in self.accepted:
            conn.close()


def test_a_hanging_redis_costs_one_timeout_per_retry_interval_not_one_per_call(cache_log):
    server = SilentServer()
    try:
        cache = fail_soft_cache(f"redis://127.0.0.1:{server.port}/0")
        # A page's worth of cache calls during the hang.
        answers = [cache.get(f"key{i}", "miss") for i in range(20)]
        assert answers == ["miss"] * 20
        # One connection tried and timed out; the other 19 calls did not wait on Redis.
        assert len(server.accepted) == 1
        assert len(cache_log(OUTAGE_STARTED)) == 1
    finally:
        server.close()


def test_the_outage_log_names_host_and_port_never_the_password(cache_log):
    port = RedisServer().port  # free, nothing listening
    cache = fail_soft_cache(f"redis://:s3cret-pass@127.0.0.1:{port}/0")
    assert cache.get("k") is None
    (line,) = cache_log(OUTAGE_STARTED)
    assert f"127.0.0.1:{port}" in line and "s3cret" not in line


# --- readiness -----------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_is_200_when_everything_answers_and_503_naming_redis_when_it_is_down(
    client, private_redis, settings
):
    settings.REDIS_URL = private_redis.url
    ready = client.get(reverse("readyz"))
    assert ready.status_code == 200
    assert ready.json() == {
        "ok": True,
        "failing": [],
        "checks": {"database": "ok", "redis": "ok", "media": "ok"},
    }
    assert "no-cache" in ready["Cache-Control"] and "no-store" in ready["Cache-Control"]

    private_redis.stop()
    down = client.get(reverse("readyz"))
    assert down.status_code == 503
    assert down.json()["failing"] == ["redis"]
    assert down.json()["checks"]["database"] == "ok"
    assert "no-store" in down["Cache-Control"]
    assert client.get(reverse("healthz")).status_code == 200


@pytest.mark.django_db
def test_readyz_names_media_storage_when_its_root_is_missing(client, settings, tmp_path):
    settings.REDIS_URL = None  # no Redis in this deployment: not checked
    settings.MEDIA_ROOT = str(tmp_path / "not-mounted")
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["media"]
    assert "redis" not in response.json()["checks"]


@pytest.mark.django_db
def test_readyz_answers_a_user_who_still_owes_the_second_factor(
    client, staff_user, password, settings
):
    """Like /healthz, it is not one of the pages a half-logged-in user is sent away from."""
    settings.REDIS_URL = None
    TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    log_in_through_the_form(client, staff_user, password)
    sent_away = client.get(reverse("courses:dashboard"))
    assert sent_away.status_code == 302 and "/2fa/verify/" in sent_away.url
    ready = client.get(reverse("readyz"))
    assert ready.status_code == 200 and ready.json()["ok"] is True


# --- sessions -----------------------------------------------------------------------


def test_production_sessions_do_not_live_in_the_cache():
    """With Redis configured, sessions still live in the database (the integration test
    above shows a fellow stays signed in through an outage)."""
    result = run_under_production_settings(
        "from django.conf import settings; "
        "print(settings.SESSION_ENGINE); print(settings.CACHES['default']['BACKEND'])"
    )
    engine, cache_backend = result.stdout.split()
    assert engine == "django.contrib.sessions.backends.db"
    assert cache_backend == "lms.cache.FailSoftRedisCache"
