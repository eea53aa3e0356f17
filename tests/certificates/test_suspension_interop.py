"""Suspension seen by outside verifiers, on credentials the site itself issued (docs/threats.md,
row C8).

The badges here go through the real services (completion → issuance → signing → PDF),
and the independent verifier (`../shared/ob3/verifier`, DCC verifier-core, offline) is
handed exactly what the site serves: the DID document, both status lists, and the
1EdTech schema. Decision 0004 explains the one status entry a credential carries.
"""

import dataclasses

import jsonschema
import pytest
from django.db import transaction

from certificates.issuing import issuance, status_publishing
from certificates.models import Badge
from certificates.signing import credentials
from certificates.signing.ob3 import credential as ob3
from certificates.signing.ob3 import status_list
from certificates.signing.ob3.status_list import StatusListError

from .ob3_support import schema

pytestmark = pytest.mark.django_db


def sign_as_before_decision_0004(badge: Badge) -> Badge:
    """Re-sign the badge's credential the way the site did before decision 0004 (one
    revocation entry), with the site's own keys, and store it: a badge issued back then."""
    loaded = credentials.issuer_keys()
    facts = credentials.badge_facts(badge, recipient_email=badge.recipient.email)
    facts = dataclasses.replace(
        facts,
        credential_status=status_list.status_entry(
            credentials.settings.SITE_URL, "revocation", badge.status_index
        ),
    )
    unsigned = ob3.build_credential(facts, credentials.issuer())
    credential = ob3.sign_credential(unsigned, loaded.ring.active)
    Badge.objects.filter(pk=badge.pk).update(
        credential=credential, credential_sha256=credentials.credential_digest(credential)
    )
    badge.refresh_from_db()
    return badge


def test_issued_credential_carries_one_schema_valid_suspension_entry(badge):
    status = badge.credential["credentialStatus"]
    assert isinstance(status, dict), "the 1EdTech schema allows one status object"
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "suspension"
    assert status["statusListIndex"] == str(badge.status_index)
    assert status["statusListCredential"].endswith("/status/suspension")
    errors = [
        e.message for e in jsonschema.Draft201909Validator(schema()).iter_errors(badge.credential)
    ]
    assert errors == []


def test_outside_verifier_sees_a_suspension_and_the_reinstatement(
    badge, verify_served, django_capture_on_commit_callbacks
):
    code, verdict = verify_served(badge.credential)
    assert (code, verdict["status"]) == (0, "valid"), verdict["failed"]

    with django_capture_on_commit_callbacks(execute=True):
        issuance.suspend_badge(badge)
    code, verdict = verify_served(badge.credential)
    assert (code, verdict["valid"]) == (2, False), verdict["failed"]
    assert "dcc.suspension_status" in verdict["failed"]

    with django_capture_on_commit_callbacks(execute=True):
        issuance.reinstate_badge(badge)
    code, verdict = verify_served(badge.credential)
    assert (code, verdict["status"]) == (0, "valid"), verdict["failed"]


def test_outside_verifier_sees_a_revocation_for_good(
    badge, verify_served, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issuance.revoke_badge(badge, reason="Plagiarised answers.")
    code, verdict = verify_served(badge.credential)
    assert (code, verdict["valid"]) == (2, False), verdict["failed"]
    # Nothing can clear the bit the credential names: not reinstatement, not the list.
    with pytest.raises(issuance.IssuanceError):
        issuance.reinstate_badge(badge)
    with transaction.atomic(), pytest.raises(StatusListError):
        status_publishing.set_status_bit(badge.status_index, "suspension", False)
    assert verify_served(badge.credential)[0] == 2


def test_outside_verifier_sees_a_superseded_badge_as_not_valid(
    badge, verify_served, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issuance.reissue_badge(badge)
    code, verdict = verify_served(badge.credential)
    assert (code, verdict["valid"]) == (2, False), verdict["failed"]


def test_badges_signed_before_0004_still_show_their_revocation_outside(
    badge, verify_served, django_capture_on_commit_callbacks
):
    legacy = sign_as_before_decision_0004(badge)
    assert not credentials.outside_verifiers_see_suspension(legacy.credential)
    assert verify_served(legacy.credential)[0] == 0
    with django_capture_on_commit_callbacks(execute=True):
        issuance.revoke_badge(legacy, reason="Plagiarised answers.")
    code, verdict = verify_served(legacy.credential)
    assert (code, verdict["valid"]) == (2, False)
    assert "dcc.revocation_status" in verdict["failed"]
