"""Bulk re-render of a course's badges from the admin, and its progress page (eager Celery)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from certificates import tasks
from certificates.models import Badge
from certificates.staff.views import rerender_progress, start_rerender_job
from tests.support.staff import make_badge

pytestmark = pytest.mark.django_db

State = Badge.State


def url(name, *args):
    return reverse(f"badges:{name}", args=args)


def issued_with_pdf(design, **kwargs) -> Badge:
    badge = make_badge(design=design, **kwargs)
    name = default_storage.save(f"badges/{badge.public_id}/old.pdf", ContentFile(b"%PDF-old"))
    Badge.objects.filter(pk=badge.pk).update(pdf=name)
    badge.refresh_from_db()
    return badge


def test_bulk_rerender_queues_every_issued_badge_and_reaches_100(verified_staff_client, design):
    issued = [issued_with_pdf(design) for _ in range(3)]
    suspended = make_badge(design=design, state=State.SUSPENDED, pdf="badges/s/s.pdf")
    old_names = {b.pk: b.pdf.name for b in issued}

    page = verified_staff_client.get(url("rerender")).content.decode()
    assert design.course.title in page
    response = verified_staff_client.post(url("rerender"), {"course": design.course.pk})
    assert response.status_code == 302
    progress_url = response["Location"]
    assert progress_url.startswith(url("index") + "rerender/")

    for badge in issued:
        badge.refresh_from_db()
        assert badge.pdf.name != old_names[badge.pk]
        assert not default_storage.exists(old_names[badge.pk])
        with badge.pdf.open("rb") as fh:
            assert fh.read(5) == b"%PDF-"
    suspended.refresh_from_db()
    assert suspended.pdf.name == "badges/s/s.pdf"  # left alone

    html = verified_staff_client.get(progress_url).content.decode()
    assert "100%" in html
    assert "<dt>Re-rendered</dt><dd>3</dd>" in html
    assert "Done." in html
    assert 'http-equiv="refresh"' not in html


def test_progress_is_measured_from_the_badges(design, monkeypatch):
    """With no worker running nothing moves; each finished render moves the count."""
    issued = [issued_with_pdf(design) for _ in range(3)]
    # A broker that accepts the messages but has no worker behind it.
    monkeypatch.setattr(tasks.rerender_badge_task, "apply_async", lambda *a, **k: None)
    job_id = start_rerender_job(design.course)

    progress = rerender_progress(job_id)
    assert (progress.total, progress.rerendered, progress.waiting, progress.percent) == (3, 0, 3, 0)

    tasks.rerender_badge_task.apply(args=[issued[0].pk])
    progress = rerender_progress(job_id)
    assert (progress.rerendered, progress.waiting, progress.percent) == (1, 2, 33)

    # A badge revoked meanwhile is skipped by the task and no longer holds the job up.
    Badge.objects.filter(pk=issued[1].pk).update(
        state=State.REVOKED, revoked_at=issued[1].created_at, revocation_reason="x"
    )
    progress = rerender_progress(job_id)
    assert (progress.rerendered, progress.skipped, progress.waiting) == (1, 1, 1)
    assert not progress.is_done

    tasks.rerender_badge_task.apply(args=[issued[2].pk])
    assert rerender_progress(job_id).is_done
    assert rerender_progress(job_id).percent == 100


def test_progress_page_refreshes_itself_until_done(verified_staff_client, design, monkeypatch):
    issued_with_pdf(design)
    monkeypatch.setattr(tasks.rerender_badge_task, "apply_async", lambda *a, **k: None)
    job_id = start_rerender_job(design.course)
    html = verified_staff_client.get(url("rerender_progress", job_id)).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "<dt>Waiting</dt><dd>1</dd>" in html
    assert "0%" in html


def test_unknown_job_is_404(verified_staff_client):
    response = verified_staff_client.get(url("rerender_progress", "0" * 32))
    assert response.status_code == 404
    assert "unknown" in response.content.decode()


def test_rerender_of_a_course_without_a_design_is_a_form_error(verified_staff_client, course):
    response = verified_staff_client.post(url("rerender"), {"course": course.pk})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
