"""Issuer keys: did:web naming, the key-ring file, the DID document, the management command."""

import json
import os
import stat

import pytest
from django.core.management import CommandError, call_command

from certificates.signing.ob3 import keys
from certificates.signing.ob3.data_integrity import multikey_to_public_key


@pytest.mark.parametrize(
    ("site_url", "did"),
    [
        ("https://badges.example.org", "did:web:badges.example.org"),
        ("https://Badges.Example.org/", "did:web:badges.example.org"),
        ("http://127.0.0.1:8000", "did:web:127.0.0.1%3A8000"),
        ("https://example.org/credence/badges", "did:web:example.org:credence:badges"),
    ],
)
def test_issuer_did_follows_the_did_web_rules(site_url, did):
    assert keys.issuer_did(site_url) == did


def test_did_document_lists_every_key_as_an_ed25519_multikey():
    ring, _ = keys.rotate(keys.create_key_ring())
    did = "did:web:badges.example.org"
    document = keys.did_document(ring.keys, did)
    assert document["id"] == did
    assert document["@context"][0] == "https://www.w3.org/ns/did/v1"
    assert len(document["verificationMethod"]) == 2
    for method, key in zip(document["verificationMethod"], ring.keys, strict=True):
        assert method["id"] == f"{did}#{key.key_id}"
        assert method["type"] == "Multikey" and method["controller"] == did
        assert method["publicKeyMultibase"].startswith("z6Mk")
        public = multikey_to_public_key(method["publicKeyMultibase"])
        assert public.public_bytes_raw() == key.public_key.public_bytes_raw()
        assert "expires" not in method and "revoked" not in method
    assert document["assertionMethod"] == [m["id"] for m in document["verificationMethod"]]
    assert "secret" not in json.dumps(document).lower()


def test_compromised_key_stays_published_but_loses_assertion_method():
    ring = keys.create_key_ring()
    first = ring.active.key_id
    ring, replacement = keys.mark_compromised(ring, first)
    document = keys.did_document(ring.keys, "did:web:x.example")
    compromised = document["verificationMethod"][0]
    assert compromised["id"].endswith(first) and compromised["revoked"]
    assert document["assertionMethod"] == [f"did:web:x.example#{replacement.key_id}"]
    # Marking it again changes nothing.
    assert keys.mark_compromised(ring, first) == (ring, None)


def test_key_ring_file_round_trips_and_is_private(tmp_path):
    path = tmp_path / "deep" / "keys.json"
    ring, _ = keys.rotate(keys.create_key_ring())
    keys.save_key_ring(ring, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = keys.load_key_ring(path)
    assert [k.key_id for k in loaded.keys] == [k.key_id for k in ring.keys]
    assert [k.status for k in loaded.keys] == ["retired", "active"]
    assert loaded.active.public_key_multibase == ring.active.public_key_multibase


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"keys": []}',
        '{"keys": [{"id": "k"}]}',
        '{"keys": [{"id": "k", '
        '"created_at": "x", "status": "active", "secret_key_multibase": "z123"}]}',
    ],
)
def test_broken_key_files_raise_a_clear_error(tmp_path, content):
    path = tmp_path / "keys.json"
    path.write_text(content)
    with pytest.raises(keys.KeyRingError):
        keys.load_key_ring(path)


def test_missing_key_file_says_how_to_create_one(tmp_path):
    with pytest.raises(keys.KeyRingError, match="issuer_keys create"):
        keys.load_key_ring(tmp_path / "absent.json")


@pytest.fixture
def keys_file(tmp_path, settings):
    settings.CREDENCE_ISSUER_KEYS_FILE = str(tmp_path / "issuer-keys.json")
    return tmp_path / "issuer-keys.json"


def _statuses(path) -> list[str]:
    return [entry["status"] for entry in json.loads(path.read_text())["keys"]]


@pytest.mark.django_db  # mark-compromised looks up and re-issues the key's badges
def test_command_create_rotate_list_and_mark_compromised(keys_file, capsys):
    call_command("issuer_keys", "create")
    assert _statuses(keys_file) == ["active"]
    with pytest.raises(CommandError, match="already holds a key ring"):
        call_command("issuer_keys", "create")
    first = json.loads(keys_file.read_text())["keys"][0]["id"]

    call_command("issuer_keys", "rotate")
    assert _statuses(keys_file) == ["retired", "active"]

    capsys.readouterr()
    call_command("issuer_keys", "list")
    listing = capsys.readouterr().out
    assert first in listing and "retired" in listing
    assert (
        "secret" not in listing
        and json.loads(keys_file.read_text())["keys"][0]["secret_key_multibase"] not in listing
    )

    call_command("issuer_keys", "mark-compromised", first)
    assert _statuses(keys_file) == ["compromised", "active"]
    assert "re-issue" in capsys.readouterr().out.lower()
    with pytest.raises(CommandError, match="no issuer key"):
        call_command("issuer_keys", "mark-compromised", "key-nope")


def test_command_without_a_key_file_fails_cleanly(keys_file):
    with pytest.raises(CommandError, match="issuer_keys create"):
        call_command("issuer_keys", "rotate")
