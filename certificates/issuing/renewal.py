"""Renewal: what a new course version that asks for it does to the badges of earlier ones.

- `open_renewals` (called through `version_published` by courses.versions.publish_version,
  in its transaction) gives
  every current badge of an earlier version a deadline (`Badge.renew_by`: the version's
  publication plus its window; an earlier deadline still running is kept) and queues the
  "the course changed" e-mail.
- `mark_out_of_date` (Celery beat, and `manage.py mark_out_of_date`) turns issued badges
  whose deadline has passed *out of date*, a batch at a time: one UPDATE per batch marks
  the badges and returns their status indexes, whose suspension bits are then set in one
  re-signing of the list (decision 0004: the entry our credentials name), so outside
  verifiers see it too. Running it twice, or twice at once, changes nothing more.
- A renewal is a completion of the course's new edition: `issuance.request_badge_for_
  completion` then supersedes the old badge with one for the current version. The old
  badge is never edited back to good standing: it says it was superseded and links on.
- `extend_deadline` (the course team, audited) moves one badge's deadline; an out-of-date
  badge whose deadline moves into the future is issued again.
- E-mails go through `notifications.send_badge_email`, each claimed once per badge by a
  conditional UPDATE: the change (`renewal_notice`), a week before the deadline
  (`renewal_reminder`), and the deadline passing (`out_of_date`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from certificates import lifecycle
from certificates.models import Badge

logger = logging.getLogger("credence.badges")

BATCH_SIZE = 2000
REMINDER_BEFORE = timedelta(days=7)
# Badges that can be asked to renew: the fellow's current badge for the course.
DUE_STATES = (
    Badge.State.PENDING,
    Badge.State.RENDERING,
    Badge.State.ISSUED,
    Badge.State.SUSPENDED,
)


class RenewalError(Exception):
    """A deadline cannot be changed as asked; the message says why."""


def record_baseline(course, baseline) -> int:
    """Badges issued before the course's first recorded version certify its baseline."""
    return Badge.objects.filter(course=course, course_version__isnull=True).update(
        course_version=baseline
    )


def deadline_for(version) -> datetime | None:
    """The renewal deadline of a badge certifying `version`: the earliest among the later
    versions of its course that ask for renewal (as `open_renewals` keeps the earlier
    one); None when none does."""
    from courses.models import CourseVersion
    from courses.versions import renewal_deadline

    deadlines = [
        renewal_deadline(later)
        for later in CourseVersion.objects.filter(
            course_id=version.course_id,
            sequence__gt=version.sequence,
            renewal_days__isnull=False,
        )
    ]
    return min(deadlines, default=None)


def version_published(version) -> None:
    """What a new version of a course changes for its badges, in the version's transaction:
    every badge page of the course names the current version, so cached pages go stale;
    with a renewal window, `open_renewals`."""
    from certificates.public import status_version

    status_version.note_change()
    if version.requires_renewal:
        open_renewals(version)


def open_renewals(version) -> int:
    """Ask the holders of `version`'s course's earlier-version badges to renew by its
    deadline. Must run in the version's transaction, through `version_published`, which
    moves the status version for it. Returns how many badges are due."""
    from courses.versions import renewal_deadline

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("open_renewals must run in the version's transaction")
    deadline = renewal_deadline(version)
    earlier = Badge.objects.filter(
        course_id=version.course_id,
        state__in=DUE_STATES,
        course_version__sequence__lt=version.sequence,
    )
    earlier.filter(renew_by__isnull=True).update(renew_by=deadline)
    # Everyone due hears about the new version, including those whose earlier deadline
    # still runs: it may change more modules.
    due = earlier.update(renewal_notice_sent_at=None)
    transaction.on_commit(lambda: _queue("send_renewal_emails_task"))
    logger.info(
        "course %s version %s: %d badges asked to renew by %s",
        version.course_id,
        version.number,
        due,
        deadline.date(),
    )
    return due


# --- the deadline passing --------------------------------------------------------------

_MARK_SQL = """
UPDATE {badge} SET state = %s, out_of_date_at = renew_by
WHERE id IN (
    SELECT id FROM {badge}
    WHERE state = %s AND renew_by IS NOT NULL AND renew_by <= %s
    ORDER BY renew_by LIMIT %s
) AND state = %s
RETURNING status_index
"""


@dataclass(frozen=True)
class MarkResult:
    marked: int
    batches: int


def mark_out_of_date(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> MarkResult:
    """Mark every issued badge whose renewal deadline has passed out of date, from the
    deadline, earliest deadlines first (the order of the partial index on `renew_by`, so
    no batch walks past the rows earlier batches marked). Idempotent and safe to run
    concurrently: the UPDATE re-checks the state of each row it takes (a row another run
    marked is skipped), and the status list's row lock orders the two runs' bits. Each
    batch commits on its own, so an interruption keeps what was done and the next run
    carries on."""
    from certificates.public import status_version

    now = now or timezone.now()
    sql = _MARK_SQL.format(badge=connection.ops.quote_name(Badge._meta.db_table))
    issued, out_of_date = Badge.State.ISSUED.value, Badge.State.OUT_OF_DATE.value
    marked = batches = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [out_of_date, issued, now, batch_size, issued])
                indexes = [row[0] for row in cursor.fetchall()]
            if not indexes:
                break
            batches += 1
            marked += len(indexes)
            _set_bits(
                [i for i in indexes if i is not None],
                lifecycle.bits_changed(lifecycle.VALID, lifecycle.OUT_OF_DATE),
            )
            status_version.note_change()
        if len(indexes) < batch_size:
            break
    if marked:
        logger.info("marked %d badges out of date in %d batches", marked, batches)
    return MarkResult(marked, batches)


def _set_bits(indexes: list[int], bits: dict[str, bool]) -> None:
    from certificates.issuing import status_publishing

    if indexes:
        for purpose, value in bits.items():
            status_publishing.set_status_bits(indexes, purpose, value)


# --- the course team -----------------------------------------------------------------


def extend_deadline(badge: Badge, *, until: datetime, reason: str, by=None) -> Badge:
    """Give one fellow until `until` to renew (audited). An out-of-date badge becomes
    issued again, its suspension bit cleared; the reminder and deadline e-mails will be
    sent again for the new date."""
    from certificates.issuing.issuance import _after_status_change, _log_change
    from certificates.issuing.issuance import _set_status_bits as set_bits

    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise RenewalError("Give a reason: it is kept in the audit log.")
    if until <= timezone.now():
        raise RenewalError("The new deadline must be in the future.")
    with transaction.atomic():
        locked = Badge.objects.select_for_update().get(pk=badge.pk)
        if locked.renew_by is None:
            raise RenewalError("This badge has no renewal deadline.")
        if locked.state not in (*DUE_STATES, Badge.State.OUT_OF_DATE):
            raise RenewalError("Only a current badge's deadline can be extended.")
        if until <= locked.renew_by:
            raise RenewalError("The new deadline must be later than the current one.")
        previous = locked.renew_by
        locked.renew_by = until
        locked.renewal_reminder_sent_at = None
        locked.out_of_date_email_sent_at = None
        fields = ["renew_by", "renewal_reminder_sent_at", "out_of_date_email_sent_at"]
        restored = locked.state == Badge.State.OUT_OF_DATE
        if restored:
            locked.state = Badge.State.ISSUED
            locked.out_of_date_at = None
            fields += ["state", "out_of_date_at"]
        locked.save(update_fields=fields)
        if restored:
            set_bits(locked, **lifecycle.bits_changed(lifecycle.OUT_OF_DATE, lifecycle.VALID))
            transaction.on_commit(lambda: _after_status_change(locked.pk))
        else:
            # The badge's page shows the deadline: cached copies must not keep the old one.
            from certificates.public import status_version

            status_version.note_change()
        _log_change(
            locked,
            "extend_renewal",
            by,
            previous=previous.isoformat(),
            until=until.isoformat(),
            reason=reason,
        )
    return locked


def remind(badge: Badge, *, by=None) -> bool:
    """Send the fellow a renewal reminder now (audited). False when the badge is not due
    or the e-mail could not be sent."""
    from certificates.issuing.issuance import _log_change
    from certificates.issuing.notifications import send_badge_email

    fresh = Badge.objects.select_related("recipient").filter(pk=badge.pk).first()
    if (
        fresh is None
        or fresh.renew_by is None
        or fresh.state
        not in (
            *DUE_STATES,
            Badge.State.OUT_OF_DATE,
        )
    ):
        return False
    sent = send_badge_email(fresh, "renewal_reminder")
    if sent:
        _log_change(fresh, "renewal_reminder", by)
    return sent


# --- e-mails -------------------------------------------------------------------------


def _send_claimed(query, field: str, kind: str) -> int:
    from certificates.issuing.notifications import send_badge_email
    from certificates.issuing.publishing import _claim_email

    sent = 0
    for badge_id in list(query.values_list("pk", flat=True)):
        badge = _claim_email(badge_id, field)
        if badge is not None:  # None: another run sent it
            sent += send_badge_email(badge, kind)
    return sent


def send_renewal_emails(*, now: datetime | None = None) -> dict[str, int]:
    """Send every renewal e-mail that is due and not yet sent, once per badge."""
    now = now or timezone.now()
    due = Badge.objects.filter(renew_by__isnull=False)
    return {
        "renewal_notice": _send_claimed(
            due.filter(state__in=DUE_STATES, renewal_notice_sent_at__isnull=True),
            "renewal_notice_sent_at",
            "renewal_notice",
        ),
        "renewal_reminder": _send_claimed(
            due.filter(
                Q(renew_by__gt=now) & Q(renew_by__lte=now + REMINDER_BEFORE),
                state=Badge.State.ISSUED,
                renewal_reminder_sent_at__isnull=True,
            ),
            "renewal_reminder_sent_at",
            "renewal_reminder",
        ),
        "out_of_date": _send_claimed(
            due.filter(state=Badge.State.OUT_OF_DATE, out_of_date_email_sent_at__isnull=True),
            "out_of_date_email_sent_at",
            "out_of_date",
        ),
    }


def run_renewal_job(*, now: datetime | None = None) -> dict[str, int]:
    """The beat job: mark what is out of date, then send what is due."""
    result = mark_out_of_date(now=now)
    return {"marked_out_of_date": result.marked, **send_renewal_emails(now=now)}


def _queue(task_name: str) -> None:
    from certificates import tasks

    try:
        getattr(tasks, task_name).apply_async(retry=False)
    except Exception as exc:  # noqa: BLE001 - the beat job sends what is left
        logger.warning("could not queue %s (%s); the beat job will", task_name, exc)
