"""Issuing, rendering (in-process), revoking, suspending and superseding badges."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from certificates import issuance, publishing
from certificates.models import Badge
from certificates.tasks import render_badge_task
from tests.certificates.verify_support import issue_badge_now

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
    """THREATS C7: the task re-checks completion from the database."""
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
    """THREATS B7: the same 404 page for every bad id, and at most one query."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 404
    assert len(queries) <= 1
    assert b"We couldn" in response.content


def test_pdf_of_a_preparing_badge_is_not_served(design, completion, client):
    with transaction.atomic():
        badge = issue(completion)
    assert client.get(f"/badges/{badge.public_id}/badge.pdf").status_code == 404
    assert "Being prepared" in client.get(f"/badges/{badge.public_id}/").content.decode()


def test_public_page_discloses_no_email_or_internal_id(
    design, completion, client, django_capture_on_commit_callbacks
):
    """THREATS P1."""
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
    """THREATS P1: a badge says the fellow passed; the score only if they chose to show it."""
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
