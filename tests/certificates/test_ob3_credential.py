"""OpenBadgeCredential: shape (1EdTech schema), signing, and our verifier (docs/threats.md,
rows C3-C6)."""

import copy
import hashlib
from datetime import UTC, datetime

import jsonschema
import pytest

from certificates.signing.ob3 import credential as ob3
from certificates.signing.ob3 import keys, status_list
from certificates.signing.ob3.data_integrity import UnsignableDocument

from .ob3_support import DID, ISSUER, SITE_URL, Issuance, facts, schema

HOSTILE_NAMES = {
    "markup": '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"',
    "rtl_mark": "\u200fعلي بن أبي طالب\u200f",
    "rtl_override": "Ada \u202eecalevol\u202c Lovelace",
    "emoji": "Ada 👩🏽‍💻 Lovelace 🏳️‍🌈",
    "very_long": "Ada " + "Ω" * 1996,
}


def _validate(credential: dict) -> None:
    jsonschema.Draft201909Validator(schema()).validate(credential)


def test_built_credential_has_the_ob3_shape_and_validates_against_the_schema():
    credential = ob3.build_credential(
        facts(credential_status=status_list.status_entry(SITE_URL, "revocation", 7)), ISSUER
    )
    _validate(credential)
    subject = credential["credentialSubject"]
    assert credential["issuer"]["id"] == DID == "did:web:badges.example.org"
    assert credential["validFrom"] == "2025-03-01T12:00:00Z"
    assert subject["name"] == "Ada Lovelace"
    identity = subject["identifier"][0]
    expected = "sha256$" + hashlib.sha256(b"ada@example.org2f6c0e0b9d").hexdigest()
    assert identity == {
        "type": "IdentityObject",
        "identityHash": expected,
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "2f6c0e0b9d",
    }
    assert "ada@example.org" not in str(credential)
    description = subject["achievement"]["resultDescription"][0]
    assert subject["result"] == [
        {"type": ["Result"], "resultDescription": description["id"], "value": "95"}
    ]
    assert description["requiredValue"] == "80"
    assert credential["credentialStatus"]["statusListIndex"] == "7"


def test_minimal_credential_validates_too():
    credential = ob3.build_credential(
        facts(
            valid_until=None,
            criteria_url=None,
            image_url=None,
            achievement_version=None,
            score_percent=None,
            evidence=(),
        ),
        ISSUER,
    )
    _validate(credential)
    assert "validUntil" not in credential and "result" not in credential["credentialSubject"]


def test_signed_credential_validates_and_verifies():
    issuance = Issuance()
    credential, _ = issuance.issue()
    _validate(credential)
    assert credential["proof"][0]["verificationMethod"].startswith(DID + "#key-")
    results = issuance.verify(credential)
    assert [r.name for r in results] == ["proof", "issuer_key", "validity", "revocation"]
    assert ob3.is_valid(results), results


def test_naive_dates_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        ob3.build_credential(facts(valid_from=datetime(2025, 1, 1)), ISSUER)  # noqa: DTZ001


def test_tampered_name_fails_the_proof():
    """docs/threats.md, row C3: one changed byte in credentialSubject.name."""
    issuance = Issuance()
    credential, _ = issuance.issue()
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["name"] = "Ada Lovelacf"
    assert issuance.failed(tampered) == {"proof": "signature does not match"}


def test_swapped_issuer_fails():
    issuance, other = Issuance(), Issuance()
    credential, _ = issuance.issue()
    tampered = copy.deepcopy(credential)
    tampered["issuer"]["id"] = "did:web:evil.example"
    assert {"proof", "issuer_key"} <= set(issuance.failed(tampered))
    # The same DID but someone else's key ring (a forged DID document) fails too.
    assert "proof" in other.failed(credential)


def test_proof_from_another_credential_fails():
    issuance = Issuance()
    first, _ = issuance.issue()
    second, _ = issuance.issue(recipient_name="Grace Hopper")
    spliced = copy.deepcopy(second)
    spliced["proof"] = copy.deepcopy(first["proof"])
    assert "proof" in issuance.failed(spliced)


def test_unreadable_input_gives_failed_checks_not_exceptions():
    issuance = Issuance()
    credential, _ = issuance.issue()
    for broken in (
        {**credential, "proof": [{"type": "DataIntegrityProof"}]},
        {**credential, "proof": []},
        {**credential, "@context": ["https://evil.example/ctx"]},
        {**credential, "validFrom": "yesterday"},
    ):
        assert not ob3.is_valid(issuance.verify(broken))


def test_expired_and_not_yet_valid_credentials_fail_validity():
    issuance = Issuance()
    credential, _ = issuance.issue(valid_until=datetime(2026, 1, 1, tzinfo=UTC))
    assert issuance.failed(credential, now=datetime(2026, 1, 2, tzinfo=UTC)) == {
        "validity": "expired at 2026-01-01T00:00:00Z"
    }
    assert "validity" in issuance.failed(credential, now=datetime(2025, 1, 1, tzinfo=UTC))
    assert ob3.is_valid(issuance.verify(credential, now=datetime(2025, 6, 1, tzinfo=UTC)))


def test_revoked_credential_is_reported_revoked_and_stays_revoked():
    """docs/threats.md, rows C4/C5: the bit is set in the re-signed list; clearing it is refused."""
    issuance = Issuance()
    credential, index = issuance.issue()
    other, _ = issuance.issue(recipient_name="Grace Hopper")
    status_list.set_status(issuance.bits["revocation"], index, "revocation", True)
    assert issuance.failed(credential) == {"revocation": "revoked"}
    assert ob3.is_valid(issuance.verify(other))
    with pytest.raises(status_list.StatusListError, match="cannot be undone"):
        status_list.set_status(issuance.bits["revocation"], index, "revocation", False)


def test_suspension_toggles():
    issuance = Issuance()
    credential, index = issuance.issue(purpose="suspension")
    status_list.set_status(issuance.bits["suspension"], index, "suspension", True)
    assert issuance.failed(credential) == {"suspension": "suspended"}
    status_list.set_status(issuance.bits["suspension"], index, "suspension", False)
    assert ob3.is_valid(issuance.verify(credential))


def test_forged_or_missing_status_list_fails_closed():
    issuance = Issuance()
    credential, index = issuance.issue()
    url = credential["credentialStatus"]["statusListCredential"]
    status_list.set_status(issuance.bits["revocation"], index, "revocation", True)
    forged = copy.deepcopy(issuance.status_lists()[url])
    # Someone serving the list clears the bit without the issuer's key.
    forged["credentialSubject"]["encodedList"] = status_list.Bitstring().encode()
    forged_result = ob3.verify_credential(
        credential, did_document=issuance.did_document(), status_lists={url: forged}
    )
    assert {r.name: r.detail for r in forged_result if not r.ok} == {
        "revocation": f"status list {url} is not validly signed by the issuer"
    }
    missing = ob3.verify_credential(
        credential, did_document=issuance.did_document(), status_lists={}
    )
    assert {r.name: r.detail for r in missing if not r.ok} == {
        "revocation": f"status list {url} unavailable"
    }


def test_rotation_keeps_old_badges_valid_and_signs_new_ones_with_the_new_key():
    """docs/threats.md, row C6, first half."""
    issuance = Issuance()
    old, _ = issuance.issue()
    old_key = issuance.ring.active
    issuance.ring, new_key = keys.rotate(issuance.ring)
    new, _ = issuance.issue(recipient_name="Grace Hopper")
    assert ob3.signing_key_id(old) == old_key.key_id
    assert ob3.signing_key_id(new) == new_key.key_id != old_key.key_id
    assert ob3.is_valid(issuance.verify(old))
    assert ob3.is_valid(issuance.verify(new))
    with pytest.raises(UnsignableDocument, match="retired"):
        ob3.sign_credential(
            ob3.build_credential(facts(), ISSUER), issuance.ring.get(old_key.key_id)
        )


def test_compromised_key_makes_its_badges_fail_and_only_those():
    """docs/threats.md, row C6, compromise drill."""
    issuance = Issuance()
    old, _ = issuance.issue()
    old_key_id = issuance.ring.active.key_id
    issuance.ring, replacement = keys.mark_compromised(issuance.ring, old_key_id)
    assert replacement is not None and issuance.ring.active is replacement
    new, _ = issuance.issue(recipient_name="Grace Hopper")
    failed = issuance.failed(old)
    assert set(failed) == {"issuer_key"}
    assert "compromised" in failed["issuer_key"]
    assert "assertionMethod" in failed["issuer_key"]
    assert ob3.is_valid(issuance.verify(new))


@pytest.mark.parametrize("kind", sorted(HOSTILE_NAMES))
def test_hostile_names_sign_verify_and_survive_unchanged(kind):
    issuance = Issuance()
    name = HOSTILE_NAMES[kind]
    credential, _ = issuance.issue(
        recipient_name=name, achievement_name=name, achievement_description=name
    )
    _validate(credential)
    assert credential["credentialSubject"]["name"] == name
    assert ob3.is_valid(issuance.verify(credential))
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["name"] = name.replace("\u202e", "")[:-1] + "!"
    assert "proof" in issuance.failed(tampered)


@pytest.mark.parametrize("name", ["Ada\x00", "Ada\x1b[31m", "Ada\bLovelace", "Ada\x7f"])
def test_control_characters_in_names_are_refused_with_a_clear_error(name):
    issuance = Issuance()
    with pytest.raises(UnsignableDocument, match="credentialSubject.name"):
        issuance.issue(recipient_name=name)


def test_relative_achievement_id_is_refused():
    with pytest.raises(UnsignableDocument, match="relative"):
        Issuance().issue(achievement_id="/courses/foundations/badge")


def test_wording_language_is_stated_on_the_credential_and_its_achievement():
    credential = ob3.build_credential(
        facts(language="zh-Hant", achievement_name="資料標註員", recipient_name="陳體說"), ISSUER
    )
    _validate(credential)
    assert credential["inLanguage"] == "zh-Hant"
    assert credential["credentialSubject"]["achievement"]["inLanguage"] == "zh-Hant"
    # The name and description stay the plain strings the schema requires.
    assert credential["name"] == credential["credentialSubject"]["achievement"]["name"]
    assert isinstance(credential["credentialSubject"]["achievement"]["description"], str)
    # The recipient's name is not tagged: it may be written in any script.
    assert "inLanguage" not in credential["credentialSubject"]
    assert "inLanguage" not in ob3.build_credential(facts(), ISSUER)


@pytest.mark.parametrize("tag", ["zh-hant", "ZH-Hant", "zh_Hant", "", "en-", "english"])
def test_a_language_the_schema_would_refuse_is_refused_before_signing(tag):
    with pytest.raises(ValueError, match="BCP 47"):
        ob3.build_credential(facts(language=tag), ISSUER)
    # Why: the schema refuses the same spelling (except "", which build_credential could
    # otherwise drop silently and issue a badge claiming no language).
    if tag:
        credential = ob3.build_credential(facts(language="en"), ISSUER)
        credential["credentialSubject"]["achievement"]["inLanguage"] = tag
        with pytest.raises(jsonschema.ValidationError):
            _validate(credential)


def test_the_language_is_signed():
    issuance = Issuance()
    credential, _ = issuance.issue(language="zh-Hant")
    assert issuance.failed(credential) == {}
    credential["inLanguage"] = "en"
    assert "proof" in issuance.failed(credential)
