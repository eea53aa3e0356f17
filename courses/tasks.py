"""Celery tasks for courses. They take ids, re-fetch, and call the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=5)
def notify_course_team_task(self, notice_id: int) -> bool:
    """E-mail the course team that a fellow is out of attempts. Safe to deliver twice:
    the notice is claimed before sending."""
    from courses.accommodations import send_team_notice

    try:
        return send_team_notice(notice_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc
