"""A fixed-window limit on public badge lookups per client, kept in the shared cache.

With the Redis cache in production every gunicorn worker counts against the same
window. Settings: CREDENCE_PUBLIC_RATE_LIMIT (requests per window, default 60; 0 turns it
off), CREDENCE_PUBLIC_RATE_WINDOW (seconds, default 60), CREDENCE_TRUSTED_PROXY_COUNT
(how many proxies in front of us append to X-Forwarded-For; default 0 = use REMOTE_ADDR).
"""

from __future__ import annotations

import logging
import time

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
    limit = int(getattr(settings, "CREDENCE_PUBLIC_RATE_LIMIT", 60))
    if limit <= 0:
        return None
    window = max(1, int(getattr(settings, "CREDENCE_PUBLIC_RATE_WINDOW", 60)))
    now = int(time.time())
    start = now - now % window
    key = f"rl:{scope}:{client_ip(request)}:{start}"
    try:
        count = _count(key, window + 1)
    except Exception as exc:  # noqa: BLE001 - any cache failure
        logger.warning("rate limiter unavailable (%s); allowing the request", exc)
        return None
    if count > limit:
        return start + window - now
    return None


def _count(key: str, timeout: int) -> int:
    redis_cache = getattr(cache, "_cache", None)
    if hasattr(redis_cache, "get_client"):
        # Django's RedisCache: INCR and EXPIRE in one round trip (its own incr() costs two).
        full_key = cache.make_and_validate_key(key)
        pipe = redis_cache.get_client(full_key, write=True).pipeline()
        pipe.set(full_key, 0, ex=timeout, nx=True)
        pipe.incr(full_key)
        return int(pipe.execute()[1])
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1
