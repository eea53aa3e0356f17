"""Each web process's own copies of recently served public badge pages.

Read from Redis, a cached page costs a network round trip, which kept the cached page
well short of a bare Django view's requests/s (bench/bench_verify.py; docs/performance.md).
A copy in the process's memory costs no I/O at all.

A copy is only as good as its purge. `status_publishing.purge_badge_page` publishes the
badge's public id on a Redis channel; every web process that keeps copies listens to it
in a thread of its own and drops the copy when the message arrives. A process uses its
copies only while that subscription is live: when the connection drops (Redis restarting,
a network fault, health checks going unanswered) the copies are thrown away and none are
kept until it has subscribed again, so a purge is never missed silently. A copy also
lives at most LOCAL_SECONDS and never past the badge's expiry, and a process keeps at
most CREDENCE_LOCAL_PAGE_COPIES pages and MAX_CHARS characters of them (the oldest go
first).

Only with Django's Redis cache, as in production (lms.redis_client); with any other cache, or with
CREDENCE_LOCAL_PAGE_COPIES = 0, this layer is off and pages come from the shared cache.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from certificates.conf import conf
from lms import redis_client

logger = logging.getLogger("credence.badges")

CHANNEL = "credence:badge-page-purged"
# A bound on how stale a copy can be if a purge message were lost without the
# subscription noticing (a purge whose publish failed while its cache delete succeeded).
LOCAL_SECONDS = 60
# And at most this many characters of page bodies (about 16 to 64 MB): a course's design
# texts have no length limit, so the count alone would not bound memory.
MAX_CHARS = 16_000_000
# The listener pings Redis when the channel has been quiet this long, and gives the
# connection up when nothing at all has come back for DEAD_AFTER_SECONDS.
PING_SECONDS = 2
DEAD_AFTER_SECONDS = 6


@dataclass(frozen=True)
class _Copy:
    body: str
    fingerprint: str
    until: float  # epoch seconds


def page_key(public_id: str, language: str | None) -> str:
    """What a copy is kept under: the badge's public id, and the language of the page
    when it is not the site's (a purge drops every language's copy)."""
    if language in (None, settings.LANGUAGE_CODE):
        return public_id
    return f"{public_id}:{language}"


class _Memory:
    """The copies, and whether the purge subscription behind them is live.

    `epoch` changes whenever copies may have gone stale (a purge arrived, the subscription
    went live or dead). A request reads it before it reads the shared cache and keeps its
    page only if it has not changed since, so a page read just before a purge can never
    be kept after the purge's message was handled.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._copies: dict[str, _Copy] = {}
        self._chars = 0  # total length of the bodies kept
        self._live_listener: _Listener | None = None
        self._listener: _Listener | None = None
        self.epoch = 0

    # --- request threads ------------------------------------------------------------

    def token(self) -> int | None:
        """The epoch to hand back to `keep`, or None when copies are not in use."""
        url, limit = redis_client.redis_url(), _copy_limit()
        if url is None or limit == 0:
            return None
        listener = self._listener
        if listener is None or listener.pid != os.getpid() or listener.url != url:
            self._start_listener(url)
            return None
        return self.epoch if self._live_listener is listener else None

    def get(self, public_id: str, fingerprint: str | None) -> str | None:
        copy = self._copies.get(public_id)
        if (
            copy is None
            or self._live_listener is None
            or copy.fingerprint != fingerprint
            or time.time() >= copy.until
        ):
            return None
        return copy.body

    def keep(
        self,
        public_id: str,
        body: str,
        fingerprint: str | None,
        expires_at: float | None,
        token: int | None,
    ) -> None:
        if token is None or not fingerprint:
            return
        until = time.time() + LOCAL_SECONDS
        if expires_at is not None:
            until = min(until, expires_at)
        with self._lock:
            if token != self.epoch or self._live_listener is None:
                return
            self._drop(public_id)  # a newer page of it is here
            limit, size = _copy_limit(), len(body)
            if size > MAX_CHARS:
                return
            while self._copies and (len(self._copies) >= limit or self._chars + size > MAX_CHARS):
                self._drop(next(iter(self._copies)))
            self._copies[public_id] = _Copy(body, fingerprint, until)
            self._chars += size

    def forget(self, public_id: str) -> None:
        """Drop this process's copies at once, in every language (the purging process does
        not wait for its own message, which may never come if Redis is down)."""
        with self._lock:
            self._drop_badge(public_id)
            self.epoch += 1

    def reset(self) -> None:
        """Forget every copy and stop listening (tests; a process after fork)."""
        with self._lock:
            listener, self._listener, self._live_listener = self._listener, None, None
            self._throw_away_all()
        if listener is not None and listener.pid == os.getpid():
            listener.stop()

    def __len__(self) -> int:
        return len(self._copies)

    def _drop(self, page: str) -> None:  # with the lock held
        copy = self._copies.pop(page, None)
        if copy is not None:
            self._chars -= len(copy.body)

    def _drop_badge(self, public_id: str) -> None:  # with the lock held
        for code, _name in settings.LANGUAGES:
            self._drop(page_key(public_id, code))

    def _throw_away_all(self) -> None:  # with the lock held
        """Drop every copy and move the epoch, so no page read before now is kept."""
        self._copies.clear()
        self._chars = 0
        self.epoch += 1

    def after_fork_in_child(self) -> None:
        """A forked child starts afresh: the parent's listener thread does not exist
        here, and its lock may have been held by a thread that does not either."""
        self._lock = threading.Lock()
        self._listener = self._live_listener = None
        self._throw_away_all()

    # --- the listener thread --------------------------------------------------------

    def _start_listener(self, url: str) -> None:
        with self._lock:
            old = self._listener
            if old is not None and old.pid == os.getpid() and old.url == url:
                return  # another thread started it meanwhile
            # A new subscription (first use, or the cache moved): no copy is covered yet.
            self._throw_away_all()
            self._live_listener = None
            listener = self._listener = _Listener(self, url)
        if old is not None and old.pid == os.getpid():
            old.stop()
        try:
            listener.start()
        except RuntimeError as exc:  # no thread to be had: no copies, never a failed request
            logger.warning("badge page purges unavailable (%s); not keeping copies", exc)

    def went_live(self, listener: _Listener) -> None:
        with self._lock:
            if listener is self._listener:
                self._throw_away_all()
                self._live_listener = listener

    def went_dead(self, listener: _Listener) -> None:
        with self._lock:
            if listener is not self._listener:
                return  # replaced: its copies went when it was
            self._live_listener = None
            self._throw_away_all()

    def purged(self, listener: _Listener, public_id: str) -> None:
        with self._lock:
            if listener is self._listener:
                self._drop_badge(public_id)
                self.epoch += 1


class _Listener(threading.Thread):
    def __init__(self, memory: _Memory, url: str) -> None:
        super().__init__(name="credence-page-purges", daemon=True)
        self.memory, self.url, self.pid = memory, url, os.getpid()
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        delay, warned = 0.1, False
        while not self._stopping.is_set():
            client = pubsub = None
            try:
                # No retries: redis-py would reconnect and resubscribe on its own,
                # and purges published in between would be lost unnoticed.
                client = redis.Redis.from_url(
                    self.url,
                    socket_connect_timeout=1,
                    socket_timeout=DEAD_AFTER_SECONDS,
                    retry=Retry(NoBackoff(), 0),
                )
                pubsub = client.pubsub()
                pubsub.subscribe(CHANNEL)
                self._listen(pubsub)
            except Exception as exc:  # noqa: BLE001 - any failure: drop copies, retry
                self.memory.went_dead(self)
                if not warned:
                    logger.warning("badge page purges unavailable (%s); not keeping copies", exc)
                    warned = True
                self._stopping.wait(delay)
                delay = min(delay * 2, 5.0)
            else:
                delay, warned = 0.1, False
            finally:
                for closable in (pubsub, client):
                    try:
                        if closable is not None:
                            closable.close()
                    except Exception:  # noqa: BLE001, S110 - already broken
                        pass
        self.memory.went_dead(self)

    def _listen(self, pubsub) -> None:
        heard = pinged = time.monotonic()
        while not self._stopping.is_set():
            message = pubsub.get_message(timeout=0.5)
            now = time.monotonic()
            if message is not None:
                heard = now
                if message["type"] == "subscribe":
                    self.memory.went_live(self)
                elif message["type"] == "message":
                    self.memory.purged(self, message["data"].decode("ascii", "replace"))
            elif now - heard > DEAD_AFTER_SECONDS:
                raise ConnectionError("Redis stopped answering the health checks")
            if now - pinged >= PING_SECONDS:
                pubsub.ping()
                pinged = now


def _copy_limit() -> int:
    return max(0, int(conf.CREDENCE_LOCAL_PAGE_COPIES))


def publish_purge(public_id: str) -> None:
    """Tell every web process to drop its copy of this badge's page. Raises when Redis
    cannot be reached (the caller logs it; the listeners notice the outage themselves)."""
    client = redis_client.client()
    if client is None:
        return
    try:
        client.publish(CHANNEL, public_id)
    except Exception:
        redis_client.reset()  # a half-done exchange must not answer the next command
        raise


memory = _Memory()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=memory.after_fork_in_child)
