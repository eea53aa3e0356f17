"""Badges for tests in any package: issued through the real pipeline, their status bits as
a verifier reads them, and the "Verify a badge" upload."""

from __future__ import annotations

from django.db import transaction

from certificates.issuing import issuance
from certificates.models import Badge
from certificates.signing.ob3.status_list import MIN_ENTRIES, Bitstring


def issue_badge_now(completion, capture) -> Badge:
    """Issue, sign and render a badge in-process (eager Celery), return it fresh from the DB."""
    with capture(execute=True):
        with transaction.atomic():
            badge = issuance.request_badge_for_completion(completion)
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED, badge.last_error
    return badge


def served_bit(client, purpose: str, index: int) -> bool:
    """The bit at `index` of the public status list for `purpose`, as served."""
    response = client.get(f"/status/{purpose}")
    assert response.status_code == 200
    bits = Bitstring.decode(response.json()["credentialSubject"]["encodedList"])
    assert bits.length >= MIN_ENTRIES
    return bits.get(index)


def upload(client, data: bytes, name: str = "badge.pdf"):
    """Post `data` to the "Verify a badge" page as the file `name`."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/verify/", {"file": SimpleUploadedFile(name, data)})
