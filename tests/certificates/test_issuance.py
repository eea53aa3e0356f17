"""Issuing, rendering (in-process), revoking, suspending and superseding badges."""

import errno
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from certificates.issuing import issuance, publishing
from certificates.models import Badge
from certificates.tasks import render_badge_task
from courses.models import CourseCompletion
from tests.certificates.test_rendering import reload_fonts, remove_shipped_fonts
from tests.support.badges import issue_badge_now, served_bit
from tests.support.staff import make_badge

pytestmark = pytest.mark.django_db


def issue(completion):
    with transaction.atomic():
        return issuance.request_badge_for_completion(completion)


def test_completion_issues_one_badge_with_a_pdf_and_one_email(
    design, completion, django_capture_on_commit_callbacks
):
    completion.user.show_scores_on_badges = True
    completion.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(completion)
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED
    assert badge.snapshot["recipient_name"] == "Ada Lovelace"
    assert badge.snapshot["score_percent"] == 95
    assert badge.pdf and default_storage.exists(badge.pdf.name)
    with badge.pdf.open("rb") as fh:
        reader = PdfReader(fh)
        assert len(reader.pages) == 1
        assert "Ada Lovelace" in reader.pages[0].extract_text()
    assert len(mail.outbox) == 1
    assert badge.snapshot["verify_url"] in mail.outbox[0].body
    assert mail.outbox[0].to == ["fellow@example.org"]


def test_issuing_twice_gives_the_same_badge(design, completion, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = issue(completion)
        second = issue(completion)
    assert first.pk == second.pk
    assert Badge.objects.count() == 1


def test_no_design_means_no_badge(course, completion):
    assert issue(completion) is None
    assert Badge.objects.count() == 0


def test_public_id_is_long_random_and_not_the_pk(
    design, completion, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(completion)
    assert len(badge.public_id) == 24  # 144 random bits, URL-safe
    assert badge.public_id != str(badge.pk)
    assert f"/badges/{badge.public_id}/" in badge.snapshot["verify_url"]


def test_rendering_again_does_nothing(design, completion, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(completion)
    badge.refresh_from_db()
    pdf_name = badge.pdf.name
    assert render_badge_task.apply(args=[badge.pk]).get() == "already-done"
    badge.refresh_from_db()
    assert badge.pdf.name == pdf_name
    assert len(mail.outbox) == 1


def test_badge_without_completion_is_never_issued(
    fellow, design, django_capture_on_commit_callbacks, caplog
):
    """docs/threats.md, row C7: the task re-checks completion from the database."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        badge = issuance.issue_badge(recipient=fellow, course=design.course, score_percent=100)
    badge.refresh_from_db()
    assert badge.state == Badge.State.REVOKED
    assert not badge.pdf
    assert mail.outbox == []
    assert "SECURITY" in caplog.text


def test_render_failure_leaves_badge_pending_without_a_file(design, completion, monkeypatch):
    with transaction.atomic():
        badge = issue(completion)

    def broken(_badge):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publishing, "render_pdf_bytes", broken)
    with pytest.raises(OSError):
        publishing.render_and_publish(badge.pk)
    badge.refresh_from_db()
    assert badge.state == Badge.State.PENDING
    assert not badge.pdf
    assert "No space left" in badge.last_error
    assert mail.outbox == []


def test_editing_course_design_and_profile_never_changes_an_issued_badge(
    design, completion, fellow, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(completion)
    badge.refresh_from_db()
    before = dict(badge.snapshot)
    design.title = "Renamed badge"
    design.save()
    design.course.title = "Renamed course"
    design.course.save_revision().publish()
    fellow.display_name = "Somebody Else"
    fellow.save()
    badge.refresh_from_db()
    assert badge.snapshot == before
    page = client.get(f"/badges/{badge.public_id}/").content.decode()
    assert "Ada Lovelace" in page and "Somebody Else" not in page
    assert "Certified AI Data Labeler" in page and "Renamed badge" not in page


def test_revocation_is_final_and_shown(
    design, completion, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(completion)
    with django_capture_on_commit_callbacks(execute=True):
        issuance.revoke_badge(badge, reason="Answers were copied from another fellow.")
    badge.refresh_from_db()
    assert badge.state == Badge.State.REVOKED
    page = client.get(f"/badges/{badge.public_id}/").content.decode()
    assert "Revoked on" in page and "copied from another fellow" in page
    with pytest.raises(issuance.IssuanceError):
        issuance.reinstate_badge(badge)
    with pytest.raises(issuance.IssuanceError):
        issuance.suspend_badge(badge)
    badge.refresh_from_db()
    assert badge.state == Badge.State.REVOKED
    assert [m.subject for m in mail.outbox] == [
        "Your badge is ready: Certified AI Data Labeler",
        "Your badge has been revoked: Certified AI Data Labeler",
    ]


def test_revocation_needs_a_reason(design, completion):
    with transaction.atomic():
        badge = issue(completion)
    with pytest.raises(issuance.IssuanceError):
        issuance.revoke_badge(badge, reason="  ")


def test_suspend_and_reinstate(design, completion, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(completion)
    # On commit: the cached public page is purged and the status list re-signed.
    with django_capture_on_commit_callbacks(execute=True):
        issuance.suspend_badge(badge)
    assert "verdict--suspended" in client.get(f"/badges/{badge.public_id}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        issuance.reinstate_badge(badge)
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED
    assert "verdict--valid" in client.get(f"/badges/{badge.public_id}/").content.decode()


def test_reissue_supersedes_and_links_to_the_new_badge(
    design, completion, fellow, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        old = issue(completion)
    fellow.display_name = "Ada King, Countess of Lovelace"
    fellow.save()
    with django_capture_on_commit_callbacks(execute=True):
        new = issuance.reissue_badge(old)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.state == Badge.State.SUPERSEDED and old.superseded_by == new
    assert new.state == Badge.State.ISSUED
    assert new.snapshot["recipient_name"] == "Ada King, Countess of Lovelace"
    page = client.get(f"/badges/{old.public_id}/").content.decode()
    assert "Superseded" in page and f"/badges/{new.public_id}/" in page


def test_expired_badge_is_shown_as_expired(
    design, completion, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(completion)
    Badge.objects.filter(pk=badge.pk).update(expires_at=badge.created_at - timedelta(days=1))
    assert "Expired on" in client.get(f"/badges/{badge.public_id}/").content.decode()


def test_expiry_reminder_is_sent_once(design, completion, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(completion)
    Badge.objects.filter(pk=badge.pk).update(expires_at=badge.created_at + timedelta(days=20))
    mail.outbox.clear()
    assert publishing.send_expiry_reminders() == 1
    assert publishing.send_expiry_reminders() == 0
    assert len(mail.outbox) == 1 and "expires soon" in mail.outbox[0].subject


@pytest.mark.parametrize(
    "path",
    [
        "/badges/AAAAAAAAAAAAAAAAAAAAAAAA/",
        "/badges/x/",
        "/badges/" + "A" * 4096 + "/",
        "/badges/../../etc/passwd/",
        "/badges/'%20OR%201=1--/",
        "/badges/%00/",
    ],
)
def test_unknown_and_malformed_ids_get_one_uniform_404(client, site_root, path):
    """docs/threats.md, row B7: the same 404 page for every bad id, and at most one query."""
    # A process reads the status-list version once and keeps it for a while; warm it so
    # the count below is the per-request cost, whichever test this process ran first.
    client.get("/badges/BBBBBBBBBBBBBBBBBBBBBBBB/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 404
    assert len(queries) <= 1, [query["sql"] for query in queries]
    assert b"We couldn" in response.content


def test_pdf_of_a_preparing_badge_is_not_served(design, completion, client):
    with transaction.atomic():
        badge = issue(completion)
    assert client.get(f"/badges/{badge.public_id}/badge.pdf").status_code == 404
    assert "Being prepared" in client.get(f"/badges/{badge.public_id}/").content.decode()


def test_public_page_discloses_no_email_or_internal_id(
    design, completion, client, django_capture_on_commit_callbacks
):
    """docs/threats.md, row P1."""
    with django_capture_on_commit_callbacks(execute=True):
        badge = issue(completion)
    response = client.get(f"/badges/{badge.public_id}/")
    html = response.content.decode()
    assert "fellow@example.org" not in html
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issue_creates_one_badge(design, completion):
    barrier = threading.Barrier(6)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(issuance.request_badge_for_completion(completion).pk)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    assert Badge.objects.count() == 1


def test_sweeper_requeues_lost_renders_but_not_badges_that_used_up_their_attempts(
    design, completion, monkeypatch
):
    with transaction.atomic():
        badge = issue(completion)  # eager task not run: the on-commit hook never fires here
    queued = []
    monkeypatch.setattr(
        issuance, "enqueue_render", lambda badge_id: queued.append(badge_id) or True
    )
    assert issuance.sweep_stuck_badges(pending_after=timedelta(0)) == 1
    assert queued == [badge.pk]
    Badge.objects.filter(pk=badge.pk).update(render_attempts=publishing.MAX_RENDER_ATTEMPTS)
    assert issuance.sweep_stuck_badges(pending_after=timedelta(0)) == 0
    assert queued == [badge.pk]


def _score_shown_everywhere(client, badge) -> dict[str, bool]:
    """Where the badge's score (95%) can be seen by anyone holding its link or files."""
    page = client.get(f"/badges/{badge.public_id}/").content.decode()
    data = client.get(f"/badges/{badge.public_id}.json").json()
    with badge.pdf.open("rb") as fh:
        pdf_text = PdfReader(fh).pages[0].extract_text()
    return {
        "page": "95%" in page,
        "json": data["badge"].get("score_percent") == 95,
        "pdf": "95%" in pdf_text,
        "credential": "result" in badge.credential["credentialSubject"],
    }


def test_the_score_stays_off_badges_unless_the_fellow_opted_in(
    client, design, completion, django_capture_on_commit_callbacks
):
    """docs/threats.md, row P1: a badge says the fellow passed; the score only if they chose to show
    it."""
    fellow = completion.user
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    assert badge.snapshot["score_percent"] is None
    assert _score_shown_everywhere(client, badge) == dict.fromkeys(
        ("page", "json", "pdf", "credential"), False
    )

    # The fellow opts in on their profile; the badge they hold is frozen, a new one shows it.
    client.force_login(fellow)
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "Ada Lovelace", "show_scores_on_badges": "on"},
    )
    assert response.status_code == 302
    fellow.refresh_from_db()
    assert fellow.show_scores_on_badges
    client.logout()
    assert not any(_score_shown_everywhere(client, badge).values())
    with django_capture_on_commit_callbacks(execute=True):
        new = issuance.reissue_badge(badge)
    new.refresh_from_db()
    assert new.state == Badge.State.ISSUED
    assert all(_score_shown_everywhere(client, new).values())


# --- renders that fail (docs/threats.md, rows B3, F8, F9) -----------------------------------------


def _files_of(badge) -> list[str]:
    folder = f"badges/{badge.public_id}"
    return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []


def _time_limit(patch, tmp_path):
    # What Celery raises in the task when soft_time_limit passes mid-render.
    def too_slow(_badge):
        raise SoftTimeLimitExceeded()

    patch.setattr(publishing, "render_pdf_bytes", too_slow)


def _disk_full(patch, tmp_path):
    from django.core.files.storage import FileSystemStorage

    def no_space(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    patch.setattr(FileSystemStorage, "_save", no_space)


@pytest.fixture
def fresh_fonts():
    yield
    reload_fonts()


@pytest.mark.parametrize("fault", [_time_limit, _disk_full, remove_shipped_fonts])
def test_a_failed_render_retries_and_leaves_nothing_half_done(
    fault, client, design, completion, monkeypatch, caplog, tmp_path, fresh_fonts
):
    badge = issue(completion)
    conf = render_badge_task.app.conf
    propagates = conf.task_eager_propagates
    # Eagerly applied, Celery runs the task's retries at once, one after the other, and
    # the last one's failure is the result (a worker would space them out).
    conf.task_eager_propagates = False
    try:
        with monkeypatch.context() as patch, caplog.at_level("ERROR", logger="credence.badges"):
            fault(patch, tmp_path)
            result = render_badge_task.apply(args=[badge.pk])
    finally:
        conf.task_eager_propagates = propagates
    assert result.state == "FAILURE"
    errors = [
        r
        for r in caplog.records
        if r.name == "credence.badges" and r.levelname == "ERROR" and str(badge.pk) in r.message
    ]
    badge.refresh_from_db()
    # Every try claimed the badge, failed, was logged, and handed the badge back.
    assert 1 + render_badge_task.max_retries <= len(errors) == badge.render_attempts
    assert badge.render_attempts < publishing.MAX_RENDER_ATTEMPTS  # the sweeper may try on
    assert badge.state == Badge.State.PENDING and not badge.pdf and badge.last_error
    assert _files_of(badge) == []
    page = client.get(f"/badges/{badge.public_id}/")
    assert page.status_code == 200 and "Being prepared" in page.content.decode()
    assert client.get(f"/badges/{badge.public_id}.json").json()["status"] == "preparing"

    # The cause fixed, the next delivery (the sweeper's) issues it.
    assert render_badge_task.apply(args=[badge.pk]).get() == "issued"
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED and _files_of(badge) == [badge.pdf.name.split("/")[-1]]


def test_a_badge_that_used_up_its_renders_alerts_and_waits_for_staff(
    verified_staff_client,
    design,
    completion,
    monkeypatch,
    caplog,
    tmp_path,
    fresh_fonts,
    django_capture_on_commit_callbacks,
):
    """docs/threats.md, row F9: after its last allowed try a badge is no longer retried; an ALERT is
    logged once, the fellow is told it is delayed, and staff can retry it once fixed."""
    badge = issue(completion)
    Badge.objects.filter(pk=badge.pk).update(render_attempts=publishing.MAX_RENDER_ATTEMPTS - 1)
    with monkeypatch.context() as patch, caplog.at_level("ERROR", logger="credence.badges"):
        remove_shipped_fonts(patch, tmp_path)
        assert render_badge_task.apply(args=[badge.pk]).get() == "gave-up"
    reload_fonts()  # the fonts are back for the retry below
    alerts = [r.getMessage() for r in caplog.records if "ALERT" in r.getMessage()]
    assert len(alerts) == 1 and badge.public_id in alerts[0] and "missing" in alerts[0]
    badge.refresh_from_db()
    assert badge.render_gave_up and badge.state == Badge.State.PENDING
    assert issuance.sweep_stuck_badges(pending_after=timedelta(0)) == 0

    fellow_client = Client()  # `client` is the staff member's (verified_staff_client)
    fellow_client.force_login(completion.user)
    assert "taking longer than usual" in fellow_client.get("/badges/").content.decode()
    inspect = verified_staff_client.get(f"/admin/badges/inspect/{badge.pk}/").content.decode()
    assert "Rendering failed 8 times" in inspect and "Retry rendering" in inspect

    with django_capture_on_commit_callbacks(execute=True):
        response = verified_staff_client.post(f"/admin/badges/retry-render/{badge.pk}/")
    assert response.status_code == 302
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED and badge.render_attempts == 1
    # Only a badge that gave up can be retried: now there is nothing to retry.
    again = verified_staff_client.post(f"/admin/badges/retry-render/{badge.pk}/", follow=True)
    assert "Only a badge whose rendering was given up can be retried." in again.content.decode()


def test_a_last_render_lost_with_its_worker_is_given_up_too(
    verified_staff_client, design, completion, caplog, django_capture_on_commit_callbacks
):
    """A worker killed (or timed out) during the badge's last allowed render leaves it
    rendering, with no one to hand it back: the sweeper does, with the alert, once."""
    badge = issue(completion)
    Badge.objects.filter(pk=badge.pk).update(
        state=Badge.State.RENDERING,
        render_attempts=publishing.MAX_RENDER_ATTEMPTS,
        render_token="dead-worker",
        render_lease_until=timezone.now() - timedelta(seconds=1),
    )
    badge.refresh_from_db()
    assert badge.render_gave_up
    with caplog.at_level("ERROR", logger="credence.badges"):
        assert issuance.sweep_stuck_badges(pending_after=timedelta(0)) == 0
        assert issuance.sweep_stuck_badges(pending_after=timedelta(0)) == 0
    alerts = [r.getMessage() for r in caplog.records if "ALERT" in r.getMessage()]
    assert len(alerts) == 1 and badge.public_id in alerts[0]
    badge.refresh_from_db()
    assert badge.state == Badge.State.PENDING and badge.render_gave_up and badge.last_error

    with django_capture_on_commit_callbacks(execute=True):
        verified_staff_client.post(f"/admin/badges/retry-render/{badge.pk}/")
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED and badge.render_token != "dead-worker"


def test_the_profile_names_badges_that_still_show_a_score(
    client, design, completion, django_capture_on_commit_callbacks
):
    fellow = completion.user
    fellow.show_scores_on_badges = True
    fellow.save()
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    client.force_login(fellow)
    client.post(reverse("accounts:profile"), {"display_name": "Ada Lovelace"})  # opts out
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "Not shown on new badges" in html
    assert "1 of your badges shows your score" in html
    assert f"/badges/{badge.public_id}/" in html and "can re-issue a badge without it" in html
    with django_capture_on_commit_callbacks(execute=True):
        issuance.reissue_badge(badge)  # what the course team does on request
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "of your badges show" not in html


def test_a_badge_awarded_by_hand_without_a_score_gets_none_on_reissue(
    design, fellow, staff_user, django_capture_on_commit_callbacks
):
    CourseCompletion.objects.create(
        user=fellow,
        course=design.course,
        completed_at=timezone.now(),
        module_scores=[{"module_id": 1, "title": "One", "score_percent": 61}],
    )
    fellow.show_scores_on_badges = True
    fellow.save()
    with django_capture_on_commit_callbacks(execute=True):
        badge = issuance.award_badge_manually(recipient=fellow, course=design.course, by=staff_user)
    badge.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        new = issuance.reissue_badge(badge, by=staff_user)
    new.refresh_from_db()
    assert new.snapshot["score_percent"] is None


# --- staff state changes: the whole row, the history entry, the on-commit work ----------

FROZEN = datetime(2025, 5, 9, 12, 0, tzinfo=UTC)


@pytest.fixture
def tasks_run():
    """(task name, args) of every Celery task run (eagerly) while the test runs."""
    from celery.signals import task_prerun

    seen = []

    def record(task=None, args=None, **_):
        seen.append((task.name.rsplit(".", 1)[-1], tuple(args)))

    task_prerun.connect(record, weak=False)
    yield seen
    task_prerun.disconnect(record)


def history(badge) -> list[tuple]:
    """The badge's entries in Wagtail's history: (action, who, data)."""
    from wagtail.models import ModelLogEntry

    return [
        (e.action, e.user, e.data)
        for e in ModelLogEntry.objects.for_instance(badge).select_related("user").order_by("pk")
    ]


def lifecycle_of(badge) -> dict:
    return dict(
        Badge.objects.filter(pk=badge.pk)
        .values("state", "suspended_at", "revoked_at", "revocation_reason", "superseded_by")
        .get()
    )


def listed_bits(index) -> dict[str, bool]:
    """The badge's bit in each signed list as served to verifiers."""
    client = Client()
    return {purpose: served_bit(client, purpose, index) for purpose in ("revocation", "suspension")}


@pytest.fixture
def issued(design, fellow):
    """An issued badge with its status index, made directly (no render)."""
    badge = make_badge(design=design, recipient=fellow, issued_at=FROZEN - timedelta(days=30))
    Badge.objects.filter(pk=badge.pk).update(status_index=70_001)
    badge.refresh_from_db()
    return badge


def test_a_suspension_is_dated_logged_listed_and_purged_on_commit(
    issued, staff_user, client, tasks_run, django_capture_on_commit_callbacks
):
    # The page is cached (the badge has no signed credential here: "unverified").
    assert client.get(f"/badges/{issued.public_id}.json").json()["status"] == "unverified"
    with time_machine.travel(FROZEN, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            returned = issuance.suspend_badge(issued, by=staff_user)
    assert (returned.pk, returned.state, returned.suspended_at) == (
        issued.pk,
        Badge.State.SUSPENDED,
        FROZEN,
    )
    assert lifecycle_of(issued) == {
        "state": Badge.State.SUSPENDED,
        "suspended_at": FROZEN,
        "revoked_at": None,
        "revocation_reason": "",
        "superseded_by": None,
    }
    assert history(issued) == [("credence.badge.suspend", staff_user, {})]
    assert listed_bits(70_001) == {"revocation": False, "suspension": True}
    assert tasks_run == [("badge_status_changed_task", (issued.pk, None))]
    assert client.get(f"/badges/{issued.public_id}.json").json()["status"] == "suspended"
    assert mail.outbox == []


def test_suspending_again_changes_and_logs_nothing(
    issued, staff_user, tasks_run, django_capture_on_commit_callbacks
):
    with time_machine.travel(FROZEN, tick=False):
        issuance.suspend_badge(issued, by=staff_user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = issuance.suspend_badge(issued, by=staff_user)
    assert (again.state, again.suspended_at, callbacks, tasks_run) == (
        Badge.State.SUSPENDED,
        FROZEN,
        [],
        [],
    )
    assert history(issued) == [("credence.badge.suspend", staff_user, {})]


@pytest.mark.parametrize(
    "state",
    [Badge.State.PENDING, Badge.State.RENDERING, Badge.State.REVOKED, Badge.State.SUPERSEDED],
)
def test_only_an_issued_badge_can_be_suspended(design, fellow, staff_user, state):
    badge = make_badge(design=design, recipient=fellow, state=state)
    before = lifecycle_of(badge)
    with pytest.raises(issuance.IssuanceError, match="^Only an issued badge can be suspended.$"):
        issuance.suspend_badge(badge, by=staff_user)
    assert (lifecycle_of(badge), history(badge)) == (before, [])


def test_a_reinstatement_clears_the_suspension_logs_it_and_refreshes_the_page_on_commit(
    issued, design, staff_user, client, tasks_run, django_capture_on_commit_callbacks
):
    # Its neighbours in the suspension list stay suspended.
    neighbours = make_badge(design=design)
    Badge.objects.filter(pk=neighbours.pk).update(status_index=70_000)
    neighbours.refresh_from_db()
    issuance.suspend_badge(neighbours)
    with time_machine.travel(FROZEN, tick=False):
        issuance.suspend_badge(issued, by=staff_user)
    assert client.get(f"/badges/{issued.public_id}.json").json()["status"] == "suspended"
    del tasks_run[:]
    with django_capture_on_commit_callbacks(execute=True):
        returned = issuance.reinstate_badge(issued, by=staff_user)
    assert (returned.state, returned.suspended_at) == (Badge.State.ISSUED, None)
    assert lifecycle_of(issued) == {
        "state": Badge.State.ISSUED,
        "suspended_at": None,
        "revoked_at": None,
        "revocation_reason": "",
        "superseded_by": None,
    }
    assert history(issued) == [
        ("credence.badge.suspend", staff_user, {}),
        ("credence.badge.reinstate", staff_user, {}),
    ]
    assert listed_bits(70_001) == {"revocation": False, "suspension": False}
    assert listed_bits(70_000) == {"revocation": False, "suspension": True}
    # The follow-up task refreshes the public status; a reinstatement sends no e-mail.
    assert tasks_run == [("badge_status_changed_task", (issued.pk, None))]
    assert client.get(f"/badges/{issued.public_id}.json").json()["status"] == "unverified"
    assert mail.outbox == []


def test_reinstating_an_issued_badge_changes_and_logs_nothing(
    issued, staff_user, tasks_run, django_capture_on_commit_callbacks
):
    before = lifecycle_of(issued)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        returned = issuance.reinstate_badge(issued, by=staff_user)
    assert (returned.pk, returned.state) == (issued.pk, Badge.State.ISSUED)
    assert (lifecycle_of(issued), history(issued), callbacks, tasks_run) == (before, [], [], [])
    assert listed_bits(70_001) == {"revocation": False, "suspension": False}


@pytest.mark.parametrize(
    "state", [Badge.State.PENDING, Badge.State.REVOKED, Badge.State.SUPERSEDED]
)
def test_only_a_suspended_badge_can_be_reinstated(design, fellow, staff_user, state):
    badge = make_badge(design=design, recipient=fellow, state=state)
    before = lifecycle_of(badge)
    with pytest.raises(
        issuance.IssuanceError,
        match="^Only a suspended badge can be reinstated; revocation is final.$",
    ):
        issuance.reinstate_badge(badge, by=staff_user)
    assert (lifecycle_of(badge), history(badge)) == (before, [])


def test_a_revocation_is_dated_logged_listed_and_mailed_once(
    issued, staff_user, tasks_run, caplog, django_capture_on_commit_callbacks
):
    reason = "  " + "Answers were copied. " * 30 + "  "  # 630 characters, padded
    with time_machine.travel(FROZEN, tick=False), caplog.at_level("INFO", "credence.badges"):
        with django_capture_on_commit_callbacks(execute=True):
            issuance.revoke_badge(issued, reason=reason, by=staff_user)
    assert f"badge {issued.public_id} revoked by {staff_user.pk}" in caplog.messages
    kept = reason.strip()[:500]
    assert lifecycle_of(issued) == {
        "state": Badge.State.REVOKED,
        "suspended_at": None,
        "revoked_at": FROZEN,
        "revocation_reason": kept,
        "superseded_by": None,
    }
    assert history(issued) == [("credence.badge.revoke", staff_user, {"reason": kept})]
    # Both lists: credentials name the suspension list since decision 0004, older ones the
    # revocation list, and a revoked or superseded badge must fail for either.
    assert listed_bits(70_001) == {"revocation": True, "suspension": True}
    assert tasks_run == [("badge_status_changed_task", (issued.pk, "revoked"))]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["fellow@example.org"], "Your badge has been revoked: Certified AI Data Labeler")
    ]
    # Again: nothing changes, nothing is logged or sent.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        issuance.revoke_badge(issued, reason="Another reason.", by=staff_user)
    assert (lifecycle_of(issued)["revocation_reason"], callbacks) == (kept, [])
    assert len(history(issued)) == len(mail.outbox) == 1


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_revocation_without_a_reason_is_refused_and_changes_nothing(issued, reason):
    with pytest.raises(
        issuance.IssuanceError, match="^Give a reason: it is shown on the public badge page.$"
    ):
        issuance.revoke_badge(issued, reason=reason)
    assert (lifecycle_of(issued)["state"], history(issued)) == (Badge.State.ISSUED, [])


def test_a_superseded_badge_cannot_be_revoked(design, fellow):
    badge = make_badge(design=design, recipient=fellow, state=Badge.State.SUPERSEDED)
    with pytest.raises(issuance.IssuanceError, match="revoke its replacement"):
        issuance.revoke_badge(badge, reason="Copied.")
    assert (lifecycle_of(badge)["state"], history(badge)) == (Badge.State.SUPERSEDED, [])


def test_a_reissue_logs_on_both_badges_which_replaces_which(
    design, completion, staff_user, tasks_run, django_capture_on_commit_callbacks
):
    old = make_badge(design=design, recipient=completion.user)
    Badge.objects.filter(pk=old.pk).update(status_index=70_002)
    old.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        new = issuance.reissue_badge(old, by=staff_user)
    assert lifecycle_of(old) == {
        "state": Badge.State.SUPERSEDED,
        "suspended_at": None,
        "revoked_at": None,
        "revocation_reason": "",
        "superseded_by": new.pk,
    }
    assert history(old) == [("credence.badge.reissue", staff_user, {"replacement": new.public_id})]
    assert history(new) == [("credence.badge.replace", staff_user, {"replaces": old.public_id})]
    # Both lists: credentials name the suspension list since decision 0004, older ones the
    # revocation list, and a revoked or superseded badge must fail for either.
    assert listed_bits(70_002) == {"revocation": True, "suspension": True}
    assert tasks_run == [
        ("render_badge_task", (new.pk,)),
        ("badge_status_changed_task", (old.pk, None)),
    ]
    new.refresh_from_db()
    assert new.state == Badge.State.ISSUED and new.awarded_manually_by is None


def test_a_manual_award_is_in_the_badges_history_once(
    design, fellow, staff_user, django_capture_on_commit_callbacks
):
    fellow.show_scores_on_badges = True
    fellow.save()
    with django_capture_on_commit_callbacks(execute=True):
        badge = issuance.award_badge_manually(
            recipient=fellow, course=design.course, by=staff_user, score_percent=88
        )
    assert history(badge) == [("credence.badge.award", staff_user, {})]
    badge.refresh_from_db()
    assert (badge.state, badge.awarded_manually_by, badge.recipient) == (
        Badge.State.ISSUED,
        staff_user,
        fellow,
    )
    assert badge.snapshot["score_percent"] == 88
    # Awarding again returns the same badge and logs nothing more.
    again = issuance.award_badge_manually(recipient=fellow, course=design.course, by=staff_user)
    assert again.pk == badge.pk
    assert history(badge) == [("credence.badge.award", staff_user, {})]


def test_a_manual_award_without_a_design_is_refused(course, fellow, staff_user):
    with pytest.raises(issuance.IssuanceError, match="^This course has no badge design yet.$"):
        issuance.award_badge_manually(recipient=fellow, course=course, by=staff_user)
    assert Badge.objects.count() == 0


def test_an_issue_that_loses_the_race_returns_the_winners_badge_and_queues_nothing(
    design, completion, django_capture_on_commit_callbacks
):
    """Another request inserts the fellow's badge between our look-up and our insert: the
    database's constraint refuses ours, and the winner's badge is the one returned."""
    winner = {}

    def insert_the_winner_after_our_lookup(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not winner and sql.startswith("SELECT") and 'FROM "certificates_badge" ' in sql:
            winner["badge"] = None  # before the insert: the wrapper sees that query too
            winner["badge"] = make_badge(design=design, recipient=completion.user)
        return result

    with django_capture_on_commit_callbacks() as callbacks:
        with connection.execute_wrapper(insert_the_winner_after_our_lookup):
            with transaction.atomic():
                returned = issuance.request_badge_for_completion(completion)
    assert winner["badge"] is not None
    assert returned.pk == winner["badge"].pk and not getattr(returned, "just_created", False)
    assert list(Badge.objects.values_list("pk", flat=True)) == [winner["badge"].pk]
    assert callbacks == []  # no render queued for the badge that was never written


def test_withdrawal_takes_the_badge_from_a_render_in_flight(
    design, completion, monkeypatch, django_capture_on_commit_callbacks
):
    """The fellow erases their account while a worker renders their badge: the render,
    holding the old lease token, publishes nothing and leaves no file."""
    badge = issue(completion)
    real_sign = publishing.sign_badge
    withdrawn = []

    def erasure_during_the_render(rendering):
        signed = real_sign(rendering)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            withdrawn.extend(issuance.withdraw_badges_of(completion.user))
        return signed

    monkeypatch.setattr(publishing, "sign_badge", erasure_during_the_render)
    outcome = publishing.render_and_publish(badge.pk)
    assert (outcome.result, withdrawn) == ("lost-lease", [badge.public_id])
    row = Badge.objects.filter(pk=badge.pk).values(
        "state", "pdf", "pdf_sha256", "credential", "render_token", "render_lease_until"
    )
    assert row.get() == {
        "state": Badge.State.REVOKED,
        "pdf": "",
        "pdf_sha256": "",
        "credential": None,
        # The render's token is gone with the rest: nothing may finish or mark this badge.
        "render_token": "",
        "render_lease_until": None,
    }
    assert _files_of(badge) == [] and mail.outbox == []
    assert publishing.render_and_publish(badge.pk).result == "already-done"


def test_a_render_lost_before_staff_retried_cannot_publish_over_the_retry(
    design, completion, staff_user, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """A worker thought lost (its lease ran out on the last attempt) finishes after staff
    retried the badge: the retry's render is the one published, the late one discarded."""
    badge = issue(completion)
    real_sign = publishing.sign_badge
    late_tokens, retry_callbacks = [], []
    long_error = "OSError: No space left on device. " * 20  # 680 characters; 500 are kept

    def lease_lost_and_staff_retry(rendering):
        signed = real_sign(rendering)
        late_tokens.append(rendering.render_token)
        Badge.objects.filter(pk=rendering.pk).update(
            render_attempts=publishing.MAX_RENDER_ATTEMPTS,
            render_lease_until=timezone.now() - timedelta(seconds=1),
            last_error=long_error,
        )
        with django_capture_on_commit_callbacks() as callbacks:
            retried = issuance.retry_render(Badge.objects.get(pk=rendering.pk), by=staff_user)
        retry_callbacks.extend(callbacks)  # run below, once the late render is done
        assert (retried.state, retried.render_attempts, retried.render_token) == (
            Badge.State.PENDING,
            0,
            "",  # the late worker's token no longer names this badge
        )
        return signed

    with monkeypatch.context() as patch, caplog.at_level("INFO", logger="credence.badges"):
        patch.setattr(publishing, "sign_badge", lease_lost_and_staff_retry)
        assert publishing.render_and_publish(badge.pk).result == "lost-lease"
    assert f"badge {badge.public_id}: rendering retried by staff" in caplog.messages
    row = Badge.objects.get(pk=badge.pk)
    assert (row.state, row.pdf.name, row.render_token, row.render_attempts) == (
        Badge.State.PENDING,
        "",
        "",
        0,
    )
    assert _files_of(badge) == []  # the late render's PDF was discarded
    assert history(badge) == [
        (
            "credence.badge.retry_render",
            staff_user,
            {"last_error": long_error[:500]},
        )
    ]
    # The retry's on-commit work renders it afresh, under a new token.
    for callback in retry_callbacks:
        callback()
    row.refresh_from_db()
    assert row.state == Badge.State.ISSUED and row.render_token not in ("", *late_tokens)
