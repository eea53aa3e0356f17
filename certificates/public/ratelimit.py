"""A fixed-window limit on public badge lookups per client, kept in the shared cache.

With the Redis cache in production every gunicorn worker counts against the same
window. Settings: CREDENCE_PUBLIC_RATE_LIMIT (requests per window, default 60; 0 turns it
off), CREDENCE_PUBLIC_RATE_WINDOW (seconds, default 60); the client's address comes from
lms.client_ip (CREDENCE_TRUSTED_PROXY_COUNT).

A worker that has seen a client go over its limit remembers it until the window ends and
answers its further requests without asking Redis (or the database) again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import cache
from django.http import HttpRequest

from certificates.conf import conf
from lms.client_ip import client_ip

logger = logging.getLogger("credence.badges")

T = TypeVar("T")

# Counters of clients over their limit, with the time their window ends (this process
# only). Bounded: a flood of distinct addresses empties it rather than growing it.
_over_limit: dict[str, float] = {}
_OVER_LIMIT_MAX = 10_000
# Requests counted in this process alone, per client and window (count_in_passing).
_counts_here: dict[str, int] = {}


@dataclass(frozen=True)
class _Window:
    counter: str | None  # None when the limit is off
    limit: int
    ends: int  # epoch seconds
    now: float

    @property
    def wait(self) -> int:
        return max(1, int(self.ends - self.now))


def _window(request: HttpRequest, scope: str) -> _Window:
    limit = int(conf.CREDENCE_PUBLIC_RATE_LIMIT)
    length = max(1, int(conf.CREDENCE_PUBLIC_RATE_WINDOW))
    now = time.time()
    start = int(now) - int(now) % length
    counter = f"rl:{scope}:{client_ip(request)}:{start}" if limit > 0 else None
    return _Window(counter, limit, start + length, now)


def _known_over_limit(window: _Window) -> bool:
    ends = _over_limit.get(window.counter) if window.counter else None
    return ends is not None and window.now < ends


def _over(window: _Window, count: int) -> bool:
    if window.counter is None or count <= window.limit:
        return False
    if len(_over_limit) >= _OVER_LIMIT_MAX:
        for counter, ends in list(_over_limit.items()):
            if ends <= window.now:
                _over_limit.pop(counter, None)
        if len(_over_limit) >= _OVER_LIMIT_MAX:
            _over_limit.clear()
    _over_limit[window.counter] = window.ends
    return True


def _count_here(window: _Window) -> int:
    """Count in this process only (count_in_passing). Bounded like _over_limit."""
    if len(_counts_here) >= _OVER_LIMIT_MAX:
        _counts_here.clear()  # past windows' counters, or a flood of addresses
    count = _counts_here.get(window.counter, 0) + 1
    _counts_here[window.counter] = count
    return count


def forget_limited_clients() -> None:
    """Drop this process's memory of clients over their limit and of its own counts
    (tests clear the cache too)."""
    _over_limit.clear()
    _counts_here.clear()


def retry_after(request: HttpRequest, scope: str = "lookup") -> int | None:
    """Count this request; return seconds to wait if the client is over its limit, else None.

    Fails open when the cache is down: a public read must not break with Redis.
    """
    return retry_after_and_get(request, (), scope)[0]


def retry_after_and_get(
    request: HttpRequest, keys: Sequence[str], scope: str = "lookup"
) -> tuple[int | None, dict]:
    """`retry_after`, and the cache entries of `keys` read in the same Redis round trip
    (the cached badge page's hit path is these two reads and nothing else).

    Returns (seconds to wait or None, {key: value} of the keys found). When the cache is
    down the request is allowed and nothing is found.
    """
    return _count_in_window(_window(request, scope), keys)


def _count_in_window(window: _Window, keys: Sequence[str]) -> tuple[int | None, dict]:
    if _known_over_limit(window):
        return window.wait, {}
    try:
        count, found = _count_and_get(window.counter, window.ends - window.now + 1, keys)
    except Exception as exc:  # noqa: BLE001 - any cache failure
        logger.warning("rate limiter unavailable (%s); allowing the request", exc)
        return None, {}
    return (window.wait if _over(window, count) else None), found


def lookup_unless_limited(
    request: HttpRequest, lookup: Callable[[], T], scope: str = "lookup"
) -> tuple[int | None, T | None]:
    """Count this request and run `lookup` while Redis counts: (None, its result), or
    (seconds to wait, None) when the client is over its limit.

    On Redis the count is sent before `lookup` runs and its answer read after, so the two
    round trips (Redis's and the database's) overlap instead of adding up; under load
    the count cost a fifth of the JSON verdict's time (bench/bench_verify.py). The request
    that takes a client over its limit has run its lookup for nothing; after it, this
    worker answers the client without a lookup until the window ends. Fails open.
    """
    window = _window(request, scope)
    if _known_over_limit(window):
        return window.wait, None
    redis_cache = getattr(cache, "_cache", None)
    if window.counter is None or not hasattr(redis_cache, "get_client"):
        wait, _ = _count_in_window(window, ())
        return (wait, None) if wait is not None else (None, lookup())
    commands = _count_commands(window.counter, window.ends - window.now + 1)
    try:
        connection = _send(redis_cache, commands)
    except Exception as exc:  # noqa: BLE001 - any cache failure
        logger.warning("rate limiter unavailable (%s); allowing the request", exc)
        return None, lookup()
    try:
        result = lookup()
    finally:
        # Read the replies whatever happened: unread, they would answer the next request.
        try:
            count = int(_receive(connection, len(commands))[0])
        except Exception as exc:  # noqa: BLE001 - any cache failure
            logger.warning("rate limiter unavailable (%s); allowing the request", exc)
            count = 0
    return (window.wait, None) if _over(window, count) else (None, result)


def count_in_passing(request: HttpRequest, scope: str = "lookup") -> int | None:
    """Count this request without waiting for Redis's answer: seconds to wait if this
    process already knows the client is over its limit, else None.

    For pages a process serves from its own copy (certificates/public/local_pages.py), where
    waiting for the count would be the only I/O left. The count still lands in Redis, so
    the client's next lookup that does wait for its count sees this one; Redis is told
    not to reply at all (CLIENT REPLY SKIP), so nothing is left unread on the connection.
    This process also counts the client's copies served here: that count can only be
    lower than the shared one, so a client over the limit on it alone is over for sure
    (a client asking for one copied page again and again never reaches a counted
    lookup). Fails open.
    """
    window = _window(request, scope)
    if _known_over_limit(window):
        return window.wait
    redis_cache = getattr(cache, "_cache", None)
    if window.counter is None or not hasattr(redis_cache, "get_client"):
        return _count_in_window(window, ())[0]
    if _over(window, _count_here(window)):
        return window.wait
    skip = ("CLIENT", "REPLY", "SKIP")
    incr, expire = _count_commands(window.counter, window.ends - window.now + 1)
    try:
        _send(redis_cache, [skip, incr, skip, expire])
    except Exception as exc:  # noqa: BLE001 - any cache failure
        logger.warning("rate limiter unavailable (%s); allowing the request", exc)
    return None


# Each thread keeps one Redis connection of its own for this, made with the cache pool's
# settings (timeouts included). Checking a connection out of redis-py's pool and back,
# with the health probe it runs on checkout, cost as much CPU as the commands themselves
# (bench/bench_verify.py). A connection that fails is dropped and the request allowed.
_thread = threading.local()


def _own_connection(redis_cache):
    connection = getattr(_thread, "connection", None)
    if connection is None or getattr(_thread, "cache", None) is not redis_cache:
        # get_client() builds a whole redis.Redis client; once per thread is enough.
        pool = redis_cache.get_client(write=True).connection_pool
        connection = pool.make_connection()
        _thread.connection, _thread.cache = connection, redis_cache
    return connection


def _send(redis_cache, commands: list[tuple]):
    """Write `commands` in one go (a pipeline without MULTI); read them with `_receive`."""
    connection = _own_connection(redis_cache)
    try:
        connection.send_packed_command(connection.pack_commands(commands))
    except BaseException:
        connection.disconnect()
        raise
    return connection


def _receive(connection, count: int) -> list:
    try:
        return [connection.read_response() for _ in range(count)]
    except BaseException:
        # A half-read reply would poison the next request: start afresh next time.
        connection.disconnect()
        raise


def _count_commands(counter: str, timeout: float) -> list[tuple]:
    # INCR and EXPIRE in one round trip (Django's incr() costs two), without MULTI/EXEC
    # (which doubles the replies to parse). EXPIRE comes last, so however the two
    # interleave with other clients the key always has a lifetime.
    # make_key, not make_and_validate_key: validation only warns about keys memcached
    # would refuse, at a few microseconds per key on every lookup.
    full_counter = cache.make_key(counter)
    return [("INCR", full_counter), ("EXPIRE", full_counter, int(timeout))]


def _count_and_get(counter: str | None, timeout: float, keys: Sequence[str]) -> tuple[int, dict]:
    redis_cache = getattr(cache, "_cache", None)
    if hasattr(redis_cache, "get_client"):
        # Django's RedisCache: the count and the reads in one round trip, the values
        # decoded as Django's cache.get_many() would.
        commands = _count_commands(counter, timeout) if counter is not None else []
        if keys:
            commands.append(("MGET", *[cache.make_key(key) for key in keys]))
        results = _receive(_send(redis_cache, commands), len(commands)) if commands else []
        count = int(results[0]) if counter is not None else 0
        loads = redis_cache._serializer.loads
        values = results[-1] if keys else ()
        found = zip(keys, values, strict=True)
        return count, {key: loads(value) for key, value in found if value is not None}
    count = _count(counter, int(timeout)) if counter is not None else 0
    return count, (cache.get_many(keys) if keys else {})


def _count(key: str, timeout: int) -> int:
    """The counter on caches other than Redis (locmem in tests and development)."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1
