"""E-mails to fellows about their badges, through Django's configured e-mail backend."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from certificates.models import Badge

logger = logging.getLogger("credence.badges")

SUBJECTS = {
    "issued": _("Your badge is ready: %(title)s"),
    "revoked": _("Your badge has been revoked: %(title)s"),
    "expiring": _("Your badge expires soon: %(title)s"),
    "renewal_notice": _("The course has a new version: renew your badge %(title)s"),
    "renewal_reminder": _("Renew your badge soon: %(title)s"),
    "out_of_date": _("Your badge is out of date: %(title)s"),
}
# The e-mails of a renewal (certificates.issuing.renewal), which say what it asks.
RENEWAL_KINDS = frozenset({"renewal_notice", "renewal_reminder", "out_of_date"})


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
        # In the fellow's language, not whatever the worker's thread has active.
        with translation.override(recipient.preferred_language):
            if kind in RENEWAL_KINDS:
                context["renewal"] = _renewal_facts(badge, kind)
            subject = SUBJECTS[kind] % {"title": title}
            body = render_to_string(f"certificates/email/badge_{kind}.txt", context)
        # Writing the e-mail is inside the guard too: a batch of sends (the renewal job's)
        # goes on to the next fellow, and the failure is in the log with its badge.
        send_mail(subject, body, None, [recipient.email])
    except Exception:  # noqa: BLE001 - an SMTP failure must not undo an issued badge
        logger.exception("could not e-mail badge %s (%s)", badge.public_id, kind)
        return False
    return True


def _renewal_facts(badge: Badge, kind: str):
    """What the renewal asks (certificates.holdings.Renewal): the versions and their
    summaries, the changed modules titled and linked in the active language, the deadline,
    where to renew. None when it cannot be worked out: the send is already claimed, so
    the e-mail still goes, saying what the badge's own record says, rather than never."""
    from certificates.holdings import renewal_for_email

    try:
        return renewal_for_email(badge)
    except Exception:  # noqa: BLE001 - see the docstring
        logger.exception("could not work out the renewal of badge %s (%s)", badge.public_id, kind)
        return None
