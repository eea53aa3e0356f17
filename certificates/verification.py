"""What a badge's public page says: look up a public id and decide its status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from certificates.models import PUBLIC_ID_RE, Badge


@dataclass(frozen=True)
class BadgeStatus:
    code: str  # valid, expired, revoked, suspended, superseded, preparing
    label: str
    is_valid: bool
    since: datetime | None = None
    detail: str = ""


def find_badge(public_id: str) -> Badge | None:
    """The badge with this public id, or None. Malformed ids cost no query."""
    if not isinstance(public_id, str) or not PUBLIC_ID_RE.match(public_id):
        return None
    return Badge.objects.select_related("superseded_by").filter(public_id=public_id).first()


def badge_status(badge: Badge, *, now: datetime | None = None) -> BadgeStatus:
    now = now or timezone.now()
    State = Badge.State
    if badge.state in Badge.PREPARING_STATES:
        return BadgeStatus(
            "preparing",
            "Being prepared",
            False,
            detail="This badge was earned and its certificate is being prepared.",
        )
    if badge.state == State.REVOKED:
        return BadgeStatus("revoked", "Revoked", False, badge.revoked_at, badge.revocation_reason)
    if badge.state == State.SUPERSEDED:
        return BadgeStatus(
            "superseded", "Superseded", False, detail="A newer badge replaces this one."
        )
    if badge.state == State.SUSPENDED:
        return BadgeStatus(
            "suspended",
            "Suspended",
            False,
            badge.suspended_at,
            "The issuer has suspended this badge for now.",
        )
    if badge.expires_at and badge.expires_at <= now:
        return BadgeStatus("expired", "Expired", False, badge.expires_at)
    return BadgeStatus("valid", "Valid", True, badge.issued_at)
