"""A fixed-window limit on public badge lookups per client, kept in Redis.

With Redis (production: the server the cache is on) every gunicorn worker counts
against the same window, through the project's own client (lms.redis_client): one
round trip per counted request, a Lua script that adds and sets the counter's lifetime,
overlapped with the database lookup where there is one (`lookup_unless_limited`).
Without it (locmem in tests and development) the count goes through Django's cache API.

Settings: CREDENCE_PUBLIC_RATE_LIMIT (requests per window, default 60; 0 turns it
off), CREDENCE_PUBLIC_RATE_WINDOW (seconds, default 60); the client's address comes from
lms.client_ip (CREDENCE_TRUSTED_PROXY_COUNT).

A worker that has seen a client go over its limit remembers it until the window ends and
answers its further requests without asking Redis (or the database) again.

Pages a worker serves from its own copies (local_pages) are counted in the worker
(`count_in_passing`) and added to the client's shared counter with its next counted
request, so serving a copy costs no I/O at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import cache
from django.http import HttpRequest

from certificates.conf import conf
from lms import redis_client
from lms.client_ip import client_ip

logger = logging.getLogger("credence.badges")

T = TypeVar("T")

# Counters of clients over their limit, with the time their window ends (this process
# only). Bounded: a flood of distinct addresses empties it rather than growing it.
_over_limit: dict[str, float] = {}
_OVER_LIMIT_MAX = 10_000
# Requests counted in this process alone, per client and window (count_in_passing).
_counts_here: dict[str, int] = {}
# Of those, the ones not yet added to the shared counter in Redis.
_not_sent: dict[str, int] = {}


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
    if len(_not_sent) >= _OVER_LIMIT_MAX:
        _not_sent.clear()
    count = _counts_here.get(window.counter, 0) + 1
    _counts_here[window.counter] = count
    _not_sent[window.counter] = _not_sent.get(window.counter, 0) + 1
    return count


def forget_limited_clients() -> None:
    """Drop this process's memory of clients over their limit and of its own counts
    (tests clear the cache too)."""
    _over_limit.clear()
    _counts_here.clear()
    _not_sent.clear()


def retry_after(request: HttpRequest, scope: str = "lookup") -> int | None:
    """Count this request; return seconds to wait if the client is over its limit, else None.

    Fails open when Redis is down: a public read must not break with Redis.
    """
    return _counted(_window(request, scope))


def retry_after_and_get(
    request: HttpRequest, keys: Sequence[str], scope: str = "lookup"
) -> tuple[int | None, dict]:
    """`retry_after`, and the cache entries of `keys` (Django's `cache.get_many`).

    Returns (seconds to wait or None, {key: value} of the keys found). When the cache is
    down the request is allowed and nothing is found; a client this process already
    knows to be over its limit costs neither read.
    """
    window = _window(request, scope)
    if _known_over_limit(window):
        return window.wait, {}
    wait = _counted(window)
    return wait, (cache.get_many(keys) if keys else {})


def lookup_unless_limited(
    request: HttpRequest, lookup: Callable[[], T], scope: str = "lookup"
) -> tuple[int | None, T | None]:
    """Count this request and run `lookup` while Redis counts: (None, its result), or
    (seconds to wait, None) when the client is over its limit. Fails open.

    With Redis the count is sent before `lookup` runs and its reply read after
    (lms.redis_client.send_script), so the two round trips, Redis's and the database's,
    overlap instead of adding up. The request that takes a client over its limit has run
    its lookup for nothing; after it, this process answers the client without a lookup
    until the window ends. Without Redis: the count, then the lookup.
    """
    window = _window(request, scope)
    if window.counter is None or redis_client.redis_url() is None:
        wait = _counted(window)
        return (wait, None) if wait is not None else (None, lookup())
    if _known_over_limit(window):
        return window.wait, None
    sent = _send_count(window)
    try:
        result = lookup()
    finally:
        # Read whatever happened: an unread reply would answer the next count.
        count = sent.result(None)
    if count is not None and _over(window, int(count)):
        return window.wait, None
    return None, result


def count_in_passing(request: HttpRequest, scope: str = "lookup") -> int | None:
    """Count this request without any I/O: seconds to wait if the client is over its
    limit on what this process knows, else None.

    For pages a process serves from its own copy (certificates/public/local_pages.py),
    where a Redis round trip would be the only I/O left. The count is kept here and
    added to the shared counter with the client's next counted request in this process,
    so that lookup sees it. This process's own count can only be lower than the shared
    one, so a client over the limit on it alone is over for sure (a client asking for
    one copied page again and again never reaches a counted lookup). Without Redis the
    count goes to the cache at once. Fails open.
    """
    window = _window(request, scope)
    if window.counter is None:
        return None
    if _known_over_limit(window):
        return window.wait
    if redis_client.redis_url() is None:
        return _counted(window)
    return window.wait if _over(window, _count_here(window)) else None


# INCRBY and EXPIRE in one round trip. EXPIRE comes after INCRBY, in the same atomic
# script, so the counter always has a lifetime however clients interleave.
COUNT_SCRIPT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return count
"""
# The prefix of the counters' keys in Redis.
KEY_PREFIX = "credence:"


def _send_count(window: _Window) -> redis_client.Sent:
    """The count of this request, plus the copies served to this client here since its
    last count, sent to Redis; its reply (the client's count) read with `.result()`."""
    add = 1 + _not_sent.pop(window.counter, 0)
    timeout = int(window.ends - window.now + 1)
    return redis_client.send_script(COUNT_SCRIPT, [KEY_PREFIX + window.counter], [add, timeout])


def _counted(window: _Window) -> int | None:
    """Count the request in its window; seconds to wait if over the limit, else None."""
    if window.counter is None:
        return None
    if _known_over_limit(window):
        return window.wait
    if redis_client.redis_url() is None:
        count = _count_in_cache(window.counter, int(window.ends - window.now + 1))
    else:
        count = _send_count(window).result(None)
        if count is None:  # Redis unreachable (lms.redis_client logged it): allowed
            return None
    return window.wait if _over(window, int(count)) else None


def _count_in_cache(key: str, timeout: int) -> int:
    """The counter on caches other than Redis (locmem in tests and development)."""
    try:
        if cache.add(key, 1, timeout=timeout):
            return 1
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1
    except Exception as exc:  # noqa: BLE001 - any cache failure: allow the request
        logger.warning("rate limiter unavailable (%s); allowing the request", exc)
        return 0
