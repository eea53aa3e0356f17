"""An independent verifier accepts what we issue (docs/threats.md, rows C3-C6).

It is the Digital Credentials Consortium's `@digitalcredentials/verifier-core`, wrapped by
`../shared/ob3/verifier/verify.mjs` and run offline: our DID document, status lists and
the 1EdTech schema are handed to it, every other request is refused. The npm install is
done once per test session in a temporary directory. Without node/npm or the verifier
folder the tests are skipped with the reason; CI has all three, so they run there.
"""

import copy
import json

import pytest

from certificates.signing.ob3 import credential as ob3
from certificates.signing.ob3 import keys, status_list

from .ob3_support import DID, SCHEMA_PATH, Issuance, run_shared_verifier
from .test_ob3_credential import HOSTILE_NAMES


@pytest.fixture
def verify(verifier_dir, tmp_path):
    """verify(credential, issuance) -> (exit code, verdict JSON)."""

    def run(credential: dict, issuance: Issuance) -> tuple[int, dict]:
        docs = {
            DID: issuance.did_document(),
            **issuance.status_lists(),
            ob3.OB_SCHEMA_URL: json.loads(SCHEMA_PATH.read_text()),
        }
        return run_shared_verifier(verifier_dir, tmp_path, credential, docs)

    return run


def _failed(verdict: dict) -> set[str]:
    return set(verdict["failed"])


def test_fresh_credential_is_valid_including_the_1edtech_schema(verify):
    issuance = Issuance()
    credential, _ = issuance.issue()
    code, verdict = verify(credential, issuance)
    assert (code, verdict["status"]) == (0, "valid"), verdict["failed"]
    checks = {c["id"]: c["ok"] for c in verdict["checks"]}
    assert checks["dcc.valid_signature"] and checks["dcc.schema_check"]
    assert checks["dcc.revocation_status"]


def test_tampered_name_is_rejected(verify):
    issuance = Issuance()
    credential, _ = issuance.issue()
    credential["credentialSubject"]["name"] = "Ada Lovelacf"
    code, verdict = verify(credential, issuance)
    assert code == 1 and "dcc.invalid_signature" in _failed(verdict)


def test_swapped_issuer_is_rejected(verify):
    issuance = Issuance()
    credential, _ = issuance.issue()
    credential["issuer"]["name"] = "Evil Academy"
    code, verdict = verify(credential, issuance)
    assert code == 1 and "dcc.invalid_signature" in _failed(verdict)
    other = Issuance()  # same DID, a forger's keys
    forged, _ = other.issue()
    code, verdict = verify(forged, issuance)
    assert code == 1 and verdict["status"] == "invalid"


def test_proof_from_another_credential_is_rejected(verify):
    issuance = Issuance()
    first, _ = issuance.issue()
    second, _ = issuance.issue(recipient_name="Grace Hopper")
    second["proof"] = copy.deepcopy(first["proof"])
    code, verdict = verify(second, issuance)
    assert code == 1 and "dcc.invalid_signature" in _failed(verdict)


def test_revoked_credential_is_reported_revoked(verify):
    issuance = Issuance()
    credential, index = issuance.issue()
    status_list.set_status(issuance.bits["revocation"], index, "revocation", True)
    code, verdict = verify(credential, issuance)
    assert (code, verdict["status"]) == (2, "revoked")
    assert "dcc.revocation_status" in _failed(verdict)


def test_suspended_credential_is_reported_and_reinstated(verify):
    issuance = Issuance()
    credential, index = issuance.issue(purpose="suspension")
    status_list.set_status(issuance.bits["suspension"], index, "suspension", True)
    code, verdict = verify(credential, issuance)
    assert code == 2 and "dcc.suspension_status" in _failed(verdict)
    status_list.set_status(issuance.bits["suspension"], index, "suspension", False)
    assert verify(credential, issuance)[0] == 0


def test_rotation_keeps_old_badges_valid(verify):
    issuance = Issuance()
    old, _ = issuance.issue()
    issuance.ring, _ = keys.rotate(issuance.ring)
    new, _ = issuance.issue(recipient_name="Grace Hopper")
    assert ob3.signing_key_id(old) != ob3.signing_key_id(new)
    assert verify(old, issuance)[0] == 0
    assert verify(new, issuance)[0] == 0


def test_compromised_key_badges_fail(verify):
    issuance = Issuance()
    old, _ = issuance.issue()
    issuance.ring, _ = keys.mark_compromised(issuance.ring, issuance.ring.active.key_id)
    new, _ = issuance.issue(recipient_name="Grace Hopper")
    code, verdict = verify(old, issuance)
    assert (code, verdict["status"]) == (1, "invalid"), verdict["failed"]
    assert "dcc.invalid_signature" in _failed(verdict)
    assert verify(new, issuance)[0] == 0


@pytest.mark.parametrize("kind", sorted(HOSTILE_NAMES))
def test_hostile_names_verify_independently(verify, kind):
    issuance = Issuance()
    name = HOSTILE_NAMES[kind]
    credential, _ = issuance.issue(recipient_name=name, achievement_name=name)
    code, verdict = verify(credential, issuance)
    assert (code, verdict["status"]) == (0, "valid"), verdict["failed"]


def test_multiline_text_verifies_independently(verify):
    """Tab and newline are allowed: pyld and RDFC-1.0 escape them the same way."""
    issuance = Issuance()
    credential, _ = issuance.issue(achievement_description="Line one\nLine\ttwo\r\n")
    assert verify(credential, issuance)[0] == 0


def test_language_of_a_traditional_chinese_credential_verifies_independently(verify):
    """inLanguage on the credential and the achievement passes DCC and the 1EdTech schema;
    the JSON-LD value objects that would tag `name` itself do not (credential.py)."""
    issuance = Issuance()
    credential, _ = issuance.issue(
        language="zh-Hant",
        achievement_name="認證資料標註員",
        achievement_description="依書面準則為模型訓練標註資料。",
        recipient_name="陳體說",
    )
    code, verdict = verify(credential, issuance)
    assert (code, verdict["status"]) == (0, "valid"), verdict["failed"]
    checks = {c["id"]: c["ok"] for c in verdict["checks"]}
    assert checks["dcc.valid_signature"] and checks["dcc.schema_check"]
    assert verdict["credential"]["achievement"] == "認證資料標註員"

    credential["credentialSubject"]["achievement"]["inLanguage"] = "en"
    code, verdict = verify(credential, issuance)
    assert code == 1 and "dcc.invalid_signature" in _failed(verdict)
