"""The public badge page and its JSON: verdict and checks, caching with purge, limits, 404s."""

import json
import re
import secrets
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from certificates.issuing import issuance
from certificates.models import Badge

pytestmark = pytest.mark.django_db


def checks_of(data: dict) -> dict:
    return {check["name"]: check for check in data["checks"]}


def test_page_shows_the_verdict_first_with_dated_checks_facts_and_downloads(badge, client):
    response = client.get(f"/badges/{badge.public_id}/")
    html = response.content.decode()
    assert response["X-Robots-Tag"] == "noindex"
    verdict_at = html.index('class="verdict verdict--valid"')
    assert verdict_at < html.index('id="badge-title"')
    for label in (
        "Signature valid",
        "Issuer key known and not compromised",
        "Not expired",
        "Not revoked or suspended",
    ):
        assert label in html
    assert html.count("<time datetime=") == 4
    for fact in ("Ada Lovelace", "Foundations of AI Data Labeling", "Certified AI Data Labeler"):
        assert fact in html
    assert f"/badges/{badge.public_id}/badge.pdf" in html
    assert f"/badges/{badge.public_id}/credential.json" in html
    # The wallet QR code is an image the browser loads only when the section is opened.
    assert "Add to wallet" in html
    assert f'src="/badges/{badge.public_id}/wallet-qr.svg"' in html and 'loading="lazy"' in html
    assert 'property="og:title"' in html and 'property="og:url"' in html


def test_json_verdict_by_suffix_and_by_content_negotiation(badge, client):
    by_suffix = client.get(f"/badges/{badge.public_id}.json")
    negotiated = client.get(f"/badges/{badge.public_id}/", HTTP_ACCEPT="application/json")
    assert by_suffix["Content-Type"] == negotiated["Content-Type"] == "application/json"
    data = by_suffix.json()
    assert data["status"] == "valid" and data["valid"] is True
    assert negotiated.json()["status"] == "valid"
    assert all(check["passed"] is True for check in data["checks"])
    assert all(re.match(r"\d{4}-\d\d-\d\dT", check["checked_at"]) for check in data["checks"])
    assert data["badge"]["recipient_name"] == "Ada Lovelace"


def test_json_discloses_no_email_or_internal_id(badge, client):
    """docs/threats.md, row P1."""
    body = client.get(f"/badges/{badge.public_id}.json").content.decode()
    assert "fellow@example.org" not in body
    assert f'"pk": {badge.pk}' not in body and "recipient_id" not in body
    assert "salt" not in body and "status_index" not in body


def test_credential_download_is_the_signed_credential(badge, client):
    response = client.get(f"/badges/{badge.public_id}/credential.json")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert json.loads(response.content)["proof"] == badge.credential["proof"]


@pytest.mark.parametrize("state", ["revoked", "suspended", "expired"])
def test_verdict_follows_the_lifecycle(badge, client, state, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        if state == "revoked":
            issuance.revoke_badge(badge, reason="Answers copied <b>verbatim</b>.")
        elif state == "suspended":
            issuance.suspend_badge(badge)
        else:
            Badge.objects.filter(pk=badge.pk).update(expires_at=timezone.now() - timedelta(days=1))
    data = client.get(f"/badges/{badge.public_id}.json").json()
    assert data["status"] == state and data["valid"] is False
    html = client.get(f"/badges/{badge.public_id}/").content.decode()
    expected = {"revoked": "Revoked on", "suspended": "Suspended since", "expired": "Expired on"}
    assert expected[state] in html
    if state == "revoked":
        assert "(Answers copied &lt;b&gt;verbatim&lt;/b&gt;.)" in html
        assert checks_of(data)["not_revoked"]["passed"] is False


def test_revocation_shows_at_once_without_the_celery_task(
    badge, client, monkeypatch, django_capture_on_commit_callbacks
):
    assert "verdict--valid" in client.get(f"/badges/{badge.public_id}/").content.decode()
    assert client.get(f"/badges/{badge.public_id}.json").json()["status"] == "valid"
    # Both are cached now; with the broker-side purge gone, the commit-time purge must do.
    monkeypatch.setattr(issuance, "_after_status_change", lambda *args, **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        issuance.revoke_badge(badge, reason="Issued in error.")
    assert "Revoked on" in client.get(f"/badges/{badge.public_id}/").content.decode()
    assert client.get(f"/badges/{badge.public_id}.json").json()["status"] == "revoked"


def test_a_cached_valid_page_never_outlives_the_expiry(badge, client):
    Badge.objects.filter(pk=badge.pk).update(expires_at=timezone.now() + timedelta(days=2))
    from certificates.issuing.status_publishing import purge_badge_page

    purge_badge_page(badge.public_id)
    assert "verdict--valid" in client.get(f"/badges/{badge.public_id}/").content.decode()
    with CaptureQueriesContext(connection) as cached:
        assert "verdict--valid" in client.get(f"/badges/{badge.public_id}/").content.decode()
    assert len(cached) == 0  # served from the cache
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert client.get(f"/badges/{badge.public_id}.json").json()["status"] == "expired"
        assert "Expired on" in client.get(f"/badges/{badge.public_id}/").content.decode()


def test_never_valid_when_a_check_could_not_run(badge, client, settings, tmp_path):
    settings.CREDENCE_ISSUER_KEYS_FILE = str(tmp_path / "missing.json")
    settings.CREDENCE_ISSUER_KEYS_AUTOCREATE = False
    # The stored hash lets the signature check pass; the key check cannot run without keys.
    data = client.get(f"/badges/{badge.public_id}.json").json()
    assert data["status"] == "unverified" and data["valid"] is False
    assert checks_of(data)["issuer_key"]["passed"] is None
    html = client.get(f"/badges/{badge.public_id}/").content.decode()
    assert "Could not be verified" in html and "verdict--valid" not in html


def test_a_tampered_stored_credential_is_caught(badge, client):
    credential = dict(badge.credential)
    credential["credentialSubject"] = {**credential["credentialSubject"], "name": "Mallory"}
    Badge.objects.filter(pk=badge.pk).update(credential=credential)
    data = client.get(f"/badges/{badge.public_id}.json").json()
    assert data["status"] == "invalid"
    assert checks_of(data)["signature"]["passed"] is False


def test_json_endpoint_costs_at_most_two_queries_whatever_the_number_of_badges(
    badge, client, django_user_model, course
):
    """Constant cost: the same count with 1 badge as with 40 (the bench measures 100,000)."""

    def cost() -> int:
        from certificates.issuing.status_publishing import purge_badge_page

        purge_badge_page(badge.public_id)  # measure the uncached path
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/badges/{badge.public_id}.json").status_code == 200
        return len(queries)

    few = cost()
    Badge.objects.bulk_create(
        Badge(
            recipient=django_user_model.objects.create_user(
                email=f"n{n}@example.org", password="x" * 20
            ),
            course=course,
            state=Badge.State.ISSUED,
            snapshot=badge.snapshot,
            credential=badge.credential,
            status_index=1000 + n,
        )
        for n in range(40)
    )
    many = cost()
    assert few <= 2 and many == few


def test_ten_thousand_guessed_ids_all_get_the_same_404(client, db, rf):
    """docs/threats.md, row C2 (limiter off): well-formed random ids never hit, and the 404 is
    uniform.

    10,000 guesses go through the view (the full 404 page costs ~10 ms each through the
    test client, so 2,000 of them go through the client to compare bodies).
    """
    from django.http import Http404

    from certificates.public import views

    for _ in range(10_000):
        public_id = secrets.token_urlsafe(18)
        with pytest.raises(Http404):
            views.badge_json(rf.get(f"/badges/{public_id}.json"), public_id)
    bodies = set()
    for _ in range(2_000):
        response = client.get(f"/badges/{secrets.token_urlsafe(18)}.json")
        assert response.status_code == 404
        bodies.add(response.content)
    bad = client.get("/badges/../../etc/passwd.json")
    assert bad.status_code == 404
    bodies.add(bad.content)
    assert len(bodies) == 1


@pytest.mark.parametrize(
    "path", ["/badges/x.json", "/badges/" + "A" * 4096 + ".json", "/badges/%00/credential.json"]
)
def test_malformed_ids_cost_no_query(client, db, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 404
    assert len(queries) == 0


@override_settings(CREDENCE_PUBLIC_RATE_LIMIT=5)
def test_lookups_are_rate_limited_per_client(badge, client):
    """docs/threats.md, row L2: 429 with Retry-After past the limit; another client is still
    served."""
    from django.core.cache import cache

    cache.clear()
    codes = [
        client.get(f"/badges/{secrets.token_urlsafe(18)}/", REMOTE_ADDR="10.0.0.1").status_code
        for _ in range(8)
    ]
    assert codes[:5] == [404] * 5 and set(codes[5:]) == {429}
    limited = client.get(f"/badges/{badge.public_id}.json", REMOTE_ADDR="10.0.0.1")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    other = client.get(f"/badges/{badge.public_id}.json", REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 200 and other.json()["status"] == "valid"


# Explicitly transactional (live_server is), so the root conftest restores migration data.
@pytest.mark.django_db(transaction=True)
@override_settings(CREDENCE_PUBLIC_RATE_LIMIT=50, CREDENCE_PUBLIC_RATE_WINDOW=3600)
def test_limiter_engages_on_a_live_loopback_server(live_server):
    """docs/threats.md, rows C2/L2: 200 guesses against the live server; none hits, the limiter
    engages."""
    from django.core.cache import cache

    # The windows are fixed (aligned to the clock): 200 requests crossing into a new one
    # would start a new count. The clock (time_machine moves it for the live server's
    # thread too) starts the run one second into a window, and ticks on from there.
    next_window = (int(time.time()) // 3600 + 1) * 3600
    codes = []
    with time_machine.travel(next_window + 1, tick=True):
        cache.clear()
        for _ in range(200):
            url = f"{live_server.url}/badges/{secrets.token_urlsafe(18)}.json"
            try:
                with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
                    codes.append(response.status)
            except urllib.error.HTTPError as error:
                codes.append(error.code)
    assert 200 not in codes
    assert codes[:50] == [404] * 50
    assert codes.count(429) == 150


def test_wallet_qr_image_decodes_to_the_credential_address(badge, client):
    import zxingcpp
    from PIL import Image, ImageDraw

    response = client.get(f"/badges/{badge.public_id}/wallet-qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "public" in response["Cache-Control"]
    svg = response.content.decode()
    # Draw the SVG's one-module rectangles ("M x y h w v1 H x z") at 8 px per module and
    # read the result with a real QR reader.
    side = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (side * 8, side * 8), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1H\d+z", svg):
        x, y, width = int(x), int(y), int(width)
        draw.rectangle([x * 8, y * 8, (x + width) * 8 - 1, y * 8 + 7], fill=0)
    decoded = zxingcpp.read_barcode(image)
    assert decoded is not None
    assert decoded.text == f"{settings.SITE_URL}/badges/{badge.public_id}/credential.json"


def test_wallet_qr_of_an_unknown_or_preparing_badge_is_a_404(client, design, completion):
    assert client.get("/badges/" + "A" * 24 + "/wallet-qr.svg").status_code == 404
    with transaction.atomic():
        pending = issuance.request_badge_for_completion(completion)
    assert client.get(f"/badges/{pending.public_id}/wallet-qr.svg").status_code == 404
