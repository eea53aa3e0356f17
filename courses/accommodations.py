"""Helping a fellow who is stuck on a quiz: telling the course team, granting accommodations.

`grant_accommodation` validates and records an accommodation (extra attempts, a reset
wait, extra time), marks the fellow's out-of-attempts notice resolved and writes the grant
to Wagtail's audit log, all in one transaction. Nothing is cached: `courses.services`
reads accommodations on every call, so the fellow can start a new attempt at once.

`send_team_notice` e-mails the course team once per `StuckNotice` (claimed before it is
sent, so two deliveries of the task send one e-mail).
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courses.forms import strip_bidi
from courses.models import Accommodation, ModulePage, ModulePass, QuizAttempt, StuckNotice
from courses.models.accommodations import (
    MAX_EXTRA_ATTEMPTS,
    MAX_EXTRA_MINUTES,
    REASON_MAX_LENGTH,
)

logger = logging.getLogger("credence.courses")

GRANT_PERMISSION = "courses.add_accommodation"
LOG_ACTION = "credence.accommodation.grant"


def may_grant(user) -> bool:
    """Superusers, and the course team (staff, or admin access) with the add-accommodation
    permission."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or (user.is_course_team and user.has_perm(GRANT_PERMISSION)))
    )


def clean_reason(text: str) -> str:
    """The reason as stored: bidi controls dropped, other control characters refused."""
    text = strip_bidi(text or "").strip()
    bad = [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\t"]
    if bad:
        raise ValidationError({"reason": "The reason contains control characters; type it again."})
    if not text:
        raise ValidationError({"reason": "Give a reason: it is kept in the audit log."})
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX_LENGTH} characters."})
    return text


def _whole_number(value, field: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: "Enter a whole number."})
    if value < 0:
        raise ValidationError({field: "Enter zero or more."})
    if value > maximum:
        raise ValidationError({field: f"At most {maximum}."})
    return value


def grant_accommodation(
    *,
    fellow,
    module: ModulePage,
    reason: str,
    by,
    extra_attempts: int = 0,
    reset_cooldown: bool = False,
    extra_minutes: int = 0,
    now: datetime | None = None,
) -> Accommodation:
    """Grant `fellow` an accommodation on `module`'s quiz and record it in the audit log.

    Raises PermissionDenied if `by` may not grant accommodations, and ValidationError
    (keyed by field) if the grant makes no sense for this quiz or this fellow; either way
    nothing is written. An open attempt within its time gets the extra minutes too.
    """
    if not may_grant(by):
        raise PermissionDenied("Only the course team may grant accommodations.")
    now = now or timezone.now()
    reason = clean_reason(reason)
    extra_attempts = _whole_number(extra_attempts, "extra_attempts", MAX_EXTRA_ATTEMPTS)
    extra_minutes = _whole_number(extra_minutes, "extra_minutes", MAX_EXTRA_MINUTES)
    reset_cooldown = bool(reset_cooldown)
    errors: dict[str, str] = {}
    if not module.has_quiz:
        raise ValidationError({NON_FIELD_ERRORS: "This module has no quiz."})
    if fellow.pk == by.pk:
        raise ValidationError(
            {NON_FIELD_ERRORS: "Another member of the course team must grant you one."}
        )
    if not (extra_attempts or reset_cooldown or extra_minutes):
        raise ValidationError(
            {NON_FIELD_ERRORS: "Choose at least one: extra attempts, a reset wait or extra time."}
        )
    if extra_attempts and not module.max_attempts:
        errors["extra_attempts"] = "This quiz already allows unlimited attempts."
    if reset_cooldown and not module.cooldown_minutes:
        errors["reset_cooldown"] = "This quiz has no wait between attempts."
    if extra_minutes and not module.time_limit_minutes:
        errors["extra_minutes"] = "This quiz has no time limit."
    if errors:
        raise ValidationError(errors)
    from courses.versions import module_edition

    if ModulePass.objects.filter(
        user=fellow, module=module, edition=module_edition(module)
    ).exists():
        raise ValidationError({NON_FIELD_ERRORS: "This fellow has already passed this quiz."})
    from wagtail.log_actions import log

    with transaction.atomic():
        accommodation = Accommodation.objects.create(
            user=fellow,
            module=module,
            extra_attempts=extra_attempts,
            reset_cooldown=reset_cooldown,
            extra_minutes=extra_minutes,
            reason=reason,
            granted_by=by,
            granted_at=now,
        )
        if extra_minutes:
            from courses.services import LATE_GRACE

            QuizAttempt.objects.filter(
                user=fellow,
                module=module,
                state=QuizAttempt.State.IN_PROGRESS,
                deadline__gte=now - LATE_GRACE,
            ).update(deadline=F("deadline") + timedelta(minutes=extra_minutes))
        StuckNotice.objects.filter(user=fellow, module=module, resolved_at__isnull=True).update(
            resolved_at=now
        )
        log(
            instance=accommodation,
            action=LOG_ACTION,
            user=by,
            data={
                "fellow_id": fellow.pk,
                "module_id": module.pk,
                "extra_attempts": extra_attempts,
                "reset_cooldown": reset_cooldown,
                "extra_minutes": extra_minutes,
                "reason": reason,
            },
        )
    return accommodation


# --- Telling the course team ------------------------------------------------------------


def grant_url(user_id: int, module_id: int) -> str:
    return reverse("courses_grant_accommodation", args=[user_id, module_id])


def course_team_emails(module: ModulePage) -> list[str]:
    """Who hears that a fellow is stuck: active staff who may grant accommodations (the
    Programme admin role, superusers), and the course's owner; `settings.MANAGERS` if
    there is nobody. Granting is what helps: a course author, who may edit the course
    but not grant, would only be able to pass the message on."""
    course = module.get_parent().specific_deferred
    grant = Permission.objects.filter(
        content_type__app_label="courses", codename="add_accommodation"
    )
    candidates = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True) | Q(user_permissions__in=grant) | Q(groups__permissions__in=grant)
        )
        .distinct()
    )
    # may_grant is the rule the grant form itself applies (the course team, with the
    # permission), so whoever is told can act on it.
    helpers = [user for user in candidates if may_grant(user)]
    emails = {u.email for u in helpers if u.email}
    owner = get_user_model().objects.filter(pk=course.owner_id, is_active=True, is_staff=True)
    emails.update(u.email for u in owner if u.email)
    if not emails:
        emails = {address for _name, address in getattr(settings, "MANAGERS", [])}
    return sorted(emails)


def send_team_notice(notice_id: int) -> bool:
    """E-mail the course team about one out-of-attempts notice, once. Returns whether this
    call sent it. A failure to send un-claims it and raises, so the task can retry."""
    claimed = StuckNotice.objects.filter(pk=notice_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return False
    notice = StuckNotice.objects.select_related("user", "module").get(pk=notice_id)
    module = notice.module.specific_deferred
    recipients = course_team_emails(module)
    if not recipients:
        logger.error(
            "fellow %s is out of attempts on module %s and nobody can be told: no course team"
            " member can grant accommodations and MANAGERS is empty",
            notice.user_id,
            module.pk,
        )
        StuckNotice.objects.filter(pk=notice_id).update(notified_at=None)
        return False
    course = module.get_parent()
    context = {
        "notice": notice,
        "fellow_name": " ".join(str(notice.user).split()),
        "fellow_email": notice.user.email,
        "module_title": module.title,
        "course_title": course.title,
        "grant_url": settings.SITE_URL + grant_url(notice.user_id, module.pk),
    }
    # One e-mail to the whole team, so in the site's language (the worker's thread may
    # have any other active).
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Out of attempts: %(fellow)s on %(module)s") % {
            "fellow": context["fellow_name"],
            "module": module.title,
        }
        body = render_to_string("courses/email/fellow_stuck.txt", context)
    # One line, and short: a title cannot inject headers or fill the subject.
    subject = " ".join(subject.split())
    try:
        send_mail(subject[:200], body, None, recipients)
    except Exception:
        StuckNotice.objects.filter(pk=notice_id).update(notified_at=None)
        raise
    return True


def enqueue_team_notice(notice_id: int) -> None:
    """Ask a worker to e-mail the course team; with no broker, send it in this process."""
    from courses.tasks import notify_course_team_task

    try:
        notify_course_team_task.apply_async(args=[notice_id], retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: send it ourselves
        logger.warning("could not queue the stuck notice %s (%s); sending now", notice_id, exc)
        try:
            send_team_notice(notice_id)
        except Exception:  # noqa: BLE001 - the fellow's page must not fail over an e-mail
            logger.exception("could not e-mail the course team about notice %s", notice_id)
