"""The course team's renewal screens, read and sent: how many fellows each course version
certifies, who is due to renew, and reminding them (certificates.issuing.renewal sends
and audits each reminder; this module chooses whom, and when to leave the rest to a task).

A fellow reminded less than REMIND_AGAIN_AFTER ago is not reminded again, by hand or by
"Remind everyone due": a double-clicked button, a page submitted twice or a task
delivered twice sends one e-mail. When they were last reminded is the later of the
automatic reminder (`Badge.renewal_reminder_sent_at`) and the latest reminder in the
badge's history (the course team's, which `renewal.remind` records only there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates.issuing import renewal
from certificates.models import Badge

PERMISSION = "certificates.manage_renewals"
REMINDER_LOG_ACTION = "credence.badge.renewal_reminder"
REMIND_AGAIN_AFTER = timedelta(hours=1)
# "Remind everyone due" sends this many in the request; more go to a Celery task, so the
# page answers at once whatever the course's size.
REMIND_IN_REQUEST_MAX = 25
# Badges the due list shows and "Remind everyone due" reminds (renewal.remind's rule).
LISTED_STATES = (*renewal.DUE_STATES, Badge.State.OUT_OF_DATE)


def may_manage_renewals(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(PERMISSION))


# --- reads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionHolders:
    """Badges of one course version: `current` (held now: being prepared, issued or
    suspended), of which `due` must renew, and `out_of_date`."""

    current: int = 0
    due: int = 0
    out_of_date: int = 0


def holders_per_version(course) -> dict[int | None, VersionHolders]:
    """{course_version_id: VersionHolders} for `course`'s badges, in one query. The key
    None holds badges issued before the course recorded any version."""
    current = Q(state__in=renewal.DUE_STATES)
    rows = (
        Badge.objects.filter(course=course)
        .values("course_version_id")
        .annotate(
            current=Count("pk", filter=current),
            due=Count("pk", filter=current & Q(renew_by__isnull=False)),
            out_of_date=Count("pk", filter=Q(state=Badge.State.OUT_OF_DATE)),
        )
        .order_by()
    )
    return {
        row["course_version_id"]: VersionHolders(row["current"], row["due"], row["out_of_date"])
        for row in rows
    }


def _latest_manual_reminder() -> Subquery:
    """When the course team last reminded the badge's holder, as an expression over the
    badge's row (ModelLogEntry keeps the object's id as text)."""
    entries = ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Badge),
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
        action=REMINDER_LOG_ACTION,
    ).order_by("-timestamp")
    return Subquery(entries.values("timestamp")[:1])


def due_badges(course) -> QuerySet[Badge]:
    """The course's badges with a renewal deadline that can still be renewed, soonest
    deadline first, each with `manual_reminder_at`; the columns the list shows are
    joined, so a page of them is one query."""
    return (
        Badge.objects.filter(course=course, renew_by__isnull=False, state__in=LISTED_STATES)
        .select_related("recipient", "course_version")
        .annotate(manual_reminder_at=_latest_manual_reminder())
        .order_by("renew_by", "pk")
    )


def last_reminded_at(badge: Badge) -> datetime | None:
    """The later of the automatic and the course team's latest reminder (a badge from
    due_badges(); another badge reads its history, one query)."""
    if not hasattr(badge, "manual_reminder_at"):
        badge.manual_reminder_at = (
            Badge.objects.filter(pk=badge.pk)
            .annotate(at=_latest_manual_reminder())
            .values_list("at", flat=True)
            .first()
        )
    moments = [m for m in (badge.renewal_reminder_sent_at, badge.manual_reminder_at) if m]
    return max(moments, default=None)


def reminded_recently(badge: Badge, now: datetime | None = None) -> bool:
    at = last_reminded_at(badge)
    return at is not None and at > (now or timezone.now()) - REMIND_AGAIN_AFTER


# --- reminders -----------------------------------------------------------------------

SENT, RECENT, NOT_SENT = "sent", "recent", "not_sent"


def remind_one(badge: Badge, *, by=None) -> str:
    """Remind the badge's holder to renew, unless they were reminded within the last
    REMIND_AGAIN_AFTER. Returns SENT, RECENT or NOT_SENT (not due any more, or the
    e-mail failed: renewal.remind logs why)."""
    if reminded_recently(badge):
        return RECENT
    return SENT if renewal.remind(badge, by=by) else NOT_SENT


@dataclass(frozen=True)
class ReminderTally:
    sent: int = 0
    recent: int = 0
    not_sent: int = 0
    queued: int = 0  # handed to a task: it counts them as it sends


def remind_everyone_due(course, *, by=None) -> ReminderTally:
    """Remind every fellow on the course's due list who was not reminded recently. Safe
    to run twice (the second run finds them reminded). Sends in this process: call it
    from a task for a large course (start_reminding_everyone_due decides)."""
    counts = {SENT: 0, RECENT: 0, NOT_SENT: 0}
    now = timezone.now()
    # Ids and moments only: renewal.remind fetches each badge it e-mails about.
    rows = list(
        due_badges(course)
        .select_related(None)
        .values_list("pk", "renewal_reminder_sent_at", "manual_reminder_at")
    )
    for pk, automatic_at, manual_at in rows:
        badge = Badge(pk=pk, renewal_reminder_sent_at=automatic_at)
        badge.manual_reminder_at = manual_at
        if reminded_recently(badge, now):
            counts[RECENT] += 1
        else:
            counts[SENT if renewal.remind(badge, by=by) else NOT_SENT] += 1
    return ReminderTally(sent=counts[SENT], recent=counts[RECENT], not_sent=counts[NOT_SENT])


class QueueUnavailable(Exception):
    """The reminders could not be handed to a worker; none was sent."""


def start_reminding_everyone_due(course, *, by=None) -> ReminderTally:
    """Remind everyone due: here for up to REMIND_IN_REQUEST_MAX fellows, otherwise in a
    Celery task (the tally then says how many were queued). Raises QueueUnavailable when
    the task cannot be queued."""
    waiting = due_badges(course).count()
    if waiting <= REMIND_IN_REQUEST_MAX:
        return remind_everyone_due(course, by=by)
    from certificates.tasks import remind_due_renewals_task

    try:
        remind_due_renewals_task.apply_async(args=[course.pk, getattr(by, "pk", None)], retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: nothing was sent
        raise QueueUnavailable(
            "The reminders could not be queued (is the task broker running?). None was"
            " sent; try again."
        ) from exc
    return ReminderTally(queued=waiting)
