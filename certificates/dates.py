"""How badges write a day: the DATE_FORMAT of lms/formats, on the page, the PDF and in the admin."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import formats, timezone, translation


def badge_day(value: date | datetime | str | None, language: str | None = None) -> str:
    """'7 December 2026' in English; '' for no day. Accepts the ISO strings a badge's
    stored snapshot holds. `language` is the badge's wording language (the PDF's); the
    page and the admin use the active one."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    elif isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if language is None:
        return formats.date_format(value, "DATE_FORMAT")
    with translation.override(language):
        return formats.date_format(value, "DATE_FORMAT")
