"""BadgeSnapshot: the frozen, validated facts printed on one badge PDF, with a JSON round trip."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

from certificates.languages import LEGACY_LANGUAGE

PageSize = Literal["A4", "Letter"]
PAGE_SIZES: tuple[str, ...] = ("A4", "Letter")
_ACCENT_RE = re.compile(r"#[0-9A-Fa-f]{6}")
# Storage names are relative paths inside default_storage; anything that looks like a URL,
# an absolute path or a parent reference is refused here as well as in the URL fetcher.
_STORAGE_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./ -]{0,254}")
_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_DATE_FIELDS = ("issued_on", "expires_on")


class SnapshotError(ValueError):
    """A snapshot field has a value the renderer must not print."""


@dataclass(frozen=True, slots=True)
class BadgeSnapshot:
    """Everything printed on a badge, frozen at issuance so a re-render prints the same.

    Text fields are data: the renderer escapes them and never compiles them as templates.
    recipient_name is kept exactly as the fellow wrote it (any script, any characters).
    """

    public_id: str
    recipient_name: str
    course_title: str
    badge_title: str
    issued_on: date
    verify_url: str
    issuer_name: str
    badge_description: str = ""
    criteria: str = ""
    score_percent: int | None = None
    expires_on: date | None = None
    signatory_name: str = ""
    signatory_title: str = ""
    signature_image_path: str | None = None
    artwork_path: str | None = None
    accent_color: str = "#1F4E79"
    page_size: PageSize = "A4"
    template_version: int = 1
    course_version: str = ""
    # BCP 47 tag of the wording (not of the name, which may be in any script).
    language: str = LEGACY_LANGUAGE
    # The guideline version certified (courses.versions), as its authors named it, and its
    # place in the course's order; None: the course had no recorded version.
    version_number: str | None = None
    version_sequence: int | None = None

    def __post_init__(self) -> None:
        for name in ("public_id", "recipient_name", "course_title", "badge_title", "issuer_name"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise SnapshotError(f"{name} must be a non-empty string")
        for name in (
            "badge_description",
            "criteria",
            "signatory_name",
            "signatory_title",
            "course_version",
        ):
            if not isinstance(getattr(self, name), str):
                raise SnapshotError(f"{name} must be a string")
        if not isinstance(self.issued_on, date):
            raise SnapshotError("issued_on must be a date")
        if self.expires_on is not None:
            if not isinstance(self.expires_on, date):
                raise SnapshotError("expires_on must be a date or None")
            if self.expires_on < self.issued_on:
                raise SnapshotError("expires_on is before issued_on")
        if self.score_percent is not None and (
            isinstance(self.score_percent, bool)
            or not isinstance(self.score_percent, int)
            or not 0 <= self.score_percent <= 100
        ):
            raise SnapshotError("score_percent must be an integer from 0 to 100, or None")
        if not isinstance(self.accent_color, str) or not _ACCENT_RE.fullmatch(self.accent_color):
            raise SnapshotError("accent_color must look like #RRGGBB")
        if self.page_size not in PAGE_SIZES:
            raise SnapshotError(f"page_size must be one of {', '.join(PAGE_SIZES)}")
        parsed = urlsplit(self.verify_url) if isinstance(self.verify_url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise SnapshotError("verify_url must be an absolute http(s) URL")
        for name in ("signature_image_path", "artwork_path"):
            value = getattr(self, name)
            if value is not None and not is_safe_storage_name(value):
                raise SnapshotError(f"{name} must be a relative storage name")
        if not isinstance(self.template_version, int) or isinstance(self.template_version, bool):
            raise SnapshotError("template_version must be an integer")
        if not isinstance(self.language, str) or not _LANGUAGE_RE.fullmatch(self.language):
            raise SnapshotError("language must be a BCP 47 tag")
        if self.version_number is not None and (
            not isinstance(self.version_number, str) or not self.version_number.strip()
        ):
            raise SnapshotError("version_number must be a non-empty string or None")
        if self.version_sequence is not None and (
            isinstance(self.version_sequence, bool)
            or not isinstance(self.version_sequence, int)
            or self.version_sequence < 1
        ):
            raise SnapshotError("version_sequence must be a positive integer or None")

    @property
    def storage_names(self) -> frozenset[str]:
        """The admin-uploaded files this badge may print, and so the only ones a render reads."""
        return frozenset(n for n in (self.artwork_path, self.signature_image_path) if n)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (dates as ISO strings); from_dict() turns it back into an equal one."""
        data = dataclasses.asdict(self)
        for name in _DATE_FIELDS:
            if data[name] is not None:
                data[name] = data[name].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BadgeSnapshot:
        """Rebuild a snapshot stored with to_dict(); unknown keys are an error, not ignored."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise SnapshotError(f"unknown snapshot fields: {', '.join(sorted(unknown))}")
        values = dict(data)
        for name in _DATE_FIELDS:
            if isinstance(values.get(name), str):
                try:
                    values[name] = date.fromisoformat(values[name])
                except ValueError as exc:
                    raise SnapshotError(f"{name} is not an ISO date") from exc
        try:
            return cls(**values)
        except TypeError as exc:  # a required field is missing
            raise SnapshotError(str(exc)) from exc


def is_safe_storage_name(name: str) -> bool:
    """True for a plain relative storage name: no scheme, no absolute path, no '..' segment."""
    if not isinstance(name, str) or not _STORAGE_NAME_RE.fullmatch(name):
        return False
    return ".." not in name.split("/") and "//" not in name
