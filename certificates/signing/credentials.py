"""A badge's Open Badges 3.0 credential: issuer keys and DID, built and signed from the snapshot."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from certificates.conf import conf
from certificates.languages import LEGACY_LANGUAGE, language_tag
from certificates.models import Badge
from certificates.signing.ob3 import credential as ob3
from certificates.signing.ob3 import keys, status_list

logger = logging.getLogger("credence.badges")

CREDENTIAL_FILENAME = "credential.json"
# Characters the ob3 signer refuses (other verifiers canonicalise them differently). Names
# are validated on entry (lms.accounts.names); admin-typed text could still hold one, and
# the PDF prints such a character as U+FFFD, so the credential carries the same.
_UNSIGNABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class CredentialUnavailable(RuntimeError):
    """The issuer's keys cannot be loaded, or the badge lacks what a credential needs."""


# --- the issuer's keys ------------------------------------------------------------


@dataclass(frozen=True)
class IssuerKeys:
    """The loaded key ring with what every lookup derives from it, computed once per change."""

    ring: keys.KeyRing
    did: str
    did_document: dict
    fingerprint: str  # changes whenever a key is added, retired or marked compromised


_cache_lock = threading.Lock()
_cached: tuple[tuple, IssuerKeys] | None = None


def _may_create_keys() -> bool:
    # Development and tests create a key ring on first use; production must be given one
    # (`manage.py issuer_keys create`), so a missing file there is an error, not a new key.
    return bool(conf.CREDENCE_ISSUER_KEYS_AUTOCREATE)


def _create_key_file(path: Path) -> None:
    """Create the key ring once, even with several processes starting at the same time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            keys.save_key_ring(keys.create_key_ring(), path)
            logger.warning("created a new issuer key ring at %s", path)


def issuer_keys() -> IssuerKeys:
    """The issuer's key ring, reloaded whenever `manage.py issuer_keys` rewrites the file.

    Raises CredentialUnavailable when there is no usable key file.
    """
    global _cached
    path = Path(conf.CREDENCE_ISSUER_KEYS_FILE)
    try:
        stat = path.stat()
    except FileNotFoundError:
        if not _may_create_keys():
            raise CredentialUnavailable(
                f"no issuer key file at {path}: run `manage.py issuer_keys create`"
            ) from None
        _create_key_file(path)
        stat = path.stat()
    stamp = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino, settings.SITE_URL)
    cached = _cached
    if cached and cached[0] == stamp:
        return cached[1]
    with _cache_lock:
        try:
            ring = keys.load_key_ring(path)
        except keys.KeyRingError as error:
            raise CredentialUnavailable(str(error)) from error
        did = keys.issuer_did(settings.SITE_URL)
        document = keys.did_document(ring.keys, did)
        fingerprint = hashlib.sha256(
            json.dumps(document, sort_keys=True).encode("utf-8")
        ).hexdigest()[:16]
        loaded = IssuerKeys(ring, did, document, fingerprint)
        _cached = (stamp, loaded)
        return loaded


def issuer() -> ob3.Issuer:
    return ob3.Issuer(did=issuer_keys().did, name=conf.CREDENCE_ISSUER_NAME, url=settings.SITE_URL)


# --- building and signing ---------------------------------------------------------


def signable(text: str) -> str:
    return _UNSIGNABLE.sub("\ufffd", text)


def credential_url(public_id: str) -> str:
    return f"{settings.SITE_URL}/badges/{public_id}/credential.json"


def achievement_id(badge: Badge) -> str:
    # Stable across re-signing: a re-issued credential names the same achievement.
    if badge.credential:
        previous = badge.credential.get("credentialSubject", {}).get("achievement", {}).get("id")
        if isinstance(previous, str) and previous:
            return previous
    from certificates.public.achievements import achievement_url_for_course

    return achievement_url_for_course(badge.course_id)


def outside_verifiers_see_suspension(credential: dict | None) -> bool:
    """Whether a suspension of this credential shows to outside verifiers: it names the
    suspension list. Credentials signed before decision 0004 name only the revocation
    list, which a suspension must not touch (a revocation bit is never cleared)."""
    statuses = (credential or {}).get("credentialStatus") or []
    entries = statuses if isinstance(statuses, list) else [statuses]
    return any(
        isinstance(entry, dict)
        and entry.get("type") == "BitstringStatusListEntry"
        and entry.get("statusPurpose") == "suspension"
        for entry in entries
    )


def achievement_version(snap: dict) -> str | None:
    """The credential's `Achievement.version`: the course version the badge certifies
    ("2027.1", courses.versions), or for a badge of a course with no recorded version, its
    design's template version, as credentials said before."""
    number = snap.get("version_number")
    if isinstance(number, str) and number.strip():
        return signable(number)
    return str(snap.get("template_version") or "") or None


def badge_facts(badge: Badge, *, recipient_email: str) -> ob3.BadgeFacts:
    """The credential's facts, all from the badge's frozen snapshot and its row."""
    snap = badge.snapshot
    if badge.status_index is None:
        raise CredentialUnavailable("the badge has no status-list index yet")
    title = signable(snap["badge_title"])
    return ob3.BadgeFacts(
        credential_id=snap["verify_url"],
        achievement_id=achievement_id(badge),
        achievement_name=title,
        achievement_description=signable(snap.get("badge_description") or title),
        criteria_narrative=signable(
            snap.get("criteria") or f"Completed the course {snap['course_title']}."
        ),
        recipient_email=recipient_email.strip().lower(),
        recipient_salt=badge.recipient_salt,
        recipient_name=signable(snap["recipient_name"]),
        valid_from=badge.created_at,
        valid_until=badge.expires_at,
        achievement_version=achievement_version(snap),
        score_percent=snap.get("score_percent"),
        credential_status=status_list.status_entry(
            settings.SITE_URL, status_list.CREDENTIAL_STATUS_PURPOSE, badge.status_index
        ),
        language=language_tag(snap.get("language") or LEGACY_LANGUAGE),
    )


def sign_badge_credential(badge: Badge, *, recipient_email: str) -> dict:
    """The badge's OpenBadgeCredential, signed with the active key. No database writes."""
    loaded = issuer_keys()
    unsigned = ob3.build_credential(
        badge_facts(badge, recipient_email=recipient_email),
        ob3.Issuer(
            did=loaded.did,
            name=signable(badge.snapshot.get("issuer_name") or conf.CREDENCE_ISSUER_NAME),
            url=settings.SITE_URL,
        ),
    )
    return ob3.sign_credential(unsigned, loaded.ring.active)


def credential_bytes(credential: dict) -> bytes:
    """The credential as served and attached to the PDF (UTF-8, readable indentation)."""
    return json.dumps(credential, ensure_ascii=False, indent=2).encode("utf-8")


def credential_digest(credential: dict) -> str:
    """sha256 of a key-order-independent JSON form: what a stored verification result is for."""
    return hashlib.sha256(
        json.dumps(credential, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8"
        )
    ).hexdigest()


@dataclass(frozen=True)
class SignedCredential:
    credential: dict
    key_id: str
    digest: str
    verified_at: datetime

    def row_fields(self) -> dict:
        return {
            "credential": self.credential,
            "signing_key_id": self.key_id,
            "credential_sha256": self.digest,
            "credential_verified_at": self.verified_at,
        }


def sign_and_check(badge: Badge, *, recipient_email: str) -> SignedCredential:
    """Sign the badge's credential and verify the proof at once with our own verifier, so
    what we store is known to verify (public lookups then compare hashes, not signatures)."""
    credential = sign_badge_credential(badge, recipient_email=recipient_email)
    loaded = issuer_keys()
    results = ob3.verify_credential(credential, did_document=loaded.did_document, status_lists={})
    failed = [r for r in results if r.name in ("proof", "issuer_key") and not r.ok]
    if failed:
        raise CredentialUnavailable(f"a freshly signed credential does not verify: {failed}")
    return SignedCredential(
        credential=credential,
        key_id=ob3.signing_key_id(credential) or "",
        digest=credential_digest(credential),
        verified_at=timezone.now(),
    )


def recipient_email_of(badge: Badge) -> str:
    email = getattr(badge.recipient, "email", None) if badge.recipient_id else None
    if not email:
        raise CredentialUnavailable("the badge's recipient account no longer exists")
    return email
