"""Helpers for the verification tests: the public documents an outside verifier fetches."""

import json

from django.test import Client


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
