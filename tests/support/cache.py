"""Django's cache on a real Redis, and a plain redis-py client to look inside it."""

from __future__ import annotations

import redis


def use_redis_cache(settings, url: str, **options) -> None:
    """Point Django's default cache at the Redis at `url`, as production does (the rate
    limiter and the page purges use the same Redis); `options` add to the cache's."""
    from lms.settings.base import redis_cache

    cache = redis_cache(url)
    settings.CACHES = {"default": {**cache, "OPTIONS": {**cache["OPTIONS"], **options}}}


def cache_redis() -> redis.Redis:
    """A client of the Redis that Django's default cache uses (its configured LOCATION),
    for reading what the cache wrote: key lifetimes, raw counters, publishing."""
    from django.conf import settings

    location = settings.CACHES["default"]["LOCATION"]
    url = location[0] if isinstance(location, list | tuple) else location.split(",")[0]
    return redis.Redis.from_url(url, socket_timeout=5)


def limiter_count(ip: str) -> int:
    """The public lookup limiter's count for `ip` in the current window, as stored."""
    client = cache_redis()
    (key,) = client.keys(f"*rl:lookup:{ip}:*")
    return int(client.get(key))
