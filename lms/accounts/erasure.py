"""Erasing a fellow's account at their request, with the personal data kept about them.

The account row goes, and with it (by cascade) enrolments, quiz attempts, module passes,
completions, accommodations, two-factor devices and backup codes. Their badges are
withdrawn: revoked, with the name, the signed credential and the PDFs erased
(certificates.issuing.issuance). What stays is an AccountErasure row with no personal
data, and django-axes' login records for the address are deleted, and the admin's history
of the account and of the accommodations granted to it loses the name, address and reason
it was labelled with. All of it happens in one transaction, or none of it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import AccountErasure, User

logger = logging.getLogger("credence.accounts")

ERASED_LABEL = "(erased account)"


class ErasureRefused(Exception):
    """The account cannot be erased this way; the message says why."""


class ErasureUnavailable(Exception):
    """The account could not be erased just now (nothing was changed); try again later."""


def why_not_erasable(user: User) -> str:
    """Why `user` cannot erase their own account, or "" when they can."""
    if user.is_course_team:
        # Staff accounts own pages, revisions and admin actions; another administrator
        # removes them in the Wagtail admin, where those records are handled.
        return _("Staff accounts are closed by another administrator, not from this page.")
    return ""


def erase_account(user: User) -> AccountErasure:
    """Erase `user` (see the module docstring); returns the record that remains.

    Raises ErasureRefused for staff, ErasureUnavailable when the badges' status lists
    cannot be re-signed (the issuer's keys are unreadable); either way nothing changed.
    """
    refusal = why_not_erasable(user)
    if refusal:
        raise ErasureRefused(refusal)
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry

    from certificates.issuing.issuance import IssuanceError, withdraw_badges_of
    from certificates.models import Badge
    from courses.models import Accommodation, ModulePass

    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            withdrawn = withdraw_badges_of(locked)
            for model in (AccessAttempt, AccessLog, AccessFailureLog):
                model.objects.filter(username__iexact=locked.email).delete()
            # The admin's history of this account (created, edited by staff) keeps what
            # happened and when, but not the name or address it was labelled with.
            ModelLogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(User), object_id=str(locked.pk)
            ).update(label=ERASED_LABEL, data={})
            # The same for the history of their badges (revoked, re-issued, ...), whose
            # entries are labelled with the badge title and the fellow's name.
            badge_ids = Badge.objects.filter(public_id__in=withdrawn).values_list("pk", flat=True)
            ModelLogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Badge),
                object_id__in=[str(pk) for pk in badge_ids],
            ).update(label=ERASED_LABEL, data={})
            # And of the accommodations granted to them: the reason may be personal
            # (health, family), and the rows themselves go with the account.
            accommodation_ids = Accommodation.objects.filter(user=locked).values_list(
                "pk", flat=True
            )
            ModelLogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Accommodation),
                object_id__in=[str(pk) for pk in accommodation_ids],
            ).update(label=ERASED_LABEL, data={})
            # A pass protects the attempt that earned it (grades are evidence), so the
            # cascade from the user cannot delete attempts before their passes.
            ModulePass.objects.filter(user=locked).delete()
            locked.delete()
            record = AccountErasure.objects.create(
                erased_at=timezone.now(), badges_withdrawn=len(withdrawn)
            )
    except IssuanceError as error:
        logger.error("account erasure failed, nothing changed: %s", error)
        raise ErasureUnavailable(str(error)) from error
    logger.info("account erased (record %s, %d badges withdrawn)", record.pk, len(withdrawn))
    return record
