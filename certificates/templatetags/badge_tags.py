"""Filters of the public badge pages: days, the verdict in plain words, technical facts."""

from django import template

from certificates.dates import badge_day as format_badge_day
from certificates.issuing.snapshot import is_safe_storage_name
from certificates.public import verification

register = template.Library()


@register.filter
def badge_day(value) -> str:
    """A day as badges write it everywhere (certificates.dates)."""
    try:
        return format_badge_day(value)
    except (TypeError, ValueError):
        return ""  # not a day: print nothing rather than fail the page


@register.filter
def in_plain_words(verdict) -> str:
    return verification.in_plain_words(verdict)


@register.filter
def technical_facts(badge) -> dict:
    """The technical facts of a badge's credential (none for no badge)."""
    return verification.technical_facts(getattr(badge, "credential", None))


@register.filter
def has_artwork(snapshot) -> bool:
    """Whether the badge froze artwork that views.badge_artwork can serve."""
    name = snapshot.get("artwork_path") if isinstance(snapshot, dict) else None
    return bool(name) and is_safe_storage_name(name)
