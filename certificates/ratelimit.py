"""A fixed-window limit on public badge lookups per client, kept in the shared cache.

With the Redis cache in production every gunicorn worker counts against the same
window. Settings: CREDENCE_PUBLIC_RATE_LIMIT (requests per window, default 60; 0 turns it
off), CREDENCE_PUBLIC_RATE_WINDOW (seconds, default 60), CREDENCE_TRUSTED_PROXY_COUNT
(how many proxies in front of us append to X-Forwarded-For; default 0 = use REMOTE_ADDR).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger("credence.badges")


def client_ip(request: HttpRequest) -> str:
    proxies = int(getattr(settings, "CREDENCE_TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        # Only the entries our own proxies appended can be trusted: count from the right.
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies][:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


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
    limit = int(getattr(settings, "CREDENCE_PUBLIC_RATE_LIMIT", 60))
    window = max(1, int(getattr(settings, "CREDENCE_PUBLIC_RATE_WINDOW", 60)))
    now = int(time.time())
    start = now - now % window
    counter = f"rl:{scope}:{client_ip(request)}:{start}" if limit > 0 else None
    try:
        count, found = _count_and_get(counter, window + 1, keys)
    except Exception as exc:  # noqa: BLE001 - any cache failure
        logger.warning("rate limiter unavailable (%s); allowing the request", exc)
        return None, {}
    if counter is not None and count > limit:
        return start + window - now, found
    return None, found


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


def _round_trip(redis_cache, commands: list[tuple]) -> list:
    """Send `commands` in one write and read their replies (a pipeline without MULTI)."""
    connection = _own_connection(redis_cache)
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        return [connection.read_response() for _ in commands]
    except BaseException:
        # A half-read reply would poison the next request: start afresh next time.
        connection.disconnect()
        raise


def _count_and_get(counter: str | None, timeout: int, keys: Sequence[str]) -> tuple[int, dict]:
    redis_cache = getattr(cache, "_cache", None)
    if hasattr(redis_cache, "get_client"):
        # Django's RedisCache: INCR and EXPIRE in one round trip (its own incr() costs two),
        # without MULTI/EXEC (which doubles the replies to parse). EXPIRE comes last, so
        # however the two interleave with other clients the key always has a lifetime.
        # The reads go in the same round trip, decoded as Django's cache.get_many() would.
        commands: list[tuple] = []
        if counter is not None:
            full_counter = cache.make_and_validate_key(counter)
            commands += [("INCR", full_counter), ("EXPIRE", full_counter, timeout)]
        if keys:
            commands.append(("MGET", *[cache.make_and_validate_key(key) for key in keys]))
        results = _round_trip(redis_cache, commands) if commands else []
        count = int(results[0]) if counter is not None else 0
        loads = redis_cache._serializer.loads
        values = results[-1] if keys else ()
        found = zip(keys, values, strict=True)
        return count, {key: loads(value) for key, value in found if value is not None}
    count = _count(counter, timeout) if counter is not None else 0
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
