"""Django's Redis cache, made to answer a miss instead of raising while Redis is unreachable.

The cache is an optimisation: Wagtail's site-root lookup, the public badge pages and the
rate limiter all work without it, only slower. Plain `RedisCache` raises redis-py's
ConnectionError instead, so with Redis down every page that touched the cache answered
500 (docs/threats.md, row F10). Here every public method of Django's cache API turns a Redis error
into what an empty cache would answer: a miss, "not stored", "not found", a no-op.

An outage is logged once per process when it starts and once when it ends, not per call.
While it lasts the process does not ask Redis again for `outage_retry_seconds` after each
failure, so a Redis that hangs (accepts connections, answers nothing) costs one socket
timeout per retry interval, not one per cache call.

OPTIONS: redis-py's connection options (short socket timeouts by default), plus
`outage_retry_seconds` (default 5; 0 retries on every call).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("credence.cache")

DEFAULT_OUTAGE_RETRY_SECONDS = 5.0
# A request must never wait long for an optimisation: these apply unless OPTIONS says.
DEFAULT_SOCKET_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}

# Any Redis failure: refused or dropped connections, timeouts, a refused command (a full
# Redis refusing writes, a replica refusing them). redis-py wraps socket errors in its
# own, but an OSError escaping it must not become a 500 either.
REDIS_FAILURES = (RedisError, OSError)


class RedisOutage:
    """Whether one Redis location is believed down, shared by every thread of a process.

    Django makes one cache object per thread; the outage is one event for the process,
    so it is logged once and every thread skips Redis while it lasts.
    """

    def __init__(self, location: str, retry_seconds: float) -> None:
        self.location = location
        self.retry_seconds = retry_seconds
        self.lock = threading.Lock()
        self.since: float | None = None  # monotonic time of the first failure
        self.retry_at = 0.0

    def skip(self) -> bool:
        """True while a recent failure says Redis is not worth asking yet."""
        return self.since is not None and time.monotonic() < self.retry_at

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self.lock:
            started = self.since is None
            if started:
                self.since = now
            self.retry_at = now + self.retry_seconds
        if started:
            logger.warning(
                "cache at %s unavailable (%s: %s); answering misses meanwhile",
                self.location,
                type(exc).__name__,
                exc,
            )

    def answered(self) -> None:
        if self.since is None:  # the common case: no lock taken
            return
        with self.lock:
            since, self.since = self.since, None
        if since is not None:
            logger.warning(
                "cache at %s reachable again after %.1f s", self.location, time.monotonic() - since
            )


_outages: dict[tuple[str, float], RedisOutage] = {}
_outages_lock = threading.Lock()


@functools.lru_cache(maxsize=64)
def _location(server: str | tuple[str, ...]) -> str:
    """Host and port of each server (a URL may carry a password, and logs must not)."""
    # The forms RedisCache accepts: one URL, URLs separated by ";" or ",", or a list.
    servers = re.split("[;,]", server) if isinstance(server, str) else server
    return ",".join(f"{parts.hostname}:{parts.port or 6379}" for parts in map(urlsplit, servers))


def outage_for(server: str | list[str], retry_seconds: float) -> RedisOutage:
    """The process-wide outage record of the Redis at `server` (a URL or a list of them)."""
    # Asked on every rate-limited request: the parsing is done once per server.
    location = _location(server if isinstance(server, str) else tuple(server))
    with _outages_lock:
        return _outages.setdefault((location, retry_seconds), RedisOutage(location, retry_seconds))


class FailSoftRedisCache(RedisCache):
    """`RedisCache` whose every operation answers like an empty cache while Redis fails."""

    def __init__(self, server, params: dict) -> None:
        options = {**DEFAULT_SOCKET_TIMEOUTS, **params.get("OPTIONS", {})}
        retry_seconds = float(options.pop("outage_retry_seconds", DEFAULT_OUTAGE_RETRY_SECONDS))
        super().__init__(server, {**params, "OPTIONS": options})
        self.outage = outage_for(server, retry_seconds)

    def attempt(self, fallback: Any, operation: Callable[..., Any], *args, **kwargs) -> Any:
        """`operation(*args, **kwargs)`, or `fallback` when Redis fails or is known down."""
        if self.outage.skip():
            return fallback
        try:
            result = operation(*args, **kwargs)
        except REDIS_FAILURES as exc:
            self.outage.failed(exc)
            return fallback
        self.outage.answered()
        return result

    # --- reads: a miss --------------------------------------------------------------

    def get(self, key, default=None, version=None):
        return self.attempt(default, super().get, key, default, version=version)

    def get_many(self, keys, version=None):
        return self.attempt({}, super().get_many, keys, version=version)

    def has_key(self, key, version=None):
        return self.attempt(False, super().has_key, key, version=version)

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        # BaseCache's sequence (get; on a miss compute, add, and read back so racing
        # callers agree on one value), skipping the read-back when our add stored it,
        # so an outage at any step yields the computed value at the cost of one call.
        missing = object()
        value = self.get(key, missing, version=version)
        if value is not missing:
            return value
        value = default() if callable(default) else default
        if self.add(key, value, timeout=timeout, version=version):
            return value
        return self.get(key, value, version=version)

    # --- writes: not stored ---------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self.attempt(False, super().add, key, value, timeout=timeout, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self.attempt(None, super().set, key, value, timeout=timeout, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # Django's contract: the keys that failed to be stored (all of them).
        return self.attempt(list(data), super().set_many, data, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self.attempt(False, super().touch, key, timeout=timeout, version=version)

    def incr(self, key, delta=1, version=None):
        # As though the counter had just started from zero: a limiter counting through
        # the cache lets the request through instead of failing it (decr comes here too).
        return self.attempt(delta, super().incr, key, delta, version=version)

    # --- deletes: nothing found -----------------------------------------------------

    def delete(self, key, version=None):
        return self.attempt(False, super().delete, key, version=version)

    def delete_many(self, keys, version=None):
        return self.attempt(None, super().delete_many, keys, version=version)

    def clear(self):
        return self.attempt(False, super().clear)
