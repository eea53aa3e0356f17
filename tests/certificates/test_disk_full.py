"""docs/threats.md, row F8: media storage runs out of space while a badge PDF is written.

MEDIA_ROOT is a real 16 KiB tmpfs, smaller than any badge PDF, so the write fails part
way with ENOSPC exactly as a full disk would. Mounting needs root with CAP_SYS_ADMIN
(as in CI); elsewhere the test is skipped and says so.
"""

import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction

from certificates.issuing import issuance, publishing
from certificates.models import Badge

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny_media(tmp_path, settings):
    mount_point = tmp_path / f"media-{uuid.uuid4().hex[:8]}"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("needs permission to mount a tmpfs (root with CAP_SYS_ADMIN)")
    settings.MEDIA_ROOT = str(mount_point)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def files_under(root: Path) -> list[Path]:
    return [Path(dirpath, name) for dirpath, _, names in os.walk(root) for name in names]


def test_disk_full_leaves_the_badge_pending_with_no_partial_pdf(
    design, completion, client, tiny_media, settings, tmp_path
):
    with transaction.atomic():
        badge = issuance.request_badge_for_completion(completion)

    with pytest.raises(OSError) as raised:
        publishing.render_and_publish(badge.pk)
    assert raised.value.errno == errno.ENOSPC

    badge.refresh_from_db()
    assert badge.state == Badge.State.PENDING
    assert not badge.pdf and not badge.pdf_sha256
    assert "No space left" in badge.last_error
    # The truncated file was removed, not left behind for someone to mistake for a badge.
    assert files_under(tiny_media) == []
    assert mail.outbox == []
    page = client.get(f"/badges/{badge.public_id}/")
    assert page.status_code == 200
    assert "Being prepared" in page.content.decode()
    assert client.get(f"/badges/{badge.public_id}/badge.pdf").status_code == 404

    # Space is freed (here: a roomier media root); the retry issues the badge once.
    settings.MEDIA_ROOT = str(tmp_path / "roomy")
    assert publishing.render_and_publish(badge.pk).result == "issued"
    assert publishing.render_and_publish(badge.pk).result == "already-done"
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED
    assert [p.name for p in files_under(tmp_path / "roomy")] == [Path(badge.pdf.name).name]
    assert len(mail.outbox) == 1
