"""eddsa-rdfc-2022: the W3C test vector, Multikey encoding, and what we refuse to sign."""

import copy
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.signing.ob3 import data_integrity as di
from certificates.signing.ob3.document_loader import (
    OB_V3P0,
    VC_V2,
    DocumentNotShipped,
    JsonLdLoader,
    default_loader,
)

VECTOR = Path(__file__).parent / "ob3_data" / "w3c_vc_di_eddsa"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def _json(name: str):
    return json.loads((VECTOR / name).read_text())


@pytest.fixture
def vector_loader() -> JsonLdLoader:
    return JsonLdLoader({EXAMPLES_V2: _json("examples-v2-context.json")})


@pytest.fixture
def vector_key() -> Ed25519PrivateKey:
    return di.multikey_to_private_key(_json("keyPair.json")["privateKeyMultibase"])


def test_vector_key_pair_round_trips_through_multikey(vector_key):
    pair = _json("keyPair.json")
    assert di.public_key_to_multikey(vector_key.public_key()) == pair["publicKeyMultibase"]
    assert di.private_key_to_multikey(vector_key) == pair["privateKeyMultibase"]
    assert pair["publicKeyMultibase"].startswith("z6Mk")  # 0xed01 prefix


def test_signer_reproduces_the_w3c_eddsa_rdfc_2022_vector(vector_key, vector_loader):
    signed = _json("signedDataInt.json")
    expected = signed.pop("proof")
    proof = di.create_proof(
        signed,
        private_key=vector_key,
        verification_method=expected["verificationMethod"],
        created=expected["created"],
        loader=vector_loader,
        check=False,  # the example context maps every term via @vocab
    )
    assert proof == expected
    assert proof["proofValue"] == (VECTOR / "sigBTC58DataInt.txt").read_text().strip()


def test_intermediate_values_match_the_vector(vector_loader):
    config = _json("proofConfigDataInt.json")
    assert di.canonicalize(config, vector_loader) == (VECTOR / "proofCanonDataInt.txt").read_text()
    document = _json("signedDataInt.json")
    combined = di.hash_data(document, config, vector_loader).hex()
    assert combined == (VECTOR / "combinedHashDataInt.txt").read_text().strip()


def test_vector_verifies_and_a_changed_byte_does_not(vector_key, vector_loader):
    signed = _json("signedDataInt.json")
    proof = signed["proof"]
    assert di.verify_proof(signed, proof, vector_key.public_key(), vector_loader)
    signed["credentialSubject"]["alumniOf"] = "The School of Exampler"
    assert not di.verify_proof(signed, proof, vector_key.public_key(), vector_loader)


def test_loader_refuses_anything_not_shipped():
    with pytest.raises(DocumentNotShipped):
        default_loader("https://evil.example/context.json")
    document = {"@context": [VC_V2, "https://evil.example/context.json"], "name": "x"}
    with pytest.raises(di.UnsignableDocument, match="not shipped"):
        di.check_signable(document)


def test_a_context_given_to_one_loader_does_not_leak_into_another(vector_loader):
    document = {"@context": [VC_V2, EXAMPLES_V2], "type": ["VerifiableCredential"]}
    assert di.canonicalize(document, vector_loader)
    with pytest.raises(di.UnsignableDocument, match="not shipped"):
        di.canonicalize(document)


def _signable() -> dict:
    return {
        "@context": [VC_V2, OB_V3P0],
        "id": "urn:uuid:5b0c1c55-0bd3-4f7b-8c3b-8e1d7c0e4a10",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:web:badges.example.org", "type": ["Profile"], "name": "Credence"},
        "validFrom": "2025-01-01T00:00:00Z",
        "name": "Badge",
    }


@pytest.mark.parametrize("char", ["\x00", "\b", "\f", "\x1b", "\x7f", "\ud800"])
def test_control_characters_are_refused_before_signing(char):
    document = _signable()
    document["name"] = f"Ada{char}Lovelace"
    with pytest.raises(di.UnsignableDocument, match="U\\+00|U\\+D800"):
        di.check_signable(document)


def test_tab_and_newline_are_allowed_because_pyld_escapes_them_like_rdfc():
    document = _signable()
    document["name"] = "line one\nline two\tand a tab\r"
    di.check_signable(document)


def test_undefined_terms_are_refused_not_silently_dropped():
    document = _signable()
    document["favouriteColour"] = "blue"
    with pytest.raises(di.UnsignableDocument, match="favouriteColour"):
        di.check_signable(document)
    document = _signable()
    document["type"] = ["VerifiableCredential", "MadeUpCredential"]
    with pytest.raises(di.UnsignableDocument, match="MadeUpCredential"):
        di.check_signable(document)


def test_relative_iris_are_refused_not_rebased():
    document = _signable()
    document["id"] = "badges/42"
    with pytest.raises(di.UnsignableDocument, match="'badges/42' is relative"):
        di.check_signable(document)


def test_a_document_already_carrying_a_proof_is_refused():
    document = _signable()
    document["proof"] = {"type": "DataIntegrityProof"}
    with pytest.raises(di.UnsignableDocument, match="already carries a proof"):
        di.create_proof(
            document,
            private_key=Ed25519PrivateKey.generate(),
            verification_method="did:web:badges.example.org#k",
            created="2025-01-01T00:00:00Z",
        )


def test_malformed_proofs_raise_proof_error_not_crash():
    key = Ed25519PrivateKey.generate()
    document = _signable()
    proof = di.create_proof(
        document,
        private_key=key,
        verification_method="did:web:badges.example.org#k",
        created="2025-01-01T00:00:00Z",
    )
    for broken in (
        {**proof, "cryptosuite": "ecdsa-rdfc-2019"},
        {**proof, "proofValue": "u" + proof["proofValue"][1:]},
        {**proof, "proofValue": proof["proofValue"][:20]},
    ):
        with pytest.raises(di.ProofError):
            di.verify_proof(copy.deepcopy(document), broken, key.public_key())
    assert di.verify_proof(document, proof, key.public_key())
