"""The issuer's Ed25519 key ring, its did:web identifier and its DID document.

The ring is a JSON file named by `settings.CREDENCE_ISSUER_KEYS_FILE`, kept out of the
database and the repository, written only by `manage.py issuer_keys`. Each key is
`active` (signs new badges; exactly one), `retired` (signs nothing, still published so
old badges keep verifying) or `compromised`.

A compromised key stays under `verificationMethod` with a `revoked` timestamp (the W3C
Controlled Identifiers `revoked` property) and is removed from `assertionMethod`, so any
verifier that checks the proof purpose (ours, DCC's) rejects every badge it signed; its
badges must be re-issued with the active key. Keys never get `expires`: did:web has no
history, so an expiry would invalidate every old badge the moment it passed.
"""

import json
import os
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .data_integrity import (
    multikey_to_private_key,
    private_key_to_multikey,
    public_key_to_multikey,
)

KeyStatus = Literal["active", "retired", "compromised"]
DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
_FORMAT_VERSION = 1


class KeyRingError(RuntimeError):
    """The key ring is missing, unreadable or inconsistent."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_did(site_url: str) -> str:
    """`did:web:<host>` for SITE_URL; a port is percent-encoded (`:` -> `%3A`) and a path
    becomes colon-separated segments, as the did:web method requires."""
    parts = urlsplit(site_url)
    if not parts.hostname:
        raise KeyRingError(f"SITE_URL has no host: {site_url!r}")
    host = parts.hostname.lower() + (f"%3A{parts.port}" if parts.port else "")
    segments = [quote(segment, safe="") for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", host, *segments])


@dataclass(frozen=True)
class IssuerKey:
    key_id: str
    private_key: Ed25519PrivateKey
    created_at: str
    status: KeyStatus
    compromised_at: str | None = None

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def public_key_multibase(self) -> str:
        return public_key_to_multikey(self.public_key)

    def verification_method(self, did: str) -> str:
        return f"{did}#{self.key_id}"


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[IssuerKey, ...]

    @property
    def active(self) -> IssuerKey:
        active = [key for key in self.keys if key.status == "active"]
        if len(active) != 1:
            raise KeyRingError(f"the key ring needs exactly one active key, has {len(active)}")
        return active[0]

    def get(self, key_id: str) -> IssuerKey:
        for key in self.keys:
            if key.key_id == key_id:
                return key
        raise KeyRingError(f"no issuer key {key_id!r}")


def new_key(status: KeyStatus = "active") -> IssuerKey:
    created = _now()
    key_id = f"key-{created[:10].replace('-', '')}-{secrets.token_hex(4)}"
    return IssuerKey(key_id, Ed25519PrivateKey.generate(), created, status)


def create_key_ring() -> KeyRing:
    return KeyRing((new_key(),))


def rotate(ring: KeyRing) -> tuple[KeyRing, IssuerKey]:
    """Retire the active key (still published) and add a new active one."""
    old = ring.active
    fresh = new_key()
    keys = tuple(replace(key, status="retired") if key is old else key for key in ring.keys)
    return KeyRing((*keys, fresh)), fresh


def mark_compromised(ring: KeyRing, key_id: str) -> tuple[KeyRing, IssuerKey | None]:
    """Mark `key_id` compromised; if it was the active key, a new active key replaces it.

    Returns the new ring and the replacement key (None when the active key is unchanged).
    """
    target = ring.get(key_id)
    if target.status == "compromised":
        return ring, None
    keys = tuple(
        replace(key, status="compromised", compromised_at=_now()) if key is target else key
        for key in ring.keys
    )
    if target.status != "active":
        return KeyRing(keys), None
    fresh = new_key()
    return KeyRing((*keys, fresh)), fresh


# --- storage -------------------------------------------------------------------


def dumps_key_ring(ring: KeyRing) -> str:
    entries = []
    for key in ring.keys:
        entry = {
            "id": key.key_id,
            "created_at": key.created_at,
            "status": key.status,
            "public_key_multibase": key.public_key_multibase,
            "secret_key_multibase": private_key_to_multikey(key.private_key),
        }
        if key.compromised_at:
            entry["compromised_at"] = key.compromised_at
        entries.append(entry)
    return json.dumps({"version": _FORMAT_VERSION, "keys": entries}, indent=2) + "\n"


def loads_key_ring(text: str) -> KeyRing:
    try:
        data = json.loads(text)
        keys = tuple(
            IssuerKey(
                key_id=entry["id"],
                private_key=multikey_to_private_key(entry["secret_key_multibase"]),
                created_at=entry["created_at"],
                status=entry["status"],
                compromised_at=entry.get("compromised_at"),
            )
            for entry in data["keys"]
        )
    except (ValueError, KeyError, TypeError) as error:
        raise KeyRingError(f"the issuer key file is not a valid key ring: {error}") from error
    if any(key.status not in ("active", "retired", "compromised") for key in keys):
        raise KeyRingError("unknown key status in the issuer key file")
    ring = KeyRing(keys)
    ring.active  # noqa: B018 - validates that exactly one key signs
    return ring


def load_key_ring(path: str | os.PathLike) -> KeyRing:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise KeyRingError(
            f"no issuer key file at {path}: run `manage.py issuer_keys create`"
        ) from error
    return loads_key_ring(text)


def save_key_ring(ring: KeyRing, path: str | os.PathLike) -> None:
    """Write atomically with mode 0600: a crash leaves the old ring, and only we read it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".issuer-keys-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(dumps_key_ring(ring))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- DID document -------------------------------------------------------------


def did_document(keys: Iterable[IssuerKey], did: str) -> dict:
    """The DID document served at `/.well-known/did.json`.

    Every key is published so old badges keep verifying; only non-compromised keys are
    listed in `assertionMethod` (see the module docstring).
    """
    keys = list(keys)
    methods = []
    for key in keys:
        method = {
            "id": key.verification_method(did),
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
        }
        if key.status == "compromised":
            method["revoked"] = key.compromised_at or key.created_at
        methods.append(method)
    return {
        "@context": DID_CONTEXTS,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [
            key.verification_method(did) for key in keys if key.status != "compromised"
        ],
    }
