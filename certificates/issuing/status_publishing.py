"""Making a badge's status visible to outside verifiers: the signed status lists and the page cache.

A status bit is set, and its list re-signed, inside the transaction that changes the
badge (the list row is locked), so the served list and the badge row agree the moment
that transaction commits. The cached public page and JSON of the badge are purged on
commit, synchronously, and again by the Celery task, so neither depends on the other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from certificates.models import Badge, StatusList
from certificates.signing.ob3 import credential as ob3
from certificates.signing.ob3 import status_list
from certificates.signing.ob3.status_list import Bitstring, StatusPurpose

logger = logging.getLogger("credence.badges")


# --- status lists -------------------------------------------------------------------


def _signed_fields(purpose: StatusPurpose, bits: Bitstring) -> dict:
    from certificates.signing.credentials import issuer_keys

    loaded = issuer_keys()
    unsigned = status_list.build_status_list_credential(
        site_url=settings.SITE_URL,
        issuer_did=loaded.did,
        purpose=purpose,
        bits=bits,
        valid_from=timezone.now(),
    )
    signed = ob3.sign_credential(unsigned, loaded.ring.active)
    return {
        "credential": signed,
        "etag": hashlib.sha256(served_bytes(signed)).hexdigest(),
        "updated_at": timezone.now(),
    }


def served_bytes(credential: dict) -> bytes:
    return json.dumps(credential, separators=(",", ":")).encode("utf-8")


def _locked_list(purpose: StatusPurpose) -> StatusList:
    """The purpose's list row, locked for the rest of the transaction; created when missing."""
    row = StatusList.objects.select_for_update().filter(purpose=purpose).first()
    if row is None:
        try:
            with transaction.atomic():
                StatusList.objects.create(purpose=purpose, **_signed_fields(purpose, Bitstring()))
        except IntegrityError:
            pass  # another transaction created it first
        row = StatusList.objects.select_for_update().get(purpose=purpose)
    return row


def get_status_list(purpose: StatusPurpose) -> StatusList:
    """The purpose's list as served (created, empty and signed, on first use)."""
    row = StatusList.objects.filter(purpose=purpose).first()
    if row is None:
        with transaction.atomic():
            row = _locked_list(purpose)
    return row


def status_list_etag(purpose: StatusPurpose) -> str | None:
    """The ETag of the purpose's list as served, without reading the list; None before
    the list exists."""
    return StatusList.objects.filter(purpose=purpose).values_list("etag", flat=True).first()


def set_status_bit(index: int, purpose: StatusPurpose, value: bool) -> None:
    """Set or clear one badge's bit and re-sign the list. Must run inside the transaction
    that changes the badge. A revocation bit cannot be cleared (StatusListError)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("set_status_bit must run inside the badge's transaction")
    row = _locked_list(purpose)
    bits = Bitstring.decode(row.credential["credentialSubject"]["encodedList"])
    if bits.get(index) == value:
        return
    if purpose == "suspension" and not value and _revoked_on_list(index):
        # Credentials name the suspension list (decision 0004): for them, clearing this
        # bit would undo a revocation.
        raise status_list.StatusListError(
            "a revoked badge stays suspended on the list: revocation cannot be undone"
        )
    status_list.set_status(bits, index, purpose, value)
    for name, field_value in _signed_fields(purpose, bits).items():
        setattr(row, name, field_value)
    row.save(update_fields=["credential", "etag", "updated_at"])


def set_status_bits(indexes: list[int], purpose: StatusPurpose, value: bool) -> None:
    """Set many badges' bits in one re-signing of the list (the out-of-date job's batches:
    certificates.issuing.renewal). Must run inside the transaction that changes the badges.
    Only sets: clearing goes badge by badge through `set_status_bit`, which guards the
    revocation it could undo."""
    if not value:
        raise ValueError("set_status_bits only sets bits")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("set_status_bits must run inside the badges' transaction")
    row = _locked_list(purpose)
    bits = Bitstring.decode(row.credential["credentialSubject"]["encodedList"])
    changed = False
    for index in indexes:
        if not bits.get(index):
            status_list.set_status(bits, index, purpose, True)
            changed = True
    if not changed:
        return
    for name, field_value in _signed_fields(purpose, bits).items():
        setattr(row, name, field_value)
    row.save(update_fields=["credential", "etag", "updated_at"])


def _revoked_on_list(index: int) -> bool:
    # A plain read: the revocation bit only ever goes from clear to set, and the badge's
    # row lock (held by every caller) orders this against the badge's own revocation.
    row = get_status_list("revocation")
    return Bitstring.decode(row.credential["credentialSubject"]["encodedList"]).get(index)


def resign_status_lists() -> None:
    """Re-sign both lists with the active key (after a key is marked compromised, a list
    signed by it would make every badge's status check fail)."""
    with transaction.atomic():
        for purpose in status_list.STATUS_PURPOSES:
            row = _locked_list(purpose)
            bits = Bitstring.decode(row.credential["credentialSubject"]["encodedList"])
            for name, field_value in _signed_fields(purpose, bits).items():
                setattr(row, name, field_value)
            row.save(update_fields=["credential", "etag", "updated_at"])


def status_lists_by_url() -> dict[str, dict]:
    """Every signed list keyed by its URL, as `ob3.verify_credential` wants them."""
    return {
        status_list.status_list_url(settings.SITE_URL, purpose): get_status_list(purpose).credential
        for purpose in status_list.STATUS_PURPOSES
    }


# --- cached public page ------------------------------------------------------


def badge_page_cache_key(public_id: str, language: str | None = None) -> str:
    """The shared cache's key of the badge's page in `language` (the site's by default)."""
    if language in (None, settings.LANGUAGE_CODE):
        return f"badge-page:{public_id}"
    return f"badge-page:{public_id}:{language}"


def _every_page_key(public_id: str) -> list[str]:
    return [badge_page_cache_key(public_id, code) for code, _name in settings.LANGUAGES]


# A generation outlives every page cached under it (at most five minutes) by far, so
# letting it expire cannot revive a purged page; it only keeps keys from piling up.
GENERATION_SECONDS = 24 * 60 * 60


def badge_generation_key(public_id: str) -> str:
    # A cached entry records the generation it was computed under; a purge moves the
    # generation on, so an entry computed from a read that raced the purge is never used.
    return badge_page_cache_key(public_id) + ":gen"


def purge_badge_page(public_id: str) -> None:
    """Forget the cached public page of one badge, in the shared cache and in every web
    process's own copies (local_pages). Never raises: a cache outage must not undo a
    revocation (the entries also expire on their own within minutes)."""
    from certificates.public import local_pages

    local_pages.memory.forget(public_id)  # this process's copy, whatever happens below
    # Each step on its own: one refused command (a timeout, a full Redis refusing the
    # SET) must not skip the others. The publish comes after the delete, so a process
    # that drops its copy on the message and reads the shared cache again finds no page.
    steps = (
        lambda: cache.set(
            badge_generation_key(public_id), secrets.token_hex(8), timeout=GENERATION_SECONDS
        ),
        lambda: cache.delete_many(_every_page_key(public_id)),
        lambda: local_pages.publish_purge(public_id),
    )
    for step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - any cache failure
            logger.warning("could not purge the cached page of badge %s: %s", public_id, exc)
    # Again: a request here may have read the old shared page between the first forget
    # and the delete, and kept it.
    local_pages.memory.forget(public_id)


def publish_status_change(badge_id: int) -> None:
    """Purge the cached public page of the badge so its new status shows at once."""
    public_id = Badge.objects.filter(pk=badge_id).values_list("public_id", flat=True).first()
    if public_id:
        purge_badge_page(public_id)
