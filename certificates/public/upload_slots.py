"""At most CREDENCE_UPLOAD_CONCURRENCY uploads are checked at once in each process.

Checking an upload is bounded (pdf_verification), but a few bounded checks at once can
still fill a small worker's memory and time; the rest of the site must keep answering.
An upload that finds no free slot is turned away at once rather than queued, and told
when to try again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from certificates.conf import conf

# Long enough for a check in progress to finish; a badge PDF takes well under a second.
RETRY_AFTER_SECONDS = 5

_semaphores: dict[int, threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


class NoUploadSlot(Exception):
    """Every slot is taken: the upload is refused before any of it is read."""


def _semaphore() -> threading.BoundedSemaphore:
    size = max(1, int(conf.CREDENCE_UPLOAD_CONCURRENCY))
    with _semaphores_lock:
        return _semaphores.setdefault(size, threading.BoundedSemaphore(size))


@contextmanager
def upload_slot() -> Iterator[None]:
    """Hold one of this process's upload slots, or raise NoUploadSlot without waiting."""
    semaphore = _semaphore()
    if not semaphore.acquire(blocking=False):
        raise NoUploadSlot
    try:
        yield
    finally:
        semaphore.release()
