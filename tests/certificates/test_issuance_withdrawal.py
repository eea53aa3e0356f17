"""Withdrawing a fellow's badges on erasure: what the row keeps, and deleting the files of
withdrawn badges (how many, which, and what the operator is told when storage fails)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from certificates.issuing import issuance
from certificates.models import Badge
from tests.support.staff import make_badge

State = Badge.State


def files_of(badge) -> list[str]:
    if not default_storage.exists(f"badges/{badge.public_id}"):
        return []
    return sorted(default_storage.listdir(f"badges/{badge.public_id}")[1])


def store(badge, name: str) -> str:
    return default_storage.save(f"badges/{badge.public_id}/{name}", ContentFile(b"%PDF-1.7"))


def error_messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.django_db(transaction=True)
def test_withdrawing_outside_the_erasures_transaction_is_refused_and_changes_nothing(design):
    badge = make_badge(design=design)
    with pytest.raises(issuance.IssuanceError) as refused:
        issuance.withdraw_badges_of(badge.recipient)
    assert str(refused.value) == "withdraw_badges_of must run inside the erasure's transaction"
    badge.refresh_from_db()
    assert (badge.state, badge.withdrawn_at) == (State.ISSUED, None)


@pytest.mark.django_db
def test_a_withdrawn_badge_keeps_no_name_credential_pdf_or_error(design):
    badge = make_badge(design=design, name="Ada Lovelace", pdf="badges/x/ada.pdf")
    Badge.objects.filter(pk=badge.pk).update(
        credential={"credentialSubject": {"name": "Ada Lovelace"}},
        credential_sha256="ab" * 32,
        pdf_sha256="cd" * 32,
        earlier_pdf_sha256=["ef" * 32],
        last_error="OSError('no font for Ada Lovelace')",
    )
    with transaction.atomic():
        assert issuance.withdraw_badges_of(badge.recipient) == [badge.public_id]

    badge.refresh_from_db()
    assert badge.state == State.REVOKED
    assert badge.revocation_reason == issuance.WITHDRAWN_REASON
    assert badge.snapshot["recipient_name"] == ""
    assert badge.snapshot["course_title"] == design.course.title  # what it was for stays
    assert (badge.credential, badge.credential_sha256) == (None, "")
    assert (badge.pdf.name, badge.pdf_sha256, badge.earlier_pdf_sha256) == ("", "", [])
    assert badge.last_error == ""
    assert str(badge) == f"{design.title} — (withdrawn)"


@pytest.mark.django_db
def test_deleting_withdrawn_badges_files_goes_on_past_a_badge_that_has_none(design):
    never_rendered = make_badge(design=design, state=State.REVOKED)
    rendered = make_badge(design=design, state=State.REVOKED)
    store(rendered, "current.pdf")
    store(rendered, "surplus.pdf")
    also_rendered = make_badge(design=design, state=State.REVOKED)
    store(also_rendered, "current.pdf")

    ids = [never_rendered.public_id, rendered.public_id, also_rendered.public_id]
    assert issuance.delete_badge_files(ids) == 3
    assert files_of(rendered) == [] and files_of(also_rendered) == []
    assert issuance.delete_badge_files(ids) == 0


@pytest.mark.django_db
def test_a_badge_whose_files_cannot_be_listed_is_logged_and_the_others_still_deleted(
    design, caplog
):
    broken = make_badge(design=design, state=State.REVOKED)
    # Storage gives an error other than "not found" for this badge's folder.
    default_storage.save(f"badges/{broken.public_id}", ContentFile(b"not a folder"))
    rendered = make_badge(design=design, state=State.REVOKED)
    store(rendered, "current.pdf")

    with caplog.at_level("ERROR", logger="credence.badges"):
        assert issuance.delete_badge_files([broken.public_id, rendered.public_id]) == 1

    assert files_of(rendered) == []
    [message] = error_messages(caplog)
    assert message.startswith(f"could not list the files of withdrawn badge {broken.public_id}: ")
    assert "Not a directory" in message


@pytest.mark.django_db
def test_a_file_that_cannot_be_deleted_is_logged_and_the_rest_deleted(design, caplog, monkeypatch):
    badge = make_badge(design=design, state=State.REVOKED)
    stuck = store(badge, "a-stuck.pdf")
    store(badge, "b-current.pdf")
    delete = default_storage.delete

    def refuse_one(name):
        if name == stuck:
            raise OSError("read-only file system")
        delete(name)

    monkeypatch.setattr(default_storage, "delete", refuse_one)
    with caplog.at_level("ERROR", logger="credence.badges"):
        assert issuance.delete_badge_files([badge.public_id]) == 1

    assert files_of(badge) == ["a-stuck.pdf"]
    assert error_messages(caplog) == [
        f"could not delete a file of withdrawn badge {badge.public_id}: read-only file system"
    ]


@pytest.mark.django_db
def test_the_sweeper_says_how_many_files_of_withdrawn_badges_it_deleted(design, caplog):
    badge = make_badge(design=design, state=State.REVOKED)
    with transaction.atomic():
        issuance.withdraw_badges_of(badge.recipient)
    store(badge, "left-behind.pdf")
    store(badge, "also-left.pdf")

    with caplog.at_level("INFO", logger="credence.badges"):
        assert issuance.sweep_withdrawn_badge_files() == 2
    assert files_of(badge) == []
    messages = [r.getMessage() for r in caplog.records if r.getMessage().startswith("sweeper")]
    assert messages == ["sweeper deleted 2 file(s) left by withdrawn badges"]

    caplog.clear()
    with caplog.at_level("INFO", logger="credence.badges"):
        assert issuance.sweep_withdrawn_badge_files() == 0
    assert caplog.records == []
