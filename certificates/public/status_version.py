"""Whether cached badge pages are still current: one tiny database read every few seconds.

Every change of a badge's public status moves a token in the database (`note_change`, in
the transaction that makes the change). Cached public pages, in the shared cache and in
each process's own copies, are stored with the token they were built under, and served
only while it is still the current one (certificates/public/views.py).

Reading the token costs one primary-key query, so a process reads it at most every
`CREDENCE_STATUS_RECHECK_SECONDS` (2 s) and keeps it in memory in between: a revocation
made anywhere (a shell, a management command, a worker, another web process) stops the
old page from being served within that time plus one request, whatever the cache is.
Purges (status_publishing.purge_badge_page) still make it immediate where they reach:
the process that made the change, and every process when Redis carries the message.

The token is random rather than a counter, so a rolled-back change can never bring back
a token that pages were already cached under.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time

from django.db import DatabaseError, transaction

from certificates.conf import conf
from certificates.models import StatusVersion

logger = logging.getLogger("credence.badges")

ROW_ID = 1
# The token a database without the row has (its first change creates the row).
NO_ROW = "no-row"

# The clock the recheck interval is measured on; tests move it instead of sleeping.
clock = time.monotonic


class _Memo:
    """The token this process last read, and when."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token: str | None = None
        self.read_at = 0.0

    def expire(self) -> None:
        with self.lock:
            self.token = None


memo = _Memo()


def recheck_seconds() -> float:
    return float(conf.CREDENCE_STATUS_RECHECK_SECONDS)


def current() -> str | None:
    """The current status token, read from the database when the one in memory is older
    than the recheck interval; None when the database could not be read (then no cached
    page may be trusted, and none is served or stored)."""
    now = clock()
    token = memo.token
    if token is not None and now - memo.read_at < recheck_seconds():
        return token
    try:
        found = StatusVersion.objects.filter(pk=ROW_ID).values_list("token", flat=True).first()
    except DatabaseError as exc:
        logger.warning("could not read the status version: %s", exc)
        return None
    token = found if found is not None else NO_ROW
    with memo.lock:
        # Read time is taken before the query: a change committed during the query is
        # seen no later than one interval from when the query started.
        memo.token, memo.read_at = token, now
    return token


def note_change() -> None:
    """Move the token on, in the caller's transaction: every cached page goes stale in
    every process once it commits. This process rereads the token at its next request."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("note_change must run inside the transaction of the change")
    token = secrets.token_hex(8)
    if not StatusVersion.objects.filter(pk=ROW_ID).update(token=token):
        StatusVersion.objects.update_or_create(pk=ROW_ID, defaults={"token": token})
    transaction.on_commit(memo.expire)
