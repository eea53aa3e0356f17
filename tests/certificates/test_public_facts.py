"""The public JSON of a badge, field by field: what its PDF prints, where its files are,
which badge replaces it, and every time in UTC whatever the server's own zone."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from certificates.issuing import issuance
from certificates.models import Badge
from tests.support.badges import issue_badge_now
from tests.support.staff import make_badge

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


@pytest.fixture
def server_zone_not_utc(monkeypatch):
    """The process's local zone five hours behind UTC, as on a server set to New York."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def issued(design, fellow, completion, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = SITE
    fellow.show_scores_on_badges = True
    fellow.save()
    return issue_badge_now(completion, django_capture_on_commit_callbacks)


def facts(client, badge) -> dict:
    response = client.get(f"/badges/{badge.public_id}.json")
    assert response.status_code == 200
    return response.json()


def test_the_json_of_an_issued_badge_says_what_its_pdf_prints_and_where_its_files_are(
    client, issued
):
    url = f"{SITE}/badges/{issued.public_id}/"
    issued_on = issued.issued_at.astimezone(UTC).date()
    data = facts(client, issued)
    assert (data["status"], data["since"]) == (
        "valid",
        issued.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    assert data["badge"] == {
        "id": issued.public_id,
        "url": url,
        "recipient_name": "Ada Lovelace",
        "badge_title": "Certified AI Data Labeler",
        "course_title": "Foundations of AI Data Labeling",
        "issued_on": issued_on.isoformat(),
        "expires_on": (issued_on + timedelta(days=365)).isoformat(),
        "score_percent": 95,
        "issuer_name": "Credence",
        "signatory": "Grace Hopper",
        "pdf_url": url + "badge.pdf",
        "credential_url": url + "credential.json",
        "superseded_by": None,
        # A course with no recorded version (test_badge_versions_public.py has the rest).
        "version": {
            "certified": None,
            "current": None,
            "is_current": None,
            "renew_by": None,
            "out_of_date_since": None,
        },
    }
    assert [(c["name"], c["label"], c["passed"]) for c in data["checks"]] == [
        ("signature", "Signature valid", True),
        ("issuer_key", "Issuer key known and not compromised", True),
        ("not_expired", "Not expired", True),
        ("not_revoked", "Not revoked or suspended", True),
    ]


def test_the_json_of_a_replaced_badge_links_to_its_replacement(
    client, issued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = issuance.reissue_badge(issued)
    data = facts(client, issued)
    assert data["status"] == "superseded"
    assert data["badge"]["superseded_by"] == f"{SITE}/badges/{new.public_id}/"
    assert data["badge"]["id"] == issued.public_id


def test_the_json_gives_every_time_in_utc_whatever_the_servers_zone(
    client, issued, server_zone_not_utc
):
    before = datetime.now(UTC).replace(microsecond=0)
    data = facts(client, issued)
    after = datetime.now(UTC)
    # (The signature's check is the one made when it was signed; the others run now.)
    checked_now = [c for c in data["checks"] if c["name"] != "signature"]
    assert len(checked_now) == 3
    for check in checked_now:
        # The literal Z is read as UTC: a local time written with a Z falls outside.
        checked_at = datetime.fromisoformat(check["checked_at"])
        assert check["checked_at"].endswith("Z") and before <= checked_at <= after, check


def test_the_json_of_a_badge_still_being_prepared_links_to_no_file(client, design):
    # A file name left from a render that was lost: not served until the badge is issued.
    badge = make_badge(design=design, state=Badge.State.PENDING, pdf="badges/lost/badge.pdf")
    data = facts(client, badge)
    assert data["status"] == "preparing"
    assert (data["badge"]["pdf_url"], data["badge"]["credential_url"]) == (None, None)
    assert data["badge"]["superseded_by"] is None
