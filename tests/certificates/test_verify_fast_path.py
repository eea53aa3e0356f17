"""The cheap road to a badge's public verdict: the middleware short cut, the column-only
lookup, the one-round-trip limiter count and the page-cache read, and the inline QR code."""

import os
import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date

from certificates.issuing import issuance
from certificates.models import Badge
from certificates.public import ratelimit, views
from certificates.public.middleware import public_verdict_view
from certificates.public.verification import find_badge, find_public_badge, verify_badge
from certificates.rendering.qr import qr_svg
from tests.support.cache import cache_redis, limiter_count, use_redis_cache

pytestmark = pytest.mark.django_db


def test_the_short_cut_matches_exactly_the_page_and_json_routes():
    public_id = "A" * 24
    for name, view in (
        ("certificates:badge", views.badge_page),
        ("certificates:badge_json", views.badge_json),
    ):
        assert public_verdict_view(reverse(name, args=[public_id])) == (view, public_id)
    for name in ("certificates:badge_pdf", "certificates:badge_credential"):
        assert public_verdict_view(reverse(name, args=[public_id])) is None
    assert public_verdict_view("/badges/" + "A" * 25 + "/") is None
    assert public_verdict_view("/badges/") is None  # the signed-in fellow's own list


def test_anonymous_answers_keep_every_security_header(badge, client):
    for path in (f"/badges/{badge.public_id}/", f"/badges/{badge.public_id}.json"):
        response = client.get(path)
        assert response.status_code == 200
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Robots-Tag"] == "noindex"
        assert int(response["Content-Length"]) == len(response.content)
        assert "Set-Cookie" not in response


def test_unknown_ids_get_the_site_404_page_on_the_short_cut(client, db):
    fast = client.get("/badges/" + "B" * 24 + ".json")
    full = client.get("/badges/not-a-badge-id")  # not on the short cut
    assert fast.status_code == full.status_code == 404
    assert fast.content == full.content
    assert fast["X-Frame-Options"] == "DENY"


def test_a_signed_in_owner_still_gets_the_full_page(badge, client, fellow):
    client.force_login(fellow)
    html = client.get(f"/badges/{badge.public_id}/").content.decode()
    assert "Log out" in html and "Add to LinkedIn profile" in html
    anonymous_html = client.__class__().get(f"/badges/{badge.public_id}/").content.decode()
    assert "Log out" not in anonymous_html and "Add to LinkedIn profile" not in anonymous_html


def test_the_public_page_ignores_a_language_left_active_by_an_earlier_request(badge, client):
    expired = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
    Badge.objects.filter(pk=badge.pk).update(expires_at=expired)
    with translation.override("de"):  # as LocaleMiddleware leaves a worker thread
        assert format_date(expired, "F") == "März"
        data = client.get(f"/badges/{badge.public_id}.json").json()
    assert data["status"] == "expired" and data["summary"] == "Expired on 5 March 2024"


def test_column_lookup_costs_one_query_and_agrees_with_the_model(badge):
    """A badge of a course without versions; test_badge_versions_public.py compares the
    version columns of a renewal-due, an out-of-date and a renewed badge."""
    with CaptureQueriesContext(connection) as queries:
        public = find_public_badge(badge.public_id)
    assert len(queries) == 1
    model = find_badge(badge.public_id)
    for name in public.__slots__:
        assert getattr(public, name) == getattr(model, name) or (
            name == "pdf" and public.pdf == model.pdf.name
        ), name
    assert find_public_badge("C" * 24) is None
    assert find_public_badge("../etc/passwd") is None


@pytest.mark.parametrize("change", ["revoke", "suspend", "reinstate", "supersede", "expire"])
def test_the_verdict_reads_the_row_at_request_time_so_it_cannot_go_stale(
    badge, client, change, django_capture_on_commit_callbacks
):
    """Nothing is precomputed: every status change shows in the next lookup."""
    assert client.get(f"/badges/{badge.public_id}.json").json()["status"] == "valid"
    with django_capture_on_commit_callbacks(execute=True):
        if change == "revoke":
            issuance.revoke_badge(badge, reason="Issued in error.")
        elif change in ("suspend", "reinstate"):
            issuance.suspend_badge(badge)
            if change == "reinstate":
                issuance.reinstate_badge(Badge.objects.get(pk=badge.pk))
        elif change == "supersede":
            new = issuance.reissue_badge(badge)
        else:
            Badge.objects.filter(pk=badge.pk).update(expires_at=timezone.now())
    expected = {
        "revoke": "revoked",
        "suspend": "suspended",
        "reinstate": "valid",
        "supersede": "superseded",
        "expire": "expired",
    }[change]
    data = client.get(f"/badges/{badge.public_id}.json").json()
    assert data["status"] == expected
    assert verify_badge(find_public_badge(badge.public_id)).code == expected
    html = client.get(f"/badges/{badge.public_id}/").content.decode()
    assert f"verdict--{expected}" in html
    if change == "supersede":
        assert data["badge"]["superseded_by"].endswith(f"/badges/{new.public_id}/")
        assert f"/badges/{new.public_id}/" in html


def test_the_cached_page_is_served_without_a_query_and_purged_on_revocation(
    badge, client, django_capture_on_commit_callbacks
):
    client.get(f"/badges/{badge.public_id}/")
    with CaptureQueriesContext(connection) as queries:
        assert "verdict--valid" in client.get(f"/badges/{badge.public_id}/").content.decode()
    assert len(queries) == 0
    with django_capture_on_commit_callbacks(execute=True):
        issuance.revoke_badge(badge, reason="Issued in error.")
    assert "verdict--revoked" in client.get(f"/badges/{badge.public_id}/").content.decode()


def test_wallet_qr_is_an_inline_svg_with_an_escaped_title():
    svg = qr_svg("https://example.org/badges/x/credential.json", title="A <b> & c")
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "<title>A &lt;b&gt; &amp; c</title>" in svg
    # Every dark module is one rectangle cell of the path; the three finder patterns
    # alone have 3 * (24 + 9) dark modules.
    cells = sum(int(w) for w in re.findall(r"h(\d+)v1", svg))
    assert cells > 3 * 33


def test_count_and_read_share_one_call_and_fail_open(rf, settings):
    settings.CREDENCE_PUBLIC_RATE_LIMIT = 2
    from django.core.cache import cache

    cache.clear()
    cache.set("page", {"body": "x"})
    request = rf.get("/", REMOTE_ADDR="10.9.9.9")
    assert ratelimit.retry_after_and_get(request, ["page", "missing"]) == (
        None,
        {"page": {"body": "x"}},
    )
    assert ratelimit.retry_after_and_get(request, [])[0] is None
    wait, found = ratelimit.retry_after_and_get(request, ["page"])
    assert wait is not None and wait >= 1 and found == {"page": {"body": "x"}}


@pytest.fixture
def shared_redis_cache(settings):
    """Django's cache on the Redis at REDIS_URL, emptied before and after the test."""
    use_redis_cache(settings, os.environ["REDIS_URL"])
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_count_and_read_in_one_redis_pipeline(rf, settings, shared_redis_cache):
    settings.CREDENCE_PUBLIC_RATE_LIMIT = 2
    settings.CREDENCE_PUBLIC_RATE_WINDOW = 60  # production's (tests default to an hour)
    cache = shared_redis_cache
    cache.set("page", {"body": "x"})
    cache.set("number", 7)
    request = rf.get("/", REMOTE_ADDR="10.9.9.8")
    first = ratelimit.retry_after_and_get(request, ["page", "number", "missing"])
    assert first == (None, {"page": {"body": "x"}, "number": 7})
    assert ratelimit.retry_after(request) is None
    assert ratelimit.retry_after(request) >= 1
    counters = list(cache_redis().keys("*rl:lookup:10.9.9.8:*"))
    assert len(counters) == 1 and 0 < cache_redis().ttl(counters[0]) <= 61


@pytest.mark.redis
def test_limiter_connection_survives_a_redis_restart(rf, settings):
    """The limiter's own per-thread connection: dropped when Redis goes away (the lookup is
    allowed meanwhile), made afresh when it is back."""
    from tests.support.services import RedisServer

    server = RedisServer().start()
    try:
        # Asking Redis again at every call, as soon as it is back (the default waits a
        # few seconds after a failure: lms/redis_client.py).
        use_redis_cache(settings, server.url, outage_retry_seconds=0)
        settings.CREDENCE_PUBLIC_RATE_LIMIT = 1
        request = rf.get("/", REMOTE_ADDR="10.9.9.7")
        assert ratelimit.retry_after(request) is None
        assert ratelimit.retry_after(request) is not None  # second in the window: limited

        server.stop()
        # Redis gone: fail open, no error (another client: this worker remembers the first).
        other = rf.get("/", REMOTE_ADDR="10.9.9.70")
        assert ratelimit.retry_after(other) is None
        assert ratelimit.lookup_unless_limited(other, lambda: "found") == (None, "found")
        server.start()  # same port, empty: a new count
        assert ratelimit.lookup_unless_limited(other, lambda: "found") == (None, "found")
        assert ratelimit.retry_after(other) is not None
        assert ratelimit.retry_after(request) is not None  # still remembered
    finally:
        server.stop()


def _counter_value(ip: str) -> int:
    client = cache_redis()
    (key,) = client.keys(f"*rl:lookup:{ip}:*")
    return int(client.get(key))


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_the_count_overlapping_a_lookup_is_read_even_when_the_lookup_fails(
    rf, settings, shared_redis_cache
):
    settings.CREDENCE_PUBLIC_RATE_LIMIT = 2
    request = rf.get("/", REMOTE_ADDR="10.9.9.6")
    assert ratelimit.lookup_unless_limited(request, lambda: "found") == (None, "found")

    def database_down():
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        ratelimit.lookup_unless_limited(request, database_down)
    # Had the failed call left its replies unread, this one would read them (a count of 2,
    # allowed) instead of its own (3, over the limit).
    wait, result = ratelimit.lookup_unless_limited(request, lambda: "found")
    assert result is None and 1 <= wait <= 3600
    # Remembered until the window ends: no lookup and no count.
    lookups = []
    assert ratelimit.lookup_unless_limited(request, lambda: lookups.append(1))[1] is None
    assert ratelimit.retry_after(request) is not None
    assert lookups == [] and limiter_count("10.9.9.6") == 3


@pytest.mark.parametrize("redis", [False, pytest.param(True, marks=pytest.mark.redis)])
def test_a_client_over_its_limit_costs_no_query_for_the_rest_of_the_window(
    badge, client, settings, redis
):
    if redis:
        use_redis_cache(settings, os.environ["REDIS_URL"])
    settings.CREDENCE_PUBLIC_RATE_LIMIT = 3
    from django.core.cache import cache

    cache.clear()
    url = f"/badges/{badge.public_id}.json"
    assert [client.get(url, REMOTE_ADDR="10.1.1.1").status_code for _ in range(3)] == [200] * 3
    with CaptureQueriesContext(connection) as queries:
        codes = [client.get(url, REMOTE_ADDR="10.1.1.1").status_code for _ in range(5)]
    assert codes == [429] * 5
    assert len(queries) <= 1  # at most the lookup the count overlapped
    assert client.get(url, REMOTE_ADDR="10.1.1.2").json()["status"] == "valid"
    page = client.get(f"/badges/{badge.public_id}/", REMOTE_ADDR="10.1.1.1")
    assert page.status_code == 429 and int(page["Retry-After"]) >= 1
    cache.clear()


@pytest.mark.redis
def test_purge_generations_expire_instead_of_piling_up(shared_redis_cache):
    from certificates.issuing import status_publishing

    cache = shared_redis_cache
    status_publishing.purge_badge_page("A" * 24)
    key = cache.make_and_validate_key(status_publishing.badge_generation_key("A" * 24))
    ttl = cache_redis().ttl(key)
    assert 0 < ttl <= status_publishing.GENERATION_SECONDS


def test_behind_a_proxy_each_visitor_has_a_limit_of_their_own(badge, client, settings):
    settings.CREDENCE_PUBLIC_RATE_LIMIT = 2
    settings.CREDENCE_TRUSTED_PROXY_COUNT = 1
    url = f"/badges/{badge.public_id}.json"

    def via_balancer(forwarded: str) -> int:
        return client.get(url, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [via_balancer("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    # Another visitor behind the same balancer is not limited by the first one.
    assert via_balancer("198.51.100.9") == 200
    # Entries the visitor wrote themselves (left of what our proxy appended) change nothing.
    assert via_balancer("192.0.2.1, 203.0.113.7") == 429


def test_a_purge_deletes_and_announces_even_when_one_cache_command_is_refused(monkeypatch):
    from django.core.cache import cache

    from certificates.issuing import status_publishing
    from certificates.public import local_pages

    public_id = "B" * 24
    cache.set(status_publishing.badge_page_cache_key(public_id), {"body": "old page"})
    announced = []
    monkeypatch.setattr(local_pages, "publish_purge", announced.append)

    def refused(*args, **kwargs):
        raise ConnectionError("OOM command not allowed when used memory > 'maxmemory'")

    monkeypatch.setattr(cache, "set", refused)
    status_publishing.purge_badge_page(public_id)  # logs, never raises
    assert cache.get(status_publishing.badge_page_cache_key(public_id)) is None
    assert announced == [public_id]
