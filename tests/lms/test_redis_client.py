"""The project's own Redis client (lms/redis_client.py): on the Redis the cache is on, one
round trip per script, and never a failed or slow request while Redis is down or hangs."""

from __future__ import annotations

import logging
import threading

import pytest

from certificates.public import ratelimit
from lms import redis_client
from tests.lms.test_redis_outage import SilentServer
from tests.support.production import run_under_production_settings
from tests.support.services import RedisServer

ADD = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


def on_redis(settings, url: str, **options) -> None:
    """The cache, and so the client, on the Redis at `url`, as production configures it."""
    from lms.settings.base import redis_cache

    cache = redis_cache(url)
    settings.CACHES = {"default": {**cache, "OPTIONS": {**cache["OPTIONS"], **options}}}


@pytest.fixture(autouse=True)
def fresh_clients():
    redis_client.reset()
    yield
    redis_client.reset()


@pytest.fixture
def outage_log(caplog):
    caplog.set_level(logging.WARNING, logger="credence.cache")
    return lambda: [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()]


@pytest.mark.redis
def test_production_settings_give_a_client_of_redis_url_with_short_timeouts():
    server = RedisServer().start()
    try:
        result = run_under_production_settings(
            "from lms import redis_client; "
            "client = redis_client.client(); "
            "kwargs = client.get_connection_kwargs(); "
            "print(redis_client.redis_url(), kwargs['socket_timeout'], "
            "kwargs['socket_connect_timeout'], kwargs['db'], client.ping())",
            REDIS_URL=server.url.removesuffix("/0") + "/3",
        )
    finally:
        server.stop()
    url, timeout, connect_timeout, db, pong = result.stdout.split()
    assert url == server.url.removesuffix("/0") + "/3"
    assert float(timeout) <= 1 and float(connect_timeout) <= 1
    assert db == "3" and pong == "True"


def test_without_a_redis_cache_there_is_no_client_and_the_fallback_answers(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert redis_client.redis_url() is None
    assert redis_client.client() is None
    assert redis_client.run_script("fallback", ADD, ["k"], [1]) == "fallback"


@pytest.mark.redis
def test_scripts_run_and_survive_a_restart_that_forgets_them(settings, outage_log):
    server = RedisServer().start()
    try:
        on_redis(settings, server.url, outage_retry_seconds=0)
        assert redis_client.run_script(None, ADD, ["k"], [2]) == 2
        assert redis_client.run_script(None, ADD, ["k"], [3]) == 5

        server.stop()
        assert redis_client.run_script("down", ADD, ["k"], [1]) == "down"
        assert len(outage_log()) == 1

        server.start()  # same port, empty: no script loaded, no key
        assert redis_client.run_script(None, ADD, ["k"], [1]) == 1
    finally:
        server.stop()


@pytest.mark.redis
def test_a_sent_script_is_answered_after_other_work_and_survives_a_restart(settings, outage_log):
    server = RedisServer().start()
    try:
        on_redis(settings, server.url, outage_retry_seconds=0)
        first = redis_client.send_script(ADD, ["k"], [2])
        # Other Redis work of the same thread in between does not take the reply.
        assert redis_client.run_script(None, ADD, ["other"], [7]) == 7
        assert first.result(None) == 2
        assert redis_client.send_script(ADD, ["k"], [3]).result(None) == 5

        server.stop()
        assert redis_client.send_script(ADD, ["k"], [1]).result("down") == "down"
        assert len(outage_log()) == 1

        server.start()  # same port, empty: no script loaded, no key
        assert redis_client.send_script(ADD, ["k"], [4]).result(None) == 4
        assert redis_client.send_script(ADD, ["k"], [1]).result(None) == 5
    finally:
        server.stop()


@pytest.mark.redis
def test_the_count_is_read_after_the_lookup_and_still_limits(rf, settings):
    server = RedisServer().start()
    try:
        on_redis(settings, server.url)
        settings.CREDENCE_PUBLIC_RATE_LIMIT = 2
        ratelimit.forget_limited_clients()
        request = rf.get("/", REMOTE_ADDR="10.7.7.9")
        lookups = []

        def lookup() -> str:
            lookups.append(1)
            return "found"

        answers = [ratelimit.lookup_unless_limited(request, lookup)[1] for _ in range(4)]
        assert answers == ["found", "found", None, None]
        # The third ran its lookup while its count was on the way; the fourth ran none.
        assert len(lookups) == 3
    finally:
        ratelimit.forget_limited_clients()
        server.stop()


def test_an_unreachable_redis_allows_every_lookup_and_is_logged_once(rf, settings, outage_log):
    on_redis(settings, f"redis://127.0.0.1:{RedisServer().port}/0")  # nothing listens
    settings.CREDENCE_PUBLIC_RATE_LIMIT = 1
    request = rf.get("/", REMOTE_ADDR="10.7.7.7")
    assert [ratelimit.retry_after(request) for _ in range(5)] == [None] * 5
    assert ratelimit.lookup_unless_limited(request, lambda: "found") == (None, "found")
    assert len(outage_log()) == 1


def test_a_hanging_redis_costs_one_timeout_per_retry_interval_not_one_per_lookup(
    rf, settings, outage_log
):
    server = SilentServer()
    try:
        on_redis(settings, f"redis://127.0.0.1:{server.port}/0")
        settings.CREDENCE_PUBLIC_RATE_LIMIT = 1
        request = rf.get("/", REMOTE_ADDR="10.7.7.8")
        answers = [ratelimit.lookup_unless_limited(request, lambda: "found") for _ in range(20)]
        assert answers == [(None, "found")] * 20
        # One connection tried and timed out; the other 19 lookups did not wait on Redis.
        assert len(server.accepted) == 1
        assert len(outage_log()) == 1
    finally:
        server.close()


@pytest.mark.redis
def test_each_thread_counts_on_a_connection_of_its_own(settings):
    server = RedisServer().start()
    try:
        on_redis(settings, server.url)
        clients, counts = [], []

        def count() -> None:
            clients.append(redis_client.client())
            counts.extend(redis_client.run_script(None, ADD, ["k"], [1]) for _ in range(50))

        threads = [threading.Thread(target=count) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({id(client) for client in clients}) == 4
        assert sorted(counts) == list(range(1, 201))  # each count seen exactly once
    finally:
        server.stop()
