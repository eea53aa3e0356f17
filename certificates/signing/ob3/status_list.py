"""W3C Bitstring Status Lists: one signed list credential per purpose (revocation, suspension).

Each badge gets one random index (from `secrets`) in the list of its purpose, so
neighbouring indexes say nothing about issue order. The list is at least 131,072 entries long, the
W3C herd-privacy minimum; it is gzip-compressed and multibase base64url (`u`) encoded.
Bit 0 is the most significant bit of the first byte, as the spec requires.
"""

import base64
import gzip
import secrets
from collections.abc import Collection
from datetime import datetime
from typing import Literal

from .data_integrity import xsd_datetime
from .document_loader import VC_V2

StatusPurpose = Literal["revocation", "suspension"]
STATUS_PURPOSES: tuple[StatusPurpose, ...] = ("revocation", "suspension")
MIN_ENTRIES = 131_072
# Suggested Cache-Control max-age for the served list, served with an ETag: a revocation
# reaches verifiers that honour HTTP caching within seconds, and asking again is a 304.
CACHE_MAX_AGE = 5


class StatusListError(ValueError):
    """Bad index, purpose or encoded list; or an attempt to undo a revocation."""


class StatusListFull(StatusListError):
    """No free index is left: start a larger list."""


class Bitstring:
    def __init__(self, length: int = MIN_ENTRIES, data: bytes | None = None) -> None:
        if length < MIN_ENTRIES or length % 8:
            raise StatusListError(f"a status list holds a multiple of 8 >= {MIN_ENTRIES} bits")
        self.length = length
        self._bytes = bytearray(data if data is not None else length // 8)
        if len(self._bytes) * 8 != length:
            raise StatusListError("data does not match the list length")

    def _locate(self, index: int) -> tuple[int, int]:
        if not isinstance(index, int) or not 0 <= index < self.length:
            raise StatusListError(f"status index {index!r} outside 0..{self.length - 1}")
        return index // 8, 0x80 >> (index % 8)

    def get(self, index: int) -> bool:
        byte, mask = self._locate(index)
        return bool(self._bytes[byte] & mask)

    def set(self, index: int, value: bool) -> None:
        byte, mask = self._locate(index)
        if value:
            self._bytes[byte] |= mask
        else:
            self._bytes[byte] &= ~mask & 0xFF

    def encode(self) -> str:
        # mtime=0 keeps the encoding a function of the bits alone.
        compressed = gzip.compress(bytes(self._bytes), mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, encoded: str) -> "Bitstring":
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            raise StatusListError("encodedList must be multibase base64url ('u')")
        body = encoded[1:]
        try:
            raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, OSError, EOFError) as error:
            raise StatusListError(f"encodedList does not decode: {error}") from error
        return cls(len(raw) * 8, raw)


def allocate_index(taken: Collection[int], length: int = MIN_ENTRIES) -> int:
    """A uniformly random index not in `taken` (the indexes already given to badges)."""
    free = length - len(taken)
    if free <= 0:
        raise StatusListFull("every status index is taken")
    if free < length // 2:
        # Rejection sampling slows down as the list fills; pick among the free ones instead.
        candidates = [index for index in range(length) if index not in taken]
        return candidates[secrets.randbelow(len(candidates))]
    while True:
        index = secrets.randbelow(length)
        if index not in taken:
            return index


def set_status(bits: Bitstring, index: int, purpose: StatusPurpose, value: bool) -> None:
    """Set or clear a badge's bit. A revocation is final: clearing one raises."""
    if purpose not in STATUS_PURPOSES:
        raise StatusListError(f"unknown status purpose {purpose!r}")
    if purpose == "revocation" and not value and bits.get(index):
        raise StatusListError("a revocation cannot be undone: issue a new badge instead")
    bits.set(index, value)


def status_list_url(site_url: str, purpose: StatusPurpose) -> str:
    if purpose not in STATUS_PURPOSES:
        raise StatusListError(f"unknown status purpose {purpose!r}")
    return f"{site_url.rstrip('/')}/status/{purpose}"


# The purpose of the one entry an issued credential carries. The OB 3.0 JSON Schema
# allows a single status object, and DCC-based verifiers read only the purposes
# revocation and suspension; a revocation entry could never show a suspension (its bit
# cannot be cleared), so credentials name the suspension list, whose bit is set while
# a badge is suspended and, for good, once it is revoked (docs/decisions/0004).
CREDENTIAL_STATUS_PURPOSE: StatusPurpose = "suspension"


def status_entry(site_url: str, purpose: StatusPurpose, index: int) -> dict:
    """The `credentialStatus` entry of a badge holding `index` in the `purpose` list."""
    url = status_list_url(site_url, purpose)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        # The spec makes the index a string of digits.
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def build_status_list_credential(
    *,
    site_url: str,
    issuer_did: str,
    purpose: StatusPurpose,
    bits: Bitstring,
    valid_from: datetime,
) -> dict:
    """The unsigned `BitstringStatusListCredential`; sign it with `credential.sign_credential`
    after every change."""
    url = status_list_url(site_url, purpose)
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": bits.encode(),
        },
    }
