"""Verifying an uploaded badge file: a PDF carrying its signed credential, or that credential."""

from __future__ import annotations

import io
import json
import logging

from certificates.credentials import CREDENTIAL_FILENAME
from certificates.verification import Verdict, verify_presented_credential

logger = logging.getLogger("credence.badges")

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A signed badge credential is a few kilobytes; anything far bigger is not one of ours.
MAX_CREDENTIAL_BYTES = 256 * 1024


class UnreadableUpload(ValueError):
    """The file is not a badge PDF or credential we can read; the message says why."""


def credential_from_json(data: bytes) -> dict:
    if len(data) > MAX_CREDENTIAL_BYTES:
        raise UnreadableUpload("This JSON file is far too large to be a badge credential.")
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise UnreadableUpload("This file is not valid JSON.") from None
    if not isinstance(value, dict) or "OpenBadgeCredential" not in (value.get("type") or []):
        raise UnreadableUpload("This JSON is not an Open Badges 3.0 credential.")
    return value


def credential_from_pdf(data: bytes) -> dict:
    """The signed credential attached to a badge PDF (PDF/A-3 associated file)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        attachments = reader.attachments
        names = sorted(attachments)
        candidates = [attachments[name] for name in names if name == CREDENTIAL_FILENAME]
        candidates += [
            attachments[n] for n in names if n.endswith(".json") and n != CREDENTIAL_FILENAME
        ]
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for broken files
        logger.info("unreadable PDF upload: %r", exc)
        raise UnreadableUpload("This PDF could not be read: it is damaged or not a PDF.") from None
    for contents in candidates:
        for blob in contents:
            try:
                return credential_from_json(blob)
            except UnreadableUpload:
                continue
    raise UnreadableUpload(
        "This PDF carries no badge credential: it was not issued here, or it was re-saved "
        "by a program that dropped the credential."
    )


def looks_like_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def verify_upload(data: bytes) -> Verdict:
    """The verdict for an uploaded file. Raises UnreadableUpload for files we cannot read."""
    if not data:
        raise UnreadableUpload("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UnreadableUpload("The file is larger than 5 MB; a badge PDF is far smaller.")
    if looks_like_pdf(data):
        return verify_presented_credential(credential_from_pdf(data), pdf_bytes=data)
    return verify_presented_credential(credential_from_json(data))
