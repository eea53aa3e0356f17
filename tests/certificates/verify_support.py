"""Helpers for the verification tests: issue a badge through the real pipeline, fetch documents."""

import json

from django.db import transaction
from django.test import Client

from certificates.issuing import issuance
from certificates.models import Badge


def issue_badge_now(completion, capture) -> Badge:
    """Issue, sign and render a badge in-process (eager Celery), return it fresh from the DB."""
    with capture(execute=True):
        with transaction.atomic():
            badge = issuance.request_badge_for_completion(completion)
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED, badge.last_error
    return badge


def public_documents(client: Client | None = None) -> tuple[dict, dict[str, dict]]:
    """The DID document and status lists exactly as an outside verifier fetches them."""
    from django.conf import settings

    client = client or Client()
    did = json.loads(client.get("/.well-known/did.json").content)
    lists = {}
    for purpose in ("revocation", "suspension"):
        lists[f"{settings.SITE_URL}/status/{purpose}"] = json.loads(
            client.get(f"/status/{purpose}").content
        )
    return did, lists
