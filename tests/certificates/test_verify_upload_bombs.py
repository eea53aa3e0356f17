"""Hostile uploads to /verify/ are refused within bounded memory and work (issue 10)."""

import copy
import json
import os
import subprocess
import sys
import threading
import zlib
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from certificates.public import pdf_verification
from certificates.signing.ob3 import bounds, data_integrity

ROOT = Path(__file__).resolve().parents[2]
# The issue's measure: one upload may not grow a worker by more than this.
MAX_GROWTH_MB = 100
# pypdf refuses to inflate one stream past 75 MB; the probe's files sat just under it.
PYPDF_STREAM_LIMIT = 75_000_000


def upload(client, data: bytes, name: str):
    return client.post("/verify/", {"file": SimpleUploadedFile(name, data)})


def deflated_spaces(size: int) -> bytes:
    """zlib data inflating to `size` spaces, made a megabyte at a time."""
    compressor = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(compressor.compress(b" " * (size % len(chunk))))
    return b"".join(parts) + compressor.flush()


def pdf_with_attachments(files: dict[str, bytes]) -> bytes:
    """A one-page PDF embedding each (name -> already deflated bytes) as a .json file.

    The streams are written as given and saved without decoding, so building a bomb
    never inflates it here.
    """
    pdf = pikepdf.new()
    pdf.add_blank_page()
    names = pikepdf.Array()
    for name, deflated in sorted(files.items()):
        stream = pikepdf.Stream(pdf, b"")
        stream.write(deflated, filter=pikepdf.Name.FlateDecode)
        stream.Type = pikepdf.Name.EmbeddedFile
        stream.Subtype = pikepdf.Name("/application/json")
        spec = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Filespec, F=name, UF=name, EF=pikepdf.Dictionary(F=stream)
            )
        )
        names.extend([pikepdf.String(name), spec])
    pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=names))
    out = BytesIO()
    pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return out.getvalue()


def measured_upload(tmp_path, data: bytes, name: str) -> dict:
    """POST `data` to /verify/ in a fresh process that shares this test's database."""
    path = tmp_path / name
    path.write_bytes(data)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "lms.settings.test"}
    settings_dict = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}"
        f"@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
        f"/{settings_dict['NAME']}"
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.certificates.upload_memory_probe", str(path), name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def figures(measured: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in measured.items() if key != "body")


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_decompression_bomb_pdf_is_refused_without_inflating_it(tmp_path):
    """docs/threats.md, row B8: one credential.json inflating to 400 MB, sent compressed."""
    data = pdf_with_attachments({"credential.json": deflated_spaces(400 * 1024 * 1024)})
    assert len(data) < pdf_verification.MAX_UPLOAD_BYTES

    measured = measured_upload(tmp_path, data, "bomb.pdf")

    assert measured["status"] == 400
    assert measured["peak_growth_mb"] < MAX_GROWTH_MB, figures(measured)
    assert measured["settled_growth_mb"] < MAX_GROWTH_MB / 4, figures(measured)
    assert "as its credential is far larger than a badge credential" in measured["body"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_pdf_with_many_large_attachments_is_refused_within_the_total(tmp_path):
    """The probe's upload: dozens of .json files, each just under pypdf's per-stream limit."""
    deflated = deflated_spaces(PYPDF_STREAM_LIMIT - 1024 * 1024)
    data = pdf_with_attachments({f"part-{index:02}.json": deflated for index in range(24)})
    assert len(data) < pdf_verification.MAX_UPLOAD_BYTES

    measured = measured_upload(tmp_path, data, "many.pdf")

    assert measured["status"] == 400
    assert measured["peak_growth_mb"] < MAX_GROWTH_MB, figures(measured)
    assert measured["settled_growth_mb"] < MAX_GROWTH_MB / 4, figures(measured)
    assert "far larger than a badge credential (over 512 KB in all)" in measured["body"]


def test_inflation_stops_at_the_cap_however_large_the_stream():
    """The bound holds while inflating: at most one byte past the cap is ever produced."""
    budget = pdf_verification.InflationBudget(total_bytes=1000)
    with pytest.raises(pdf_verification.UnreadableUpload):
        budget.inflate(deflated_spaces(50 * 1024 * 1024), limit=5000)
    assert budget.remaining == 0
    small = pdf_verification.InflationBudget(total_bytes=10_000)
    assert small.inflate(zlib.compress(b"{}"), limit=100) == b"{}"


def test_a_pdf_embedding_too_many_files_is_refused_before_reading_them(client, db):
    files = {f"f{index:03}.txt": zlib.compress(b"x") for index in range(40)}
    response = upload(client, pdf_with_attachments(files), "many-names.pdf")
    assert response.status_code == 400
    assert "embeds more than 32 files" in response.content.decode()


# --- JSON-LD work ------------------------------------------------------------------------


def identical_blank_nodes(twins: int, children: int) -> list:
    """Look-alike anonymous nodes: RDFC-1.0 tries every order of each one's children."""
    child = {"https://example.org/leaf": "x"}
    return [{"https://example.org/child": [dict(child) for _ in range(children)]}] * twins


def poisoned(credential: dict) -> dict[str, tuple[dict, str]]:
    """Variants of a genuine credential (same id, so verification would get to the proof)."""
    unknown = copy.deepcopy(credential)
    unknown["@context"] = [*credential["@context"], "https://attacker.example/context.json"]
    inline = copy.deepcopy(credential)
    inline["@context"] = [*credential["@context"], {"@vocab": "https://attacker.example/#"}]
    many_children = copy.deepcopy(credential)
    many_children["https://example.org/poison"] = identical_blank_nodes(2, 8)
    many_blank = copy.deepcopy(credential)
    many_blank["https://example.org/poison"] = {
        "https://example.org/group": identical_blank_nodes(3, 3)
    }
    labelled = copy.deepcopy(credential)
    labelled["https://example.org/poison"] = [
        {"id": f"_:b{i}", "https://example.org/next": {"id": f"_:b{(i + 1) % 6}"}} for i in range(6)
    ]
    huge = copy.deepcopy(credential)
    huge["https://example.org/poison"] = [{"https://example.org/v": i} for i in range(3000)]
    return {
        "unknown context": (unknown, "context this issuer does not use"),
        "inline context": (inline, "an inline context"),
        "many look-alike children": (many_children, "more than 4 anonymous children"),
        "many blank nodes": (many_blank, "more than 12 anonymous (blank) nodes"),
        "labelled blank nodes": (labelled, "names a blank node"),
        "huge graph": (huge, "more than 2000 JSON values"),
    }


class CanonicalisationCalled(AssertionError):
    pass


@pytest.fixture
def canonicalisations(monkeypatch):
    """Counts calls of data_integrity.canonicalize; refuses them while `forbid` is set."""
    state = {"calls": 0, "forbid": False}
    original = data_integrity.canonicalize

    def counting(document, loader=data_integrity.default_loader):
        state["calls"] += 1
        if state["forbid"]:
            raise CanonicalisationCalled("a hostile credential reached canonicalisation")
        return original(document, loader)

    monkeypatch.setattr(data_integrity, "canonicalize", counting)
    return state


def test_poisoned_credentials_are_refused_before_any_canonicalisation(
    badge, client, canonicalisations
):
    """docs/threats.md, row B9: refused by what they are, before pyld canonicalises them."""
    genuine = json.dumps(badge.credential).encode()
    assert "verdict--valid" in upload(client, genuine, "c.json").content.decode()
    assert canonicalisations["calls"] > 0  # the wrapper sees the real verification

    canonicalisations.update(calls=0, forbid=True)
    for case, (credential, message) in poisoned(badge.credential).items():
        response = upload(client, json.dumps(credential).encode(), "c.json")
        assert response.status_code == 400, case
        assert message in response.content.decode(), case
    assert canonicalisations["calls"] == 0


def test_a_credential_as_we_issue_it_is_within_the_bounds():
    """The bounds leave room: our own issuer's test credential passes with margin."""
    from certificates.signing.ob3.document_loader import OB_EXTENSIONS, OB_V3P0, VC_V2

    credential = {
        "@context": [VC_V2, OB_V3P0, OB_EXTENSIONS],
        "id": "https://badges.example/badges/x/",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:web:badges.example", "type": ["Profile"], "name": "Credence"},
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "hashed": True, "identityHash": "x"}],
            "achievement": {
                "id": "https://badges.example/achievement/1",
                "type": ["Achievement"],
                "criteria": {"narrative": "Passed."},
            },
        },
        "proof": [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}],
    }
    expanded = bounds.check_presented_document(credential)
    assert expanded and isinstance(expanded, list)


# --- at most a few at once -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_uploads_past_the_concurrency_limit_get_503_while_pages_still_answer(
    site_root, settings, monkeypatch
):
    settings.CREDENCE_UPLOAD_CONCURRENCY = 2
    entered = threading.Semaphore(0)
    release = threading.Event()
    original = pdf_verification.verify_upload

    def held(data):
        entered.release()
        release.wait(timeout=60)
        return original(data)

    monkeypatch.setattr(pdf_verification, "verify_upload", held)
    results: list[int] = []

    def post() -> None:
        try:
            results.append(upload(Client(), b"not json", "held.json").status_code)
        finally:
            connection.close()

    holders = [threading.Thread(target=post) for _ in range(2)]
    for thread in holders:
        thread.start()
    try:
        for _ in holders:
            assert entered.acquire(timeout=60), "an upload never reached the check"

        refused = upload(Client(), b"not json", "third.json")
        assert refused.status_code == 503
        assert int(refused["Retry-After"]) > 0
        assert "Many badges are being checked right now" in refused.content.decode()
        assert Client().get("/").status_code == 200
        assert Client().get("/healthz").status_code == 200
    finally:
        release.set()
        for thread in holders:
            thread.join(timeout=60)
    assert results == [400, 400]
    # The slots are free again once the held uploads are done.
    assert upload(Client(), b"not json", "later.json").status_code == 400
