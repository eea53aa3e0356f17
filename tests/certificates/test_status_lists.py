"""W3C status lists: revocation and suspension bits, set and signed in the badge's transaction."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from certificates.issuing import issuance, publishing, status_publishing
from certificates.models import Badge
from certificates.signing.ob3 import credential as ob3
from certificates.signing.ob3.status_list import MIN_ENTRIES, Bitstring, StatusListError
from tests.support.badges import issue_badge_now, served_bit

from .verify_support import public_documents

pytestmark = pytest.mark.django_db


def test_revocation_sets_the_bit_in_a_validly_signed_list_at_commit(
    design, completion, client, django_capture_on_commit_callbacks
):
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    before = client.get("/status/revocation")
    assert "max-age=" in before["Cache-Control"] and before["ETag"]
    assert not served_bit(client, "revocation", badge.status_index)
    issuance.revoke_badge(badge, reason="Plagiarised answers.")
    assert served_bit(client, "revocation", badge.status_index)
    after = client.get("/status/revocation", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert client.get("/status/revocation", HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304
    did, lists = public_documents(client)
    failed = {
        r.name: r.detail
        for r in ob3.verify_credential(badge.credential, did_document=did, status_lists=lists)
        if not r.ok
    }
    # Only the status check fails: the list itself is validly signed by the issuer.
    # The credential's one entry names the suspension list, where a revoked badge's bit
    # is set for good (docs/decisions/0004).
    assert failed == {"suspension": "suspended"}
    assert served_bit(client, "suspension", badge.status_index)


def test_revocation_cannot_be_undone_in_the_list(
    design, completion, client, django_capture_on_commit_callbacks
):
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    issuance.revoke_badge(badge, reason="Issued in error.")
    with pytest.raises(issuance.IssuanceError):
        issuance.reinstate_badge(badge)
    with transaction.atomic(), pytest.raises(StatusListError):
        status_publishing.set_status_bit(badge.status_index, "revocation", False)
    assert served_bit(client, "revocation", badge.status_index)


def test_suspension_toggles_its_own_list_only(
    design, completion, client, django_capture_on_commit_callbacks
):
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    # The cached page/JSON is purged when the transaction commits: run those callbacks.
    with django_capture_on_commit_callbacks(execute=True):
        issuance.suspend_badge(badge)
    assert served_bit(client, "suspension", badge.status_index)
    assert not served_bit(client, "revocation", badge.status_index)
    assert client.get(f"/badges/{badge.public_id}.json").json()["status"] == "suspended"
    with django_capture_on_commit_callbacks(execute=True):
        issuance.reinstate_badge(badge)
    assert not served_bit(client, "suspension", badge.status_index)
    assert client.get(f"/badges/{badge.public_id}.json").json()["status"] == "valid"


def test_superseded_badge_reads_as_revoked_to_outside_verifiers(
    design, completion, client, django_capture_on_commit_callbacks
):
    old = issue_badge_now(completion, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        new = issuance.reissue_badge(old)
    assert served_bit(client, "revocation", old.status_index)
    data = client.get(f"/badges/{old.public_id}.json").json()
    assert data["status"] == "superseded"
    assert data["badge"]["superseded_by"].endswith(f"/badges/{new.public_id}/")


def test_indexes_are_random_unique_and_share_one_list(design, course, django_user_model):
    """docs/threats.md, row P3: 50 badges, random indexes, one list URL, list >= 131,072 entries."""
    from django.utils import timezone

    from courses.models import CourseCompletion

    indexes = []
    for number in range(50):
        user = django_user_model.objects.create_user(
            email=f"f{number}@example.org", password="x" * 20, display_name=f"Fellow {number}"
        )
        CourseCompletion.objects.create(user=user, course=course, completed_at=timezone.now())
        with transaction.atomic():  # on-commit rendering is not run: badges stay pending
            badge = issuance.issue_badge(recipient=user, course=course, score_percent=90)
        indexes.append(publishing.ensure_status_index(badge.pk))
    assert len(set(indexes)) == 50
    assert all(0 <= index < MIN_ENTRIES for index in indexes)
    # Sequential or clustered allocation would put them all close together.
    assert max(indexes) - min(indexes) > MIN_ENTRIES // 4
    assert sum(1 for a, b in zip(indexes, indexes[1:], strict=False) if b == a + 1) <= 1
    row = status_publishing.get_status_list("revocation")
    assert Bitstring.decode(row.credential["credentialSubject"]["encodedList"]).length >= (
        MIN_ENTRIES
    )


def test_the_database_refuses_two_badges_on_one_index(
    design, completion, django_capture_on_commit_callbacks, django_user_model, course
):
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    from certificates.models import Badge as BadgeModel

    other = BadgeModel.objects.create(
        recipient=django_user_model.objects.create_user(email="o@example.org", password="x" * 20),
        course=course,
        snapshot=badge.snapshot,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BadgeModel.objects.filter(pk=other.pk).update(status_index=badge.status_index)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_revocations_lose_no_bit(design, course, django_user_model):
    """Two admins revoking two badges at once: the list row lock serialises the re-signs."""
    from django.utils import timezone

    from courses.models import CourseCompletion

    badges = []
    for number in range(2):
        user = django_user_model.objects.create_user(
            email=f"c{number}@example.org", password="x" * 20, display_name=f"Fellow {number}"
        )
        CourseCompletion.objects.create(user=user, course=course, completed_at=timezone.now())
        assert (
            publishing.render_and_publish(
                Badge.objects.create(
                    recipient=user, course=course, snapshot=_snapshot_for(user, design)
                ).pk
            ).result
            == "issued"
        )
        badges.append(Badge.objects.get(recipient=user))
    status_publishing.get_status_list("revocation")
    barrier = threading.Barrier(2)
    errors = []

    def revoke(badge):
        try:
            barrier.wait(timeout=10)
            issuance.revoke_badge(badge, reason="Concurrent revocation test.")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=revoke, args=(badge,)) for badge in badges]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    row = status_publishing.get_status_list("revocation")
    bits = Bitstring.decode(row.credential["credentialSubject"]["encodedList"])
    assert all(bits.get(badge.status_index) for badge in badges)


def _snapshot_for(user, design):
    from django.utils import timezone

    from certificates.models import new_public_id

    public_id = new_public_id()
    return issuance.build_snapshot(
        public_id=public_id,
        recipient_name=user.display_name,
        design=design,
        score_percent=90,
        issued_on=timezone.now().date(),
        expires_on=None,
        language="en",
    )
