"""What the verify page says about a credential or PDF someone presents: every check, in
order, with its outcome and the words people read; and the verdict that follows."""

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import transaction

from certificates.issuing import status_publishing
from certificates.models import Badge
from certificates.public import verification
from certificates.public.verification import verify_presented_credential
from certificates.signing import credentials
from certificates.signing.ob3 import credential as ob3
from certificates.signing.ob3 import status_list

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
GENUINE_PDF = "Genuine and unaltered: byte for byte the PDF we issued."
ALTERED_PDF = (
    "Altered: this file differs from every PDF issued for this badge "
    "(its name, course, dates or other content may have been edited)."
)
ON_LIST = "Not revoked on the issuer's signed status list or record."
IDENTICAL = "Identical to the credential on the issuer's record."
DIFFERS = "Differs from the credential on the issuer's record for this badge."


def checks_of(verdict) -> list[tuple]:
    return [(c.name, c.passed, c.detail) for c in verdict.checks]


def valid_until(badge) -> tuple:
    return ("not_expired", True, f"Valid until {verification._day(badge.expires_at)}.")


def key_detail(badge) -> str:
    key_id = ob3.signing_key_id(badge.credential)
    return f"Signed by {key_id}, published in the issuer's DID."


def test_a_genuine_credential_and_pdf_pass_every_check_in_words_people_read(badge):
    pdf = badge.pdf.read()
    verdict = verify_presented_credential(badge.credential, pdf_bytes=pdf, now=NOW)

    assert verdict.code == "valid"
    assert checks_of(verdict) == [
        ("signature", True, "eddsa-rdfc-2022 proof verified."),
        ("issuer_key", True, key_detail(badge)),
        ("matches_record", True, IDENTICAL),
        valid_until(badge),
        ("not_revoked", True, ON_LIST),
        ("pdf_unaltered", True, GENUINE_PDF),
    ]
    assert {c.checked_at for c in verdict.checks} == {NOW}
    assert verdict.as_dict()["checks"][0]["checked_at"] == "2025-06-01T09:30:00Z"


def test_an_edited_pdf_is_altered_and_says_what_may_have_changed(badge):
    pdf = badge.pdf.read()
    edited = pdf.replace(b"%%EOF", b"% edited\n%%EOF")
    verdict = verify_presented_credential(badge.credential, pdf_bytes=edited, now=NOW)
    assert verdict.code == "altered"
    assert checks_of(verdict)[-1] == ("pdf_unaltered", False, ALTERED_PDF)
    assert verdict.checks[-1].checked_at == NOW


def test_a_pdf_issued_before_a_rerender_is_still_genuine(badge):
    earlier = b"%PDF-1.7 the badge as first issued"
    Badge.objects.filter(pk=badge.pk).update(
        earlier_pdf_sha256=[hashlib.sha256(earlier).hexdigest()]
    )
    badge.refresh_from_db()
    verdict = verify_presented_credential(badge.credential, pdf_bytes=earlier, now=NOW)
    assert verdict.code == "valid"
    assert checks_of(verdict)[-1] == ("pdf_unaltered", True, GENUINE_PDF)


def test_an_edited_credential_fails_its_proof_and_differs_from_the_record(badge):
    edited = dict(badge.credential)
    edited["credentialSubject"] = {**edited["credentialSubject"], "name": "Mallory"}
    verdict = verify_presented_credential(edited, now=NOW)

    assert verdict.code == "invalid"
    assert checks_of(verdict) == [
        ("signature", False, "signature does not match"),
        ("issuer_key", True, "Issuer key known."),
        ("matches_record", False, DIFFERS),
        valid_until(badge),
        ("not_revoked", True, ON_LIST),
    ]
    assert {c.checked_at for c in verdict.checks} == {NOW}


def test_without_the_issuers_keys_nothing_is_called_valid_and_the_reason_is_given(
    badge, settings, tmp_path
):
    settings.CREDENCE_ISSUER_KEYS_FILE = str(tmp_path / "missing.json")
    settings.CREDENCE_ISSUER_KEYS_AUTOCREATE = False
    reason = (
        f"Could not check: the issuer's keys could not be read (no issuer key file at "
        f"{tmp_path / 'missing.json'}: run `manage.py issuer_keys create`)."
    )
    verdict = verify_presented_credential(badge.credential, now=NOW)

    assert verdict.code == "unverified"
    assert checks_of(verdict) == [
        ("signature", None, reason),
        ("issuer_key", None, reason),
        ("matches_record", True, IDENTICAL),
        valid_until(badge),
        ("not_revoked", True, "Not revoked or suspended on the issuer's record."),
    ]
    assert {c.checked_at for c in verdict.checks} == {NOW}


def test_a_revoked_badge_keeps_the_records_date_whatever_the_list_says(badge):
    Badge.objects.filter(pk=badge.pk).update(
        state=Badge.State.REVOKED, revoked_at=NOW - timedelta(days=1), revocation_reason="Fraud."
    )
    badge.refresh_from_db()
    verdict = verify_presented_credential(badge.credential, now=NOW)
    assert verdict.code == "revoked"
    lifecycle = verdict.checks[-1]
    assert (lifecycle.name, lifecycle.passed, lifecycle.checked_at) == ("not_revoked", False, NOW)
    assert lifecycle.detail == f"Revoked on {verification._day(NOW - timedelta(days=1))}."


def test_a_badge_without_an_expiry_says_it_does_not_expire(badge):
    Badge.objects.filter(pk=badge.pk).update(expires_at=None)
    badge.refresh_from_db()
    verdict = verify_presented_credential(badge.credential, now=NOW)
    assert ("not_expired", True, "This badge does not expire.") in checks_of(verdict)


# --- what the signed status lists say --------------------------------------------------


def resign(badge, statuses) -> dict:
    """Sign the badge's credential anew with the site's key, with `statuses` as its
    credentialStatus, and keep it as the badge's record (a badge issued that way)."""
    loaded = credentials.issuer_keys()
    facts = credentials.badge_facts(badge, recipient_email=badge.recipient.email)
    unsigned = ob3.build_credential(
        dataclasses.replace(facts, credential_status=None), credentials.issuer()
    )
    unsigned["credentialStatus"] = statuses
    credential = ob3.sign_credential(unsigned, loaded.ring.active)
    Badge.objects.filter(pk=badge.pk).update(
        credential=credential, credential_sha256=credentials.credential_digest(credential)
    )
    badge.refresh_from_db()
    return credential


def entry(badge, purpose):
    return status_list.status_entry(settings.SITE_URL, purpose, badge.status_index)


def flag(badge, *purposes):
    with transaction.atomic():
        for purpose in purposes:
            status_publishing.set_status_bit(badge.status_index, purpose, True)


@pytest.mark.parametrize(
    ("purposes", "flagged", "detail"),
    [
        (["revocation"], ["revocation"], "revoked"),
        (["suspension"], ["suspension"], "suspended"),
        (["revocation", "suspension"], ["revocation", "suspension"], "revoked; suspended"),
    ],
)
def test_a_badge_the_signed_lists_flag_is_not_valid_even_if_the_record_says_issued(
    badge, purposes, flagged, detail
):
    """Outside verifiers read the signed lists; ours must not call valid what they call
    revoked or suspended (say, a record restored from an older backup)."""
    credential = resign(badge, [entry(badge, p) for p in purposes])
    flag(badge, *flagged)

    verdict = verify_presented_credential(credential, now=NOW)

    assert verdict.code == "invalid"
    assert checks_of(verdict)[-1] == ("not_revoked", False, detail)
    assert verdict.checks[-1].checked_at == NOW
    assert verdict.detail == detail


def test_a_flag_on_a_list_the_credential_does_not_name_changes_nothing(badge):
    credential = resign(badge, [entry(badge, "suspension")])
    flag(badge, "revocation")
    verdict = verify_presented_credential(credential, now=NOW)
    assert verdict.code == "valid"
    assert checks_of(verdict)[-1] == ("not_revoked", True, ON_LIST)


def test_a_status_entry_no_list_answers_for_is_not_valid(badge):
    url = f"{settings.SITE_URL}/status/message"
    odd = {
        "id": f"{url}#{badge.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": str(badge.status_index),
        "statusListCredential": url,
    }
    credential = resign(badge, [odd])
    verdict = verify_presented_credential(credential, now=NOW)
    assert verdict.code == "invalid"
    assert checks_of(verdict)[-1] == ("not_revoked", False, f"status list {url} unavailable")


# --- not a badge of ours ---------------------------------------------------------------


@pytest.mark.parametrize(
    "presented",
    [
        "not a credential",
        ["a", "list"],
        {},
        {"id": 42},
        {"id": "urn:uuid:0b8c3c1e-0000-4000-8000-000000000000"},
        {"id": "https://elsewhere.example/badges/abc/credential.json"},
    ],
)
def test_what_is_not_a_credential_of_ours_is_not_recognised(badge, presented):
    verdict = verify_presented_credential(presented, now=NOW)
    assert (verdict.code, verdict.checks, verdict.badge) == ("unknown", (), None)


def test_a_well_formed_id_of_no_badge_is_not_recognised(badge):
    other = dict(badge.credential)
    unknown_id = "A" * len(badge.public_id)
    other["id"] = badge.credential["id"].replace(badge.public_id, unknown_id)
    assert verification.public_id_from_credential_id(other["id"]) == unknown_id
    verdict = verify_presented_credential(other, now=NOW)
    assert (verdict.code, verdict.checks) == ("unknown", ())


@pytest.mark.parametrize("public_id", [None, 42, "", "short", "x" * 200, "bad id with spaces"])
def test_find_badge_answers_none_for_what_is_not_a_public_id_without_a_query(
    badge, public_id, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert verification.find_badge(public_id) is None


def test_find_badge_finds_a_badge_by_its_public_id_in_one_query(badge, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert verification.find_badge(badge.public_id) == badge
    with django_assert_num_queries(1):
        assert verification.find_badge("A" * len(badge.public_id)) is None
