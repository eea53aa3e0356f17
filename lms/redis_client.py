"""The project's own redis-py client, for what Django's cache API does not offer: the
public lookups' rate-limit counters (certificates/public/ratelimit.py) and the purge
messages of each process's page copies (certificates/public/local_pages.py).

It talks to the Redis that Django's default cache is on (production builds that cache from
settings.REDIS_URL with lms.settings.base.redis_cache), read from the public CACHES setting
and connected with redis-py's public API alone, rather than reached through the cache
backend's internals. With any other cache (locmem in tests and development) there is no
client, and callers count and purge through Django's cache API or not at all.

Like lms.cache.FailSoftRedisCache it never lets Redis break a request: `attempt()` turns
any Redis failure into the caller's fallback, logs the outage once (the cache's own
outage record for the same server, so one outage is one log line), and skips Redis for
the cache's `outage_retry_seconds` after each failure, so a Redis that hangs costs one
short timeout per retry interval, not one per request.

Each thread gets a client of its own holding one connection (redis-py's
`single_connection_client`): no pool checkout per command, and no lock shared between
request threads. A client is made again after a fork or when REDIS_URL changes.

`send_script` writes a script's call on a second connection of the thread's own (taken
once from the client's pool with `get_connection()`) and returns at once; its reply is
read later with `Sent.result()`. The rate limiter sends its count so before the database
lookup and reads it after, so the two round trips overlap instead of adding up.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from lms.cache import (
    DEFAULT_OUTAGE_RETRY_SECONDS,
    DEFAULT_SOCKET_TIMEOUTS,
    REDIS_FAILURES,
    outage_for,
)

T = TypeVar("T")

_local = threading.local()


@functools.lru_cache(maxsize=8)
def _is_redis_backend(backend: str) -> bool:
    """Django's RedisCache or a subclass of it (production's lms.cache.FailSoftRedisCache)."""
    from django.core.cache.backends.redis import RedisCache
    from django.utils.module_loading import import_string

    return bool(backend) and issubclass(import_string(backend), RedisCache)


def redis_url() -> str | None:
    """The URL of the Redis the default cache is on, or None when it is not on Redis."""
    config = settings.CACHES.get("default", {})
    if not _is_redis_backend(config.get("BACKEND", "")):
        return None
    location = config.get("LOCATION")
    if isinstance(location, list | tuple):
        location = location[0]
    # RedisCache also takes several servers in one string; the first is the primary.
    return location.replace(",", ";").split(";")[0] if location else None


def client() -> redis.Redis | None:
    """This thread's client of the Redis the cache is on, or None without one. Making
    it connects, so it raises redis-py's ConnectionError when Redis is unreachable."""
    url = redis_url()
    if url is None:
        return None
    made = getattr(_local, "made", None)
    if made is not None and made[0] == url and made[1] == os.getpid():
        return made[2]
    if made is not None and made[1] == os.getpid():
        reset()  # the settings moved to another Redis (tests)
    _local.made = _local.sending = None
    new = redis.Redis.from_url(
        url,
        single_connection_client=True,
        # No retries: a request never waits for Redis longer than one timeout.
        retry=Retry(NoBackoff(), 0),
        **DEFAULT_SOCKET_TIMEOUTS,
    )
    _local.made = (url, os.getpid(), new)
    _local.scripts = {}
    return new


def run_script(fallback: T, source: str, keys: list, args: list) -> T:
    """Run the Lua script `source` in one round trip (redis-py's `register_script`:
    loaded into Redis on first use, called by its hash after that), or `fallback` as
    `attempt` says."""

    def run(redis_client: redis.Redis):
        scripts = _local.scripts  # this thread's, made with its client
        script = scripts.get(source)
        if script is None:
            script = scripts[source] = redis_client.register_script(source)
        return script(keys=keys, args=args)

    return attempt(fallback, run)


class Sent:
    """A script call written to Redis whose reply is still to be read (`send_script`).

    `result()` must be called once, whatever happened in between: an unread reply would
    answer the thread's next call."""

    def __init__(self, connection, script, keys: list, args: list, outage) -> None:
        self.connection, self.script, self.keys, self.args = connection, script, keys, args
        self.outage = outage

    def result(self, fallback: T) -> T:
        """The script's reply, or `fallback` when it was not sent or Redis failed."""
        connection, self.connection = self.connection, None
        if connection is None:
            return fallback
        try:
            try:
                reply = connection.read_response()
            except redis.exceptions.NoScriptError:
                # Redis restarted (or SCRIPT FLUSH) since the script was loaded: the
                # registered script loads it again and runs it, in one more round trip.
                reply = self.script(keys=self.keys, args=self.args)
        except REDIS_FAILURES as exc:
            self.outage.failed(exc)
            reset()  # the connection may hold half a reply: start afresh
            return fallback
        self.outage.answered()
        return reply


def send_script(source: str, keys: list, args: list) -> Sent:
    """Write a call of the Lua script `source` (by its hash, EVALSHA) without waiting for
    the reply; read it with `.result(fallback)`. Not sent (the result is the fallback)
    without Redis, while it is known to be down, or when the write fails."""
    url = redis_url()
    if url is None:
        return Sent(None, None, keys, args, None)
    outage = outage_for(url, _retry_seconds())
    if outage.skip():
        return Sent(None, None, keys, args, outage)
    try:
        redis_client = client()
        connection = getattr(_local, "sending", None)
        if connection is None:
            # Held by this thread until reset(): a checkout per call would cost a
            # liveness probe each time.
            connection = _local.sending = redis_client.connection_pool.get_connection()
        script = _local.scripts.get(source)
        if script is None:
            script = _local.scripts[source] = redis_client.register_script(source)
        connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
    except REDIS_FAILURES as exc:
        outage.failed(exc)
        reset()
        return Sent(None, None, keys, args, outage)
    return Sent(connection, script, keys, args, outage)


def _retry_seconds() -> float:
    """The cache's own `outage_retry_seconds` (lms.cache), so both skip Redis alike."""
    options = settings.CACHES.get("default", {}).get("OPTIONS", {})
    return float(options.get("outage_retry_seconds", DEFAULT_OUTAGE_RETRY_SECONDS))


def attempt(fallback: T, operation: Callable[[redis.Redis], T]) -> T:
    """`operation(client)`, or `fallback` without Redis, while it is known to be down,
    or when the operation fails with a Redis or socket error."""
    url = redis_url()
    if url is None:
        return fallback
    outage = outage_for(url, _retry_seconds())
    if outage.skip():
        return fallback
    try:
        # Inside: a single-connection client connects as it is made.
        result = operation(client())
    except REDIS_FAILURES as exc:
        outage.failed(exc)
        # A connection that failed half-way may hold an unread reply: start afresh.
        reset()
        return fallback
    outage.answered()
    return result


def reset() -> None:
    """Drop this thread's client (tests that restart a Redis server)."""
    made: Any = getattr(_local, "made", None)
    sending = getattr(_local, "sending", None)
    _local.made = _local.sending = None
    if made is not None and made[1] == os.getpid():
        if sending is not None:
            sending.disconnect()
            made[2].connection_pool.release(sending)
        made[2].close()
