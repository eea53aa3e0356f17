"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C vc-di-eddsa).

Signed bytes are sha256(RDFC-1.0 of the proof config) || sha256(RDFC-1.0 of the document);
`proofValue` is multibase base58btc (`z`) of the 64-byte Ed25519 signature. pyld names
RDFC-1.0 `URDNA2015`; its default algorithm (URGNA2012) is a different one.
"""

import copy
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from .document_loader import DocumentNotShipped, JsonLdLoader, default_loader

CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_TYPE = "DataIntegrityProof"
# Multicodec prefixes (varint): ed25519-pub 0xed, ed25519-priv 0x1300.
_ED25519_PUB_PREFIX = b"\xed\x01"
_ED25519_PRIV_PREFIX = b"\x80\x26"
# Terms a context does not define land in this vocabulary through VC 2.0's @vocab; other
# verifiers reject them, so we refuse to sign them.
_ISSUER_DEPENDENT = "https://www.w3.org/ns/credentials/issuer-dependent#"
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# pyld resolves relative IRIs (and, without @vocab, undefined types) against a base,
# falling back to http://example.org/base/. Expanding against a base that can never be
# real makes every such IRI recognisable afterwards.
_SENTINEL_BASE = "https://relative-iri.invalid/base/"
_SENTINEL_ORIGIN = "https://relative-iri.invalid/"  # "/path" replaces the base's path
# pyld 3.3.0 escapes these unlike RDFC-1.0 (which writes \b, \f and \u00XX), so a string
# holding one would get a signature no other implementation reproduces. Tab, newline and
# carriage return are escaped identically by both and stay allowed.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class UnsignableDocument(ValueError):
    """The document would not canonicalise the same way in other verifiers: refused."""


class ProofError(ValueError):
    """A proof is malformed (wrong type, cryptosuite, encoding) and cannot be checked."""


def xsd_datetime(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, the form every OB 3.0 verifier accepts."""
    if moment.tzinfo is None:
        raise ValueError("credential dates must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- multibase / Multikey ----------------------------------------------------


def encode_base58btc(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode("ascii")


def decode_base58btc(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("expected a multibase base58btc value starting with 'z'")
    try:
        return base58.b58decode(value[1:])
    except ValueError as error:
        raise ProofError("invalid base58btc") from error


def public_key_to_multikey(public_key: Ed25519PublicKey) -> str:
    """`publicKeyMultibase` of a Multikey: z + base58btc(0xed01 || 32-byte key)."""
    return encode_base58btc(_ED25519_PUB_PREFIX + public_key.public_bytes_raw())


def multikey_to_public_key(value: str) -> Ed25519PublicKey:
    raw = decode_base58btc(value)
    if len(raw) != 34 or not raw.startswith(_ED25519_PUB_PREFIX):
        raise ProofError("not an Ed25519 Multikey public key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def private_key_to_multikey(private_key: Ed25519PrivateKey) -> str:
    """`secretKeyMultibase` of a Multikey: z + base58btc(0x8026 || 32-byte seed)."""
    return encode_base58btc(_ED25519_PRIV_PREFIX + private_key.private_bytes_raw())


def multikey_to_private_key(value: str) -> Ed25519PrivateKey:
    raw = decode_base58btc(value)
    if len(raw) != 34 or not raw.startswith(_ED25519_PRIV_PREFIX):
        raise ProofError("not an Ed25519 Multikey secret key")
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


# --- canonicalisation ---------------------------------------------------------


def _strings(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, key
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _iri_problem(iri: str, what: str) -> str | None:
    if iri.startswith(_SENTINEL_ORIGIN):
        name = iri.removeprefix(_SENTINEL_BASE).removeprefix(_SENTINEL_ORIGIN[:-1])
        return f"{what} {name!r} is relative or undefined by the contexts"
    if iri.startswith(_ISSUER_DEPENDENT):
        return f"{what} {iri.removeprefix(_ISSUER_DEPENDENT)!r} undefined by the contexts"
    if not (iri.startswith("_:") or _ABSOLUTE_IRI.match(iri)):
        return f"{what} {iri!r} is a relative IRI"
    return None


def _expanded_problems(node: Any) -> Iterator[str]:
    """Undefined terms and relative IRIs in an expanded JSON-LD tree."""
    if isinstance(node, list):
        for item in node:
            yield from _expanded_problems(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        problems: list[str | None] = []
        if key == "@id":
            problems.append(_iri_problem(value, "IRI"))
        elif key == "@type" and "@value" not in node:
            for type_ in value if isinstance(value, list) else [value]:
                problems.append(_iri_problem(type_, "type"))
        elif not key.startswith("@"):
            problems.append(_iri_problem(key, "term"))
        yield from (problem for problem in problems if problem)
        if key != "@value":
            yield from _expanded_problems(value)


def check_signable(document: dict, loader: JsonLdLoader = default_loader) -> list:
    """Raise `UnsignableDocument` unless every verifier will read `document` as we do.

    pyld silently drops undefined terms and rebases relative IRIs and then signs what is
    left, so we expand first and refuse instead. Returns the expanded document, which
    canonicalises to the same dataset at a fraction of the cost of the compact one.
    """
    for path, text in _strings(document):
        if match := _UNSAFE_CHARS.search(text):
            raise UnsignableDocument(
                f"control or unpaired surrogate character U+{ord(match.group()):04X} at {path}"
            )
    dropped: list[str] = []
    try:
        expanded = jsonld.expand(
            document,
            {**loader.pyld_options(), "base": _SENTINEL_BASE},
            on_property_dropped=dropped.append,
        )
    except jsonld.JsonLdError as error:
        raise _readable(error) from error
    problems = [f"term {term!r} undefined by the contexts" for term in dropped]
    problems += list(_expanded_problems(expanded))
    if problems:
        raise UnsignableDocument("cannot sign: " + "; ".join(sorted(set(problems))))
    return expanded


def _readable(error: Exception) -> UnsignableDocument:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DocumentNotShipped):
            return UnsignableDocument(str(cause))
        cause = cause.__cause__ or getattr(cause, "cause", None)
    return UnsignableDocument(f"JSON-LD processing failed: {error}")


def canonicalize(document: dict | list, loader: JsonLdLoader = default_loader) -> str:
    """RDFC-1.0 canonical N-Quads of `document`."""
    try:
        return jsonld.normalize(
            document,
            {
                **loader.pyld_options(),
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "base": "",
            },
        )
    except jsonld.JsonLdError as error:
        raise _readable(error) from error


def hash_data(
    document: dict | list, proof_config: dict, loader: JsonLdLoader = default_loader
) -> bytes:
    """sha256(canonical proof config) || sha256(canonical document without proof).

    `document` may be the expanded form (a list), which must not hold a proof.
    """
    if isinstance(document, dict):
        unsecured = {key: value for key, value in document.items() if key != "proof"}
    else:
        unsecured = document
    proof_hash = hashlib.sha256(canonicalize(proof_config, loader).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonicalize(unsecured, loader).encode("utf-8")).digest()
    return proof_hash + document_hash


# --- proofs ------------------------------------------------------------------


def create_proof(
    document: dict,
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
    loader: JsonLdLoader = default_loader,
    proof_purpose: str = "assertionMethod",
    check: bool = True,
) -> dict:
    """A `DataIntegrityProof` over `document` (which must not carry a proof already).

    `check=False` skips `check_signable`; only the W3C test vector needs that, because its
    example context maps every term through `@vocab`.
    """
    if "proof" in document:
        raise UnsignableDocument("the document already carries a proof")
    signable = check_signable(document, loader) if check else document
    proof = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    config = {**proof, "@context": document["@context"]}
    signature = private_key.sign(hash_data(signable, config, loader))
    return {**proof, "proofValue": encode_base58btc(signature)}


def proofs_of(document: dict) -> list[dict]:
    proof = document.get("proof")
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def verify_proof(
    document: dict,
    proof: dict,
    public_key: Ed25519PublicKey,
    loader: JsonLdLoader = default_loader,
) -> bool:
    """True when `proof` is a valid eddsa-rdfc-2022 signature of `document` by `public_key`.

    Raises `ProofError` for a proof we cannot even read (wrong suite, bad encoding).
    """
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"unsupported proof {proof.get('type')}/{proof.get('cryptosuite')}")
    signature = decode_base58btc(proof.get("proofValue", ""))
    if len(signature) != 64:
        raise ProofError("an Ed25519 signature is 64 bytes")
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    config["@context"] = document["@context"]
    try:
        data = hash_data(document, config, loader)
    except UnsignableDocument as error:
        raise ProofError(str(error)) from error
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def with_proof(document: dict, proof: dict) -> dict:
    """A copy of `document` carrying `proof` as a one-item `proof` array."""
    signed = copy.deepcopy(document)
    signed["proof"] = [proof]
    return signed
