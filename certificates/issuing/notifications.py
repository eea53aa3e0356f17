"""E-mails to fellows about their badges, through Django's configured e-mail backend."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string

from certificates.models import Badge

logger = logging.getLogger("credence.badges")

SUBJECTS = {
    "issued": "Your badge is ready: {title}",
    "revoked": "Your badge has been revoked: {title}",
    "expiring": "Your badge expires soon: {title}",
}


def send_badge_email(badge: Badge, kind: str) -> bool:
    """Send one e-mail of `kind` about `badge`. Returns False (and logs) on failure;
    callers claim the send first, so a failure is not retried into a duplicate."""
    recipient = badge.recipient
    if recipient is None or not recipient.email:
        return False
    context = {"badge": badge, "snapshot": badge.snapshot, "kind": kind}
    # Subjects are single-line: a title cannot inject headers.
    title = " ".join(str(badge.snapshot.get("badge_title", "")).split())[:150]
    try:
        send_mail(
            SUBJECTS[kind].format(title=title),
            render_to_string(f"certificates/email/badge_{kind}.txt", context),
            None,
            [recipient.email],
        )
    except Exception:  # noqa: BLE001 - an SMTP failure must not undo an issued badge
        logger.exception("could not e-mail badge %s (%s)", badge.public_id, kind)
        return False
    return True
