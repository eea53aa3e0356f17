"""Celery tasks for badges. They take ids, re-fetch, and call the services; retries live here."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from certificates.issuing import issuance, publishing

logger = logging.getLogger("credence.badges")


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
    soft_time_limit=90,
    time_limit=120,
)
def render_badge_task(self, badge_id: int) -> str:
    """Render and issue one badge. Safe to deliver any number of times."""
    try:
        return publishing.render_and_publish(badge_id).result
    except publishing.LeaseHeld as held:
        # Another delivery is rendering it; look again once that lease would have run out.
        raise self.retry(countdown=max(5, int(held.seconds_left) + 1), max_retries=20) from None
    except SoftTimeLimitExceeded:
        logger.error("badge %s render exceeded its time limit", badge_id)
        if publishing.has_given_up(badge_id):
            return "gave-up"
        raise self.retry(countdown=30) from None
    except Exception as exc:
        logger.exception("badge %s render failed (attempt %s)", badge_id, self.request.retries + 1)
        if publishing.has_given_up(badge_id):
            return "gave-up"  # publishing logged the alert; staff retry from the admin
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc


@shared_task(acks_late=True, soft_time_limit=90, time_limit=120)
def rerender_badge_task(badge_id: int) -> bool:
    return publishing.rerender_issued(badge_id)


@shared_task(acks_late=True)
def issue_badges_for_past_completions_task(course_id: int, by_user_id: int | None = None) -> int:
    """Issue the badges of fellows who completed a course before it had a design. Safe to
    deliver any number of times: a second run finds every fellow served and issues none."""
    from django.contrib.auth import get_user_model

    from courses.models import CoursePage

    course = CoursePage.objects.filter(pk=course_id).first()
    if course is None:
        return 0
    by = get_user_model().objects.filter(pk=by_user_id).first() if by_user_id else None
    return issuance.issue_badges_for_past_completions(course, by=by)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=600)
def run_bulk_badge_job_task(job_pk: int) -> str:
    """Apply a confirmed bulk award or revoke, all or nothing (certificates.staff.bulk).
    Safe to deliver twice: the second delivery finds the job claimed or finished."""
    from certificates.staff import bulk

    return bulk.run_job(job_pk)


@shared_task(acks_late=True, soft_time_limit=90, time_limit=120, max_retries=5)
def resign_badge_task(badge_id: int, compromised_key_id: str) -> bool:
    """Re-sign (and re-render) a badge whose key was marked compromised. Safe to run twice."""
    return publishing.resign_badge(badge_id, compromised_key_id)


@shared_task(acks_late=True)
def badge_status_changed_task(badge_id: int, notify: str | None = None) -> None:
    """After revoke/suspend/reinstate/supersede: refresh public status, notify the fellow."""
    from certificates.issuing import status_publishing

    status_publishing.publish_status_change(badge_id)
    if notify == "revoked":
        publishing.send_revoked_email_once(badge_id)


@shared_task
def sweep_stuck_badges_task() -> int:
    issuance.sweep_withdrawn_badge_files()
    return issuance.sweep_stuck_badges()


@shared_task
def send_expiry_reminders_task() -> int:
    return publishing.send_expiry_reminders()


@shared_task
def renewal_job_task() -> dict:
    """Beat: mark badges whose renewal deadline passed out of date, send renewal e-mails.
    Idempotent (certificates.issuing.renewal)."""
    from certificates.issuing import renewal

    return renewal.run_renewal_job()


@shared_task
def send_renewal_emails_task() -> dict:
    """Queued when a course version asks for renewal: tell its fellows now, not at the
    next beat."""
    from certificates.issuing import renewal

    return renewal.send_renewal_emails()


@shared_task(acks_late=True)
def remind_due_renewals_task(course_id: int, by_user_id: int | None = None) -> int:
    """ "Remind everyone due" for a large course (certificates.staff.renewals). Safe to
    deliver twice: fellows reminded within the hour are skipped. Returns how many were
    reminded."""
    from django.contrib.auth import get_user_model

    from certificates.staff import renewals
    from courses.models import CoursePage

    course = CoursePage.objects.filter(pk=course_id).first()
    if course is None:
        return 0
    by = get_user_model().objects.filter(pk=by_user_id).first() if by_user_id else None
    tally = renewals.remind_everyone_due(course, by=by)
    logger.info(
        "course %s: %d renewal reminders sent, %d reminded recently, %d not sent",
        course_id,
        tally.sent,
        tally.recent,
        tally.not_sent,
    )
    return tally.sent


@shared_task(ignore_result=False)
def ping_task() -> str:
    """Does nothing: a broker-and-worker round trip for health checks and benchmark floors."""
    return "pong"
