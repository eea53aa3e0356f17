"""Readiness checks for /readyz: can this process reach the database, Redis and media storage?

/healthz says the process is alive; /readyz says whether what it depends on answers.
Each check is one cheap call with a short timeout, so a load balancer can ask often.
The answer names the failing components, never the error (hosts and credentials stay in
the log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections

logger = logging.getLogger("credence.readiness")

OK = "ok"
UNAVAILABLE = "unavailable"
REDIS_TIMEOUT_SECONDS = 0.5


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis() -> None:
    """PING the Redis that serves as cache and broker, without retries."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # A client of its own: the cache answers misses during an outage (lms/cache.py),
    # so asking through it could not tell an outage from an empty cache.
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        client.ping()
    finally:
        client.close()


def check_media() -> None:
    """List the media root: one read-only call that raises on both storages we ship with
    when media cannot be reached (a missing or unreadable MEDIA_ROOT; on S3 a network,
    credential or bucket fault). Nothing is written, so frequent probes cost nothing."""
    default_storage.listdir("")


def checks() -> dict[str, Callable[[], None]]:
    found = {"database": check_database}
    if getattr(settings, "REDIS_URL", None):
        found["redis"] = check_redis
    found["media"] = check_media
    return found


def readiness() -> dict[str, str]:
    """{component: "ok" or "unavailable"} for every component this deployment uses."""
    report = {}
    for name, check in checks().items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            logger.warning("readiness: %s unavailable (%s: %s)", name, type(exc).__name__, exc)
            report[name] = UNAVAILABLE
        else:
            report[name] = OK
    return report
