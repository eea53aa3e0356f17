"""A web process's own copies of public badge pages (certificates/public/local_pages.py): served
without Redis, dropped by purges published from any process, never kept while the purge
subscription is down, and still counted by the rate limiter."""

import os
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.issuing import status_publishing
from certificates.models import Badge
from certificates.public import local_pages
from tests.support.cache import cache_redis, limiter_count, use_redis_cache
from tests.support.services import RedisServer, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

memory = local_pages.memory


def wait_until(condition, what: str, timeout: float = 10) -> None:
    # Pub/sub messages arrive in milliseconds: look often.
    wait_for(condition, timeout=timeout, what=what, interval=0.02)


def subscribed() -> bool:
    return memory.token() is not None


def page(client, badge) -> str:
    response = client.get(f"/badges/{badge.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def copy_of(badge) -> str | None:
    from certificates.public.views import _page_fingerprint

    return memory.get(badge.public_id, _page_fingerprint())


def purge_from_another_process(badge) -> None:
    """What purge_badge_page does in another process: the shared entries go, then the
    message; this process's copy is left to the message."""
    from django.core.cache import cache

    cache.set(status_publishing.badge_generation_key(badge.public_id), "other-process")
    cache.delete(status_publishing.badge_page_cache_key(badge.public_id))
    cache_redis().publish(local_pages.CHANNEL, badge.public_id)


@pytest.fixture
def redis_pages(settings):
    use_redis_cache(settings, os.environ["REDIS_URL"])
    from django.core.cache import cache

    cache.clear()
    memory.token()  # starts the listener
    wait_until(subscribed, "the purge listener subscribed")
    yield cache
    cache.clear()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_a_copy_is_served_without_io_until_another_process_purges_it(badge, client, redis_pages):
    assert "verdict--valid" in page(client, badge)  # rendered, kept in Redis and here
    assert copy_of(badge) is not None
    # Revoked behind the caches' back (no purge yet): the copy still answers, with no
    # query and without the shared entry.
    Badge.objects.filter(pk=badge.pk).update(
        state=Badge.State.REVOKED, revoked_at=timezone.now(), revocation_reason="Issued in error."
    )
    redis_pages.delete(status_publishing.badge_page_cache_key(badge.public_id))
    with CaptureQueriesContext(connection) as queries:
        assert "verdict--valid" in page(client, badge)
    assert len(queries) == 0

    purge_from_another_process(badge)
    wait_until(lambda: copy_of(badge) is None, "the purge message dropped the copy", 5)
    assert "verdict--revoked" in page(client, badge)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_a_page_read_before_a_purge_is_not_kept_after_it(badge, client, redis_pages):
    page(client, badge)
    memory.reset()
    wait_until(lambda: memory.token() is not None, "the listener subscribed again")
    token = memory.token()
    purge_from_another_process(badge)
    wait_until(lambda: memory.epoch != token, "the purge message arrived")
    from certificates.public.views import _page_fingerprint

    memory.keep(badge.public_id, "stale page", _page_fingerprint(), None, token)
    assert copy_of(badge) is None
    memory.keep(badge.public_id, "fresh page", _page_fingerprint(), None, memory.token())
    assert copy_of(badge) == "fresh page"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_a_copy_never_outlives_the_badges_expiry_and_the_store_is_bounded(
    badge, redis_pages, settings
):
    from certificates.public.views import _page_fingerprint

    fingerprint = _page_fingerprint()
    memory.keep("A" * 24, "expired", fingerprint, time.time() - 1, memory.token())
    assert memory.get("A" * 24, fingerprint) is None
    settings.CREDENCE_LOCAL_PAGE_COPIES = 3
    for n in range(5):
        memory.keep(f"{n}" * 24, f"page {n}", fingerprint, None, memory.token())
    assert len(memory) == 3 and memory.get("0" * 24, fingerprint) is None
    assert memory.get("4" * 24, fingerprint) == "page 4"
    assert memory.get("4" * 24, "another issuer key") is None


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_pages_served_from_copies_still_count_against_the_limit(
    badge, client, redis_pages, settings
):
    settings.CREDENCE_PUBLIC_RATE_LIMIT = 4
    ip = {"REMOTE_ADDR": "10.3.3.3"}
    client.get(f"/badges/{badge.public_id}/", **ip)  # rendered, copied: count 1
    assert copy_of(badge) is not None
    codes = [client.get(f"/badges/{badge.public_id}/", **ip).status_code for _ in range(4)]
    # Served from the copy without waiting for the count, but counted: the next lookup
    # that reads its count finds 6 of 4.
    assert codes == [200] * 4
    assert client.get(f"/badges/{badge.public_id}.json", **ip).status_code == 429
    # Now this process knows: the copy is not served to this client either.
    assert client.get(f"/badges/{badge.public_id}/", **ip).status_code == 429
    assert client.get(f"/badges/{badge.public_id}/", REMOTE_ADDR="10.3.3.4").status_code == 200
    # Nothing was left unread on the limiter's connection: counts still line up.
    assert limiter_count("10.3.3.3") == 6

    # A client asking only for a copied page is stopped by this process's own count.
    hammer = {"REMOTE_ADDR": "10.3.3.5"}
    codes = [client.get(f"/badges/{badge.public_id}/", **hammer).status_code for _ in range(6)]
    assert codes == [200] * 4 + [429] * 2


def test_no_copies_are_kept_while_the_purge_subscription_is_down(badge, client, settings):
    server = RedisServer().start()
    try:
        use_redis_cache(settings, server.url)
        memory.token()
        wait_until(subscribed, "the purge listener subscribed")
        page(client, badge)
        assert copy_of(badge) is not None

        server.stop()
        wait_until(lambda: len(memory) == 0 and not subscribed(), "the copies were dropped")
        # Still served (rendered afresh: the caches fail open), and not kept.
        assert "verdict--valid" in page(client, badge)
        assert copy_of(badge) is None

        server.start()  # same port: the listener subscribes again by itself
        wait_until(subscribed, "the listener subscribed again")
        page(client, badge)
        page(client, badge)
        assert copy_of(badge) is not None
    finally:
        server.stop()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_the_store_is_bounded_by_size_too(badge, redis_pages, monkeypatch):
    from certificates.public.views import _page_fingerprint

    monkeypatch.setattr(local_pages, "MAX_CHARS", 25)
    fingerprint = _page_fingerprint()
    for n in range(3):
        memory.keep(f"{n}" * 24, "x" * 10, fingerprint, None, memory.token())
    assert len(memory) == 2 and memory.get("0" * 24, fingerprint) is None
    memory.keep("9" * 24, "y" * 26, fingerprint, None, memory.token())  # larger than it all
    assert memory.get("9" * 24, fingerprint) is None and len(memory) == 2


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_a_forked_child_starts_without_copies_or_a_held_lock(badge, client, redis_pages):
    page(client, badge)
    assert len(memory) == 1
    with memory._lock:  # another thread of the parent holds it at the moment of the fork
        pid = os.fork()
        if pid == 0:  # the child: must not deadlock, must not trust the parent's copies
            fine = memory._lock.acquire(timeout=2) and len(memory) == 0
            os._exit(0 if fine and memory._listener is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert len(memory) == 1  # the parent's own copies are untouched
