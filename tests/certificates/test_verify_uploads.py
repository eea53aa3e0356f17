"""The 'Verify a badge' upload page and `manage.py verify_badge`: genuine, altered, malformed."""

import io
import json

import pikepdf
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from certificates.issuing import issuance
from tests.support.badges import upload

pytestmark = pytest.mark.django_db


def edit_printed_name(pdf_bytes: bytes) -> bytes:
    """Change the printed name the way a forger would: rewrite its glyphs with pikepdf."""
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    page = pdf.pages[0]
    operations = pikepdf.parse_content_stream(page)
    for operands, operator in operations:
        if str(operator) != "TJ":
            continue
        glyphs = [item for item in operands[0] if isinstance(item, pikepdf.String)]
        # "Ada Lovelace": 12 glyphs, a at 2 and 9, e at 7 and 11.
        if len(glyphs) == 12 and glyphs[2] == glyphs[9] and glyphs[7] == glyphs[11]:
            strings = [i for i, item in enumerate(operands[0]) if isinstance(item, pikepdf.String)]
            first, fifth = strings[0], strings[4]
            operands[0][first], operands[0][fifth] = operands[0][fifth], operands[0][first]
            break
    else:
        raise AssertionError("the name's glyph run was not found")
    page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(operations))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_genuine_pdf_is_valid_and_unaltered(badge, client):
    response = upload(client, badge.pdf.read())
    html = response.content.decode()
    assert response.status_code == 200
    assert "verdict--valid" in html
    assert "Genuine and unaltered" in html and "Ada Lovelace" in html


def test_pdf_with_an_edited_name_is_reported_altered(badge, client):
    """docs/threats.md, row C1."""
    edited = edit_printed_name(badge.pdf.read())
    assert "Ada Lovelace" not in PdfReader(io.BytesIO(edited)).pages[0].extract_text()
    html = upload(client, edited).content.decode()
    assert "verdict--altered" in html and "Altered" in html
    # The page shows the true record next to the verdict.
    assert "Ada Lovelace" in html


def test_pdf_with_appended_bytes_is_reported_altered(badge, client):
    html = upload(client, badge.pdf.read() + b"\n% appended\n").content.decode()
    assert "verdict--altered" in html


def test_an_older_genuine_pdf_stays_genuine_after_a_rerender(badge, client):
    from certificates.issuing import publishing

    first = badge.pdf.read()
    assert publishing.rerender_issued(badge.pdf and badge.pk)
    assert "verdict--valid" in upload(client, first).content.decode()


def test_pdf_of_a_revoked_badge_is_genuine_but_revoked(
    badge, client, django_capture_on_commit_callbacks
):
    data = badge.pdf.read()
    with django_capture_on_commit_callbacks(execute=True):
        issuance.revoke_badge(badge, reason="Issued in error.")
    html = upload(client, data).content.decode()
    assert "verdict--revoked" in html and "Revoked on" in html and "Genuine and unaltered" in html


def test_credential_json_upload_verifies_and_a_tampered_one_fails(badge, client):
    genuine = json.dumps(badge.credential).encode()
    assert "verdict--valid" in upload(client, genuine, "c.json").content.decode()
    forged = dict(badge.credential)
    forged["credentialSubject"] = {**forged["credentialSubject"], "name": "Mallory"}
    html = upload(client, json.dumps(forged).encode(), "c.json").content.decode()
    assert "verdict--invalid" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, I am not a badge", "not valid JSON"),
        (b"%PDF-1.7\n garbage garbage", "could not be read"),
        (b'{"type": ["VerifiableCredential"]}', "not an Open Badges 3.0 credential"),
        (b"[" * 150_000 + b"]" * 150_000, "too large"),
        (b"[" * 50_000, "not valid JSON"),
        (b"\xff\xfe\x00bad", "not valid JSON"),
    ],
    ids=["empty", "text", "broken-pdf", "other-json", "huge-json", "deep-json", "binary"],
)
def test_malformed_files_get_a_clear_message_never_a_500(client, db, data, message):
    response = upload(client, data, "x.bin")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_pdf_without_a_credential_is_explained(client, db):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    response = upload(client, out.getvalue())
    assert response.status_code == 400
    assert "carries no badge credential" in response.content.decode()


def test_oversized_upload_is_refused_with_a_form_error(client, db):
    response = upload(client, b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024 + 10))
    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()


def test_missing_file_is_a_form_error(client, db):
    response = client.post("/verify/", {})
    assert response.status_code == 400 and "Choose a badge PDF" in response.content.decode()


def test_verify_page_works_without_javascript(client, db):
    html = client.get("/verify/").content.decode()
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert "<script" not in html


def test_command_prints_the_same_verdict_with_exit_codes(badge, tmp_path):
    data = badge.pdf.read()
    genuine = tmp_path / "badge.pdf"
    genuine.write_bytes(data)
    out = io.StringIO()
    call_command("verify_badge", str(genuine), stdout=out)  # exit 0: returns normally
    assert out.getvalue().startswith("VALID:")
    assert "[PASS] PDF unaltered" in out.getvalue()

    altered = tmp_path / "altered.pdf"
    altered.write_bytes(edit_printed_name(data))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("verify_badge", str(altered), stdout=out)
    assert exited.value.code == 1 and out.getvalue().startswith("ALTERED:")

    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4 nothing here")
    with pytest.raises(CommandError) as error:
        call_command("verify_badge", str(junk))
    assert error.value.returncode == 2
    with pytest.raises(CommandError) as error:
        call_command("verify_badge", str(tmp_path / "missing.pdf"))
    assert error.value.returncode == 2
