"""Media on S3-compatible storage, against a real S3 API: moto's server mode, started here on
a free loopback port (tests/support/services.py) and stopped by its pid.

The storage entry is the one production builds from DJANGO_AWS_* (lms.settings.base's
s3_media_storage), and one test runs the production settings themselves against the server.
docs/threats.md, row P8.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid

import pytest
from django.core.files.storage import default_storage, storages
from django.db import transaction
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from certificates.issuing import issuance
from lms.settings.base import s3_media_storage
from lms.storage import PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL, MediaStorage
from tests.support.badges import issue_badge_now
from tests.support.production import run_under_production_settings
from tests.support.services import S3Server


@pytest.fixture(scope="module")
def s3_server():
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3_server):
    name = f"credence-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_media(settings, s3_server, bucket):
    """Media in the bucket, through the storage entry production uses."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_media_storage(
            bucket=bucket,
            endpoint_url=s3_server.url,
            region_name=S3Server.REGION,
            access_key=S3Server.ACCESS_KEY,
            secret_key=S3Server.SECRET_KEY,
        ),
    }
    assert isinstance(storages["default"], MediaStorage)
    return s3_server


def anonymous_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_a_badges_pdf_and_artwork_are_stored_in_the_bucket_and_read_back_through_the_app(
    s3_media, bucket, design, completion, client, django_capture_on_commit_callbacks
):
    image = get_image_model().objects.create(
        title="Seal", file=get_test_image_file("seal.png", colour="blue", size=(64, 64))
    )
    design.artwork = image
    design.save()
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    s3 = s3_media.client()

    stored_pdf = s3.get_object(Bucket=bucket, Key=badge.pdf.name)
    pdf_bytes = stored_pdf["Body"].read()
    assert badge.pdf.name.startswith(f"badges/{badge.public_id}/")
    assert pdf_bytes.startswith(b"%PDF-")
    assert stored_pdf["CacheControl"] == PRIVATE_CACHE_CONTROL
    stored_art = s3.get_object(Bucket=bucket, Key=image.file.name)
    assert stored_art["Body"].read().startswith(b"\x89PNG")
    assert stored_art["CacheControl"] == PUBLIC_CACHE_CONTROL

    # Read back through the app: the same bytes, from the badge's own address.
    download = client.get(f"/badges/{badge.public_id}/badge.pdf")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes
    assert download["Content-Disposition"].startswith("attachment;")
    artwork = client.get(f"/badges/{badge.public_id}/artwork")
    assert artwork.status_code == 200
    assert b"".join(artwork.streaming_content).startswith(b"\x89PNG")
    assert artwork["Cache-Control"] == "public, max-age=86400"


def test_the_pdf_is_never_readable_at_a_public_object_url(
    s3_media, bucket, design, completion, client, django_capture_on_commit_callbacks
):
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    object_url = f"{s3_media.url}/{bucket}/{badge.pdf.name}"
    assert anonymous_get(object_url) == 403
    grants = s3_media.client().get_object_acl(Bucket=bucket, Key=badge.pdf.name)["Grants"]
    assert not [g for g in grants if "AllUsers" in g["Grantee"].get("URI", "")]
    # Nothing the public reads names the bucket: the page and its JSON link the app's
    # address, which checks the badge's status on every download.
    page = client.get(f"/badges/{badge.public_id}/").content.decode()
    verdict = client.get(f"/badges/{badge.public_id}/", HTTP_ACCEPT="application/json")
    for body in (page, verdict.content.decode()):
        assert s3_media.url not in body and bucket not in body
    assert verdict.json()["badge"]["pdf_url"].endswith(f"/badges/{badge.public_id}/badge.pdf")
    # Withdrawn (the fellow erased their account): the app stops serving it at once, where a
    # signed URL handed out earlier would have kept working; then its files leave the bucket.
    with transaction.atomic():
        issuance.withdraw_badges_of(badge.recipient)
    assert client.get(f"/badges/{badge.public_id}/badge.pdf").status_code == 410
    assert issuance.delete_badge_files([badge.public_id]) == 1
    listed = s3_media.client().list_objects_v2(Bucket=bucket, Prefix=f"badges/{badge.public_id}/")
    assert listed["KeyCount"] == 0


def test_a_signed_image_url_expires_and_an_unsigned_one_is_refused(s3_media, bucket, db):
    image = get_image_model().objects.create(
        title="Diagram", file=get_test_image_file("diagram.png", size=(32, 32))
    )
    signed = default_storage.url(image.file.name)
    assert "X-Amz-Expires=3600" in signed and "X-Amz-Signature=" in signed
    assert anonymous_get(signed) == 200
    assert anonymous_get(signed.split("?")[0]) == 403


def test_production_settings_put_media_in_the_bucket_named_by_the_environment(s3_server, bucket):
    result = run_under_production_settings(
        "from django.core.files.base import ContentFile; "
        "from django.core.files.storage import default_storage as media, storages; "
        "from lms import readiness; "
        "name = media.save('badges/probe/x.pdf', ContentFile(b'%PDF-probe')); "
        "readiness.check_media(); "  # raises when the bucket does not answer
        "print(type(storages['default']).__name__, media.open(name).read().decode())",
        DJANGO_AWS_STORAGE_BUCKET_NAME=bucket,
        DJANGO_AWS_S3_ENDPOINT_URL=s3_server.url,
        DJANGO_AWS_S3_REGION_NAME=S3Server.REGION,
        DJANGO_AWS_ACCESS_KEY_ID=S3Server.ACCESS_KEY,
        DJANGO_AWS_SECRET_ACCESS_KEY=S3Server.SECRET_KEY,
    )
    assert result.stdout.split() == ["MediaStorage", "%PDF-probe"]
    stored = s3_server.client().get_object(Bucket=bucket, Key="badges/probe/x.pdf")
    assert stored["CacheControl"] == PRIVATE_CACHE_CONTROL
