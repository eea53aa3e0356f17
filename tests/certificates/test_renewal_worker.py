"""The renewal job as it runs in production: a real Celery worker on the test database and a
private Redis broker. Publishing a renewal version queues the "the course changed" e-mails,
and the beat task marks a badge out of date once its deadline has passed, setting the bit
outside verifiers read. The deadline is moved into the past in the database: the worker
is another process, whose clock a test cannot move."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from certificates.models import Badge
from certificates.tasks import renewal_job_task
from courses import versions
from tests.support.badges import served_bit
from tests.support.services import wait_for
from tests.support.worker_faults import badge_issued, complete_course_through_the_site

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def mails_naming(fault_dirs, *words: str) -> list[str]:
    return [
        text
        for f in Path(fault_dirs["mail"]).iterdir()
        if all(word in (text := f.read_text(errors="replace")) for word in words)
    ]


def test_a_worker_tells_fellows_of_a_change_then_marks_their_lapsed_badge_out_of_date(
    fellow, course_with_badge, producer, start_worker, fault_dirs, capsys
):
    course, (module,) = course_with_badge
    start_worker()
    complete_course_through_the_site(Client(), fellow, course, module)
    wait_for(lambda: badge_issued(fellow), timeout=60, what="the badge to be issued")
    badge = badge_issued(fellow)
    assert not mails_naming(fault_dirs, fellow.email, "2027.1")

    versions.publish_version(
        course,
        number="2027.1",
        summary="Ambiguous items are now labelled 'unsure'.",
        changed_modules=[module],
        renewal_days=60,
    )
    # The change e-mail, queued on commit and sent by the worker.
    wait_for(
        lambda: Badge.objects.filter(pk=badge.pk, renewal_notice_sent_at__isnull=False).exists(),
        timeout=30,
        what="the worker to send the change notice",
    )
    wait_for(
        lambda: mails_naming(fault_dirs, fellow.email, "2027.1", "Ambiguous items"),
        timeout=10,
        what="the notice in the mail folder",
    )

    Badge.objects.filter(pk=badge.pk).update(renew_by=timezone.now() - timedelta(minutes=1))
    renewal_job_task.apply_async()
    wait_for(
        lambda: Badge.objects.filter(pk=badge.pk, state=Badge.State.OUT_OF_DATE).exists(),
        timeout=30,
        what="the worker to mark the badge out of date",
    )
    badge.refresh_from_db()
    client = Client()
    assert served_bit(client, "suspension", badge.status_index)
    assert not served_bit(client, "revocation", badge.status_index)
    assert client.get(f"/badges/{badge.public_id}.json").json()["status"] == "out_of_date"
    wait_for(
        lambda: Badge.objects.filter(pk=badge.pk, out_of_date_email_sent_at__isnull=False).exists(),
        timeout=30,
        what="the out-of-date e-mail",
    )
    # The command beside the beat task finds nothing left to do.
    call_command("mark_out_of_date", "--no-email")
    assert "Marked 0 badge(s) out of date" in capsys.readouterr().out
