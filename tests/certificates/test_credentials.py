"""Every issued badge carries an OB 3.0 credential outside verifiers accept; key rotation."""

import hashlib
import io
import json

import jsonschema
import pytest
from django.conf import settings
from django.core.management import call_command
from pypdf import PdfReader

from certificates.issuing import publishing
from certificates.models import Badge
from certificates.signing import credentials
from certificates.signing.ob3 import credential as ob3
from certificates.signing.ob3 import keys
from tests.support.badges import issue_badge_now

from .ob3_support import schema
from .verify_support import public_documents

pytestmark = pytest.mark.django_db


def verify_as_outsider(credential: dict) -> dict[str, str]:
    """Failed checks (name -> detail) by our OB3 verifier using only the public documents."""
    did, lists = public_documents()
    return {
        r.name: r.detail
        for r in ob3.verify_credential(credential, did_document=did, status_lists=lists)
        if not r.ok
    }


def test_issued_badge_has_a_signed_schema_valid_credential_from_its_snapshot(
    design, completion, fellow, django_capture_on_commit_callbacks
):
    fellow.show_scores_on_badges = True  # the score's `result` is checked below
    fellow.save()
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    cred = badge.credential
    jsonschema.Draft201909Validator(schema()).validate(cred)
    assert cred["id"] == badge.snapshot["verify_url"]
    assert cred["issuer"]["id"] == keys.issuer_did(settings.SITE_URL)
    subject = cred["credentialSubject"]
    assert subject["name"] == "Ada Lovelace"
    assert subject["achievement"]["name"] == "Certified AI Data Labeler"
    assert subject["result"][0]["value"] == "95"
    # The e-mail appears only as a salted hash of its lower-cased form.
    identity = subject["identifier"][0]
    assert identity["salt"] == badge.recipient_salt
    expected = hashlib.sha256(("fellow@example.org" + badge.recipient_salt).encode()).hexdigest()
    assert identity["identityHash"] == "sha256$" + expected
    assert "fellow@example.org" not in json.dumps(cred)
    assert cred["credentialStatus"]["statusListIndex"] == str(badge.status_index)
    assert cred["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert verify_as_outsider(cred) == {}
    assert badge.signing_key_id == ob3.signing_key_id(cred)


def test_the_pdf_carries_the_signed_credential_and_its_hash_is_recorded(
    design, completion, django_capture_on_commit_callbacks
):
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    data = badge.pdf.read()
    assert hashlib.sha256(data).hexdigest() == badge.pdf_sha256
    reader = PdfReader(io.BytesIO(data))
    attached = json.loads(reader.attachments[credentials.CREDENTIAL_FILENAME][0])
    assert credentials.credential_digest(attached) == badge.credential_sha256
    spec = reader.trailer["/Root"]["/AF"][0].get_object()
    assert spec["/AFRelationship"] == "/Source"


def test_uppercase_email_is_hashed_lower_case(
    design, completion, fellow, django_capture_on_commit_callbacks
):
    fellow.email = "Fellow@Example.ORG"
    fellow.save()
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    identity = badge.credential["credentialSubject"]["identifier"][0]
    expected = hashlib.sha256(("fellow@example.org" + badge.recipient_salt).encode()).hexdigest()
    assert identity["identityHash"] == "sha256$" + expected


def test_running_the_render_task_again_keeps_one_status_index(
    design, completion, django_capture_on_commit_callbacks
):
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    index = badge.status_index
    assert publishing.ensure_status_index(badge.pk) == index
    # A second delivery after the lease ran out re-signs with the same index.
    Badge.objects.filter(pk=badge.pk).update(state=Badge.State.PENDING)
    assert publishing.render_and_publish(badge.pk).result == "issued"
    badge.refresh_from_db()
    assert badge.status_index == index
    assert badge.credential["credentialStatus"]["statusListIndex"] == str(index)


@pytest.mark.parametrize(
    "name",
    [
        "<script>alert('x')</script> & \"Bobby\" Tables",
        "محمد بن موسى الخوارزمي",
        "אדה לאבלייס",
        "李四 👩🏽‍💻 Ñandú",
        "Ada " + "L" * 190,
        "{{ snapshot.public_id }} {% csrf_token %}",
    ],
    ids=["markup", "arabic", "hebrew", "cjk-emoji", "long", "template-syntax"],
)
def test_hostile_names_sign_verify_and_print_as_written(
    design, completion, fellow, client, name, django_capture_on_commit_callbacks
):
    fellow.display_name = name
    fellow.save()
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    assert badge.credential["credentialSubject"]["name"] == name
    assert verify_as_outsider(badge.credential) == {}
    page = client.get(f"/badges/{badge.public_id}/").content.decode()
    assert "<script>alert" not in page
    assert 'class="status status--valid"' in page


def test_rotation_keeps_old_badges_valid_and_signs_new_ones_with_the_new_key(
    design, completion, fellow, django_capture_on_commit_callbacks, django_user_model, client
):
    old = issue_badge_now(completion, django_capture_on_commit_callbacks)
    old_key = old.signing_key_id
    call_command("issuer_keys", "rotate", stdout=io.StringIO())
    # Re-issuing gives a new badge signed by the new key; the old one stays valid.
    other = django_user_model.objects.create_user(
        email="grace@example.org", password="x" * 20, display_name="Grace Hopper"
    )
    completion.pk = None
    completion.user = other
    completion.save()
    new = issue_badge_now(completion, django_capture_on_commit_callbacks)
    assert new.signing_key_id != old_key
    assert verify_as_outsider(old.credential) == {}
    assert verify_as_outsider(new.credential) == {}
    for badge in (old, new):
        data = client.get(f"/badges/{badge.public_id}.json").json()
        assert data["status"] == "valid", data


def test_compromised_key_fails_its_badges_and_queues_their_reissue(
    design, completion, client, django_capture_on_commit_callbacks
):
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    key_id = badge.signing_key_id
    old_credential = badge.credential
    old_pdf = badge.pdf.read()
    # Celery is eager in tests: the queued re-issue runs inside the command.
    out = io.StringIO()
    call_command("issuer_keys", "mark-compromised", key_id, stdout=out)
    assert "1 badges queued for re-issue" in out.getvalue()
    assert "issuer_key" in verify_as_outsider(old_credential)
    badge.refresh_from_db()
    assert badge.signing_key_id != key_id
    assert badge.status_index is not None
    assert verify_as_outsider(badge.credential) == {}
    assert client.get(f"/badges/{badge.public_id}.json").json()["status"] == "valid"
    # The old PDF (old key) no longer verifies; the new one does.
    from certificates.public.pdf_verification import verify_upload

    assert verify_upload(old_pdf).code == "invalid"
    assert verify_upload(badge.pdf.read()).code == "valid"


def test_compromise_marking_before_reissue_shows_not_valid(
    design, completion, client, django_capture_on_commit_callbacks, settings
):
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    ring, _ = keys.mark_compromised(
        keys.load_key_ring(settings.CREDENCE_ISSUER_KEYS_FILE), badge.signing_key_id
    )
    keys.save_key_ring(ring, settings.CREDENCE_ISSUER_KEYS_FILE)
    data = client.get(f"/badges/{badge.public_id}.json").json()
    assert data["status"] == "invalid"
    key_check = next(c for c in data["checks"] if c["name"] == "issuer_key")
    assert key_check["passed"] is False and "compromised" in key_check["detail"]


def test_did_document_is_public_with_cache_headers(client, db):
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["id"] == keys.issuer_did(settings.SITE_URL)
    assert doc["assertionMethod"]
    assert "max-age=" in response["Cache-Control"] and response["ETag"]
    assert "secret" not in response.content.decode().lower()
    assert (
        client.get("/.well-known/did.json", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    )
