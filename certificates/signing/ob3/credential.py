"""OpenBadgeCredential (Open Badges 3.0, VC Data Model 2.0): build, sign, verify.

`build_credential` turns a frozen badge snapshot (plain values) into the unsigned JSON;
`sign_credential` adds an eddsa-rdfc-2022 proof by the issuer's active key;
`verify_credential` is our own verifier: signature, issuer key, validity dates, status.
"""

import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .data_integrity import (
    ProofError,
    UnsignableDocument,
    create_proof,
    multikey_to_public_key,
    proofs_of,
    verify_proof,
    with_proof,
    xsd_datetime,
)
from .document_loader import OB_EXTENSIONS, OB_V3P0, VC_V2
from .keys import IssuerKey
from .status_list import Bitstring, StatusListError

OB_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
# The 1EdTech schema's pattern for Achievement.inLanguage: a BCP 47 tag in its conventional
# case ("en", "zh-Hant", "en-GB"); "zh-hant" fails it.
LANGUAGE_TAG = re.compile(r"[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?")


def identity_hash(email: str, salt: str) -> str:
    """OB 3.0 IdentityHash: 'sha256$' + hex(sha256(email + salt)).

    The e-mail is used exactly as given; callers normalise it (e.g. lower-case) when they
    freeze the badge snapshot, so the holder can reproduce the hash.
    """
    return "sha256$" + hashlib.sha256((email + salt).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Issuer:
    did: str
    name: str
    url: str


@dataclass(frozen=True)
class Evidence:
    name: str
    narrative: str = ""
    url: str | None = None


@dataclass(frozen=True)
class BadgeFacts:
    """The frozen snapshot a credential is built from; nothing here is looked up later."""

    credential_id: str  # urn:uuid:<uuid> or the public badge URL
    achievement_id: str  # absolute URL under SITE_URL
    achievement_name: str
    achievement_description: str
    criteria_narrative: str
    recipient_email: str
    recipient_salt: str
    recipient_name: str
    valid_from: datetime
    valid_until: datetime | None = None
    criteria_url: str | None = None
    image_url: str | None = None
    achievement_version: str | None = None
    score_percent: Decimal | int | None = None
    pass_mark_percent: Decimal | int | None = None
    evidence: tuple[Evidence, ...] = ()
    credential_status: dict | None = None  # from status_list.status_entry
    # The language of the wording (names, descriptions, criteria), not of the recipient's
    # name; LANGUAGE_TAG's spelling.
    language: str | None = None


def _number(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f")


def build_credential(facts: BadgeFacts, issuer: Issuer) -> dict:
    """The unsigned OpenBadgeCredential for `facts`, issued by `issuer`.

    The wording's language goes in `inLanguage`, on the credential and on the achievement,
    rather than as JSON-LD language-tagged values ({"@value": ..., "@language": ...}) on
    `name` and `description`: the 1EdTech schema requires those to be plain strings, and
    the independent verifier fails such a credential (and an achievement whose name is
    not a string). A default "@language" in the credential's @context would tag every
    string, the recipient's name (any script) and identity hash included.
    """
    if facts.language is not None and not LANGUAGE_TAG.fullmatch(facts.language):
        raise ValueError(f"not a BCP 47 tag the Open Badges schema accepts: {facts.language!r}")
    achievement: dict = {
        "id": facts.achievement_id,
        "type": ["Achievement"],
        "name": facts.achievement_name,
        "description": facts.achievement_description,
        "criteria": {"narrative": facts.criteria_narrative},
    }
    if facts.criteria_url:
        achievement["criteria"]["id"] = facts.criteria_url
    if facts.image_url:
        achievement["image"] = {"id": facts.image_url, "type": "Image"}
    if facts.achievement_version:
        achievement["version"] = facts.achievement_version
    if facts.language:
        # Open Badges 3.0 defines Achievement.inLanguage (schema.org/inLanguage).
        achievement["inLanguage"] = facts.language
    subject: dict = {
        "type": ["AchievementSubject"],
        "name": facts.recipient_name,
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(facts.recipient_email, facts.recipient_salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": facts.recipient_salt,
            }
        ],
        "achievement": achievement,
    }
    if facts.score_percent is not None:
        score_id = f"{facts.achievement_id}#score"
        description = {
            "id": score_id,
            "type": ["ResultDescription"],
            "name": "Score",
            "resultType": "Percent",
            "valueMin": "0",
            "valueMax": "100",
        }
        if facts.pass_mark_percent is not None:
            description["requiredValue"] = _number(facts.pass_mark_percent)
        achievement["resultDescription"] = [description]
        subject["result"] = [
            {
                "type": ["Result"],
                "resultDescription": score_id,
                "value": _number(facts.score_percent),
            }
        ]
    credential: dict = {
        "@context": [VC_V2, OB_V3P0, OB_EXTENSIONS],
        "id": facts.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": facts.achievement_name,
        "issuer": {"id": issuer.did, "type": ["Profile"], "name": issuer.name, "url": issuer.url},
        "validFrom": xsd_datetime(facts.valid_from),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if facts.language:
        # The same schema.org term: defined for any node by the OB 3.0 context, and the
        # schema allows properties it does not list on the credential.
        credential["inLanguage"] = facts.language
    if facts.valid_until is not None:
        credential["validUntil"] = xsd_datetime(facts.valid_until)
    if facts.evidence:
        credential["evidence"] = [_evidence(item) for item in facts.evidence]
    if facts.credential_status:
        credential["credentialStatus"] = dict(facts.credential_status)
    return credential


def _evidence(item: Evidence) -> dict:
    entry: dict = {"type": ["Evidence"], "name": item.name}
    if item.url:
        entry["id"] = item.url
    if item.narrative:
        entry["narrative"] = item.narrative
    return entry


def issuer_id(credential: Mapping) -> str:
    issuer = credential.get("issuer")
    return issuer.get("id", "") if isinstance(issuer, Mapping) else str(issuer or "")


def sign_credential(credential: dict, key: IssuerKey, *, created: datetime | None = None) -> dict:
    """A copy of `credential` with a Data Integrity proof by `key`.

    Raises `UnsignableDocument` for content other verifiers would read differently
    (control characters, terms undefined by the contexts, relative IRIs), and for a key
    that is not the active one: retired and compromised keys sign nothing new.
    """
    if key.status != "active":
        raise UnsignableDocument(f"issuer key {key.key_id} is {key.status}: use the active key")
    unsigned = {name: value for name, value in credential.items() if name != "proof"}
    proof = create_proof(
        unsigned,
        private_key=key.private_key,
        verification_method=key.verification_method(issuer_id(credential)),
        created=xsd_datetime(created or datetime.now(UTC)),
    )
    return with_proof(unsigned, proof)


def signing_key_id(credential: Mapping) -> str | None:
    """The key id (DID URL fragment) that signed `credential`, to find badges to re-issue."""
    for proof in proofs_of(dict(credential)):
        method = proof.get("verificationMethod", "")
        if isinstance(method, str) and "#" in method:
            return method.split("#", 1)[1]
    return None


# --- our verifier ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    name: str  # proof | issuer_key | validity | revocation | suspension
    ok: bool
    detail: str = ""


def is_valid(results: list[CheckResult]) -> bool:
    return bool(results) and all(result.ok for result in results)


def _check_signature(document: dict, did_document: Mapping) -> tuple[CheckResult, CheckResult]:
    """(proof, issuer_key) results for a credential or a status list credential."""
    proofs = proofs_of(document)
    if len(proofs) != 1:
        failure = CheckResult("proof", False, f"expected one proof, found {len(proofs)}")
        return failure, CheckResult("issuer_key", False, "no proof to attribute")
    proof = proofs[0]
    method_id = proof.get("verificationMethod")
    did = issuer_id(document)
    methods = {m.get("id"): m for m in did_document.get("verificationMethod", [])}
    method = methods.get(method_id)
    if did_document.get("id") != did or method is None:
        return (
            CheckResult("proof", False, f"verification method {method_id} is not the issuer's"),
            CheckResult("issuer_key", False, f"{method_id} not in the DID document of {did}"),
        )
    key_problems = []
    if method.get("controller") != did or not str(method_id).startswith(did + "#"):
        key_problems.append("key not controlled by the issuer")
    if method.get("revoked"):
        key_problems.append(f"key marked compromised at {method['revoked']}")
    if method_id not in did_document.get("assertionMethod", []):
        key_problems.append("key not authorised for assertionMethod")
    if proof.get("proofPurpose") != "assertionMethod":
        key_problems.append(f"proof purpose {proof.get('proofPurpose')!r}")
    key_result = CheckResult("issuer_key", not key_problems, "; ".join(key_problems))
    try:
        ok = verify_proof(document, proof, multikey_to_public_key(method["publicKeyMultibase"]))
    except (ProofError, KeyError) as error:
        return CheckResult("proof", False, str(error)), key_result
    return CheckResult("proof", ok, "" if ok else "signature does not match"), key_result


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _check_validity(credential: Mapping, now: datetime) -> CheckResult:
    valid_from = _parse(credential.get("validFrom"))
    if valid_from is None:
        return CheckResult("validity", False, "validFrom missing or malformed")
    if valid_from > now:
        return CheckResult("validity", False, f"not valid before {credential['validFrom']}")
    if "validUntil" in credential:
        valid_until = _parse(credential["validUntil"])
        if valid_until is None:
            return CheckResult("validity", False, "validUntil malformed")
        if valid_until <= now:
            return CheckResult("validity", False, f"expired at {credential['validUntil']}")
    return CheckResult("validity", True)


def _check_status(
    entry: Mapping, credential: Mapping, did_document: Mapping, status_lists: Mapping
) -> CheckResult:
    purpose = entry.get("statusPurpose")
    name = purpose if purpose in ("revocation", "suspension") else "status"
    if entry.get("type") != "BitstringStatusListEntry":
        return CheckResult(name, False, f"unsupported status type {entry.get('type')!r}")
    url = entry.get("statusListCredential")
    status_list = status_lists.get(url)
    if status_list is None:
        return CheckResult(name, False, f"status list {url} unavailable")
    proof, key = _check_signature(copy.deepcopy(status_list), did_document)
    if not (proof.ok and key.ok) or issuer_id(status_list) != issuer_id(credential):
        return CheckResult(name, False, f"status list {url} is not validly signed by the issuer")
    subject = status_list.get("credentialSubject", {})
    if subject.get("statusPurpose") != purpose:
        return CheckResult(name, False, f"status list {url} is not a {purpose} list")
    try:
        bits = Bitstring.decode(subject.get("encodedList"))
        flagged = bits.get(int(entry.get("statusListIndex")))
    except (StatusListError, TypeError, ValueError) as error:
        return CheckResult(name, False, f"status entry unreadable: {error}")
    if flagged:
        return CheckResult(name, False, "revoked" if purpose == "revocation" else "suspended")
    return CheckResult(name, True)


def verify_credential(
    credential: dict,
    *,
    did_document: Mapping,
    status_lists: Mapping[str, dict],
    now: datetime | None = None,
) -> list[CheckResult]:
    """Check `credential` against the issuer's DID document and its status lists.

    Returns one result per check (proof, issuer_key, validity, then one per status
    entry); `is_valid(results)` says whether all passed. Never raises for bad input.
    """
    try:
        proof, key = _check_signature(credential, did_document)
    except (UnsignableDocument, ProofError, TypeError, AttributeError) as error:
        proof = CheckResult("proof", False, f"unreadable credential: {error}")
        key = CheckResult("issuer_key", False, "unreadable credential")
    results = [proof, key, _check_validity(credential, now or datetime.now(UTC))]
    statuses = credential.get("credentialStatus", [])
    for entry in statuses if isinstance(statuses, list) else [statuses]:
        results.append(_check_status(entry, credential, did_document, status_lists))
    return results
