"""Every CREDENCE_* setting the certificates app reads, with its default.

Read them as `conf.CREDENCE_ISSUER_NAME` and so on; a name the project's settings leave
out gets the default declared here, and each read looks at django.conf.settings afresh,
so override_settings applies (the django-otp pattern; `lms.conf` explains it). The
README's settings table describes each one for operators.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from lms.conf import AppSettings, SameAs

REPOSITORY = Path(__file__).resolve().parent.parent


class CertificatesSettings(AppSettings):
    defaults: ClassVar[Mapping[str, Any]] = {
        # The JSON file holding the issuer's Ed25519 key ring (never the database or repo).
        "CREDENCE_ISSUER_KEYS_FILE": str(REPOSITORY / "var" / "issuer-keys.json"),
        # Whether a missing key ring is created on first use (development, tests).
        "CREDENCE_ISSUER_KEYS_AUTOCREATE": SameAs("DEBUG"),
        # The issuer's name, printed on badges and signed into credentials.
        "CREDENCE_ISSUER_NAME": "Credence",
        # LinkedIn's id for the issuer's company page; without it the share link gives its name.
        "CREDENCE_LINKEDIN_ORGANIZATION_ID": None,
        # Uploads to /verify/ checked at once in each process; the rest are answered 503.
        "CREDENCE_UPLOAD_CONCURRENCY": 2,
        # Public badge lookups per client and window; 0 turns the limit off.
        "CREDENCE_PUBLIC_RATE_LIMIT": 60,
        # The length in seconds of that limit's window.
        "CREDENCE_PUBLIC_RATE_WINDOW": 60,
        # Seconds between a process's reads of the badge status token.
        "CREDENCE_STATUS_RECHECK_SECONDS": 2.0,
        # Public badge pages each web process keeps in memory (with Redis); 0 turns it off.
        "CREDENCE_LOCAL_PAGE_COPIES": 2_000,
        # Whether public badge pages for visitors without a session are cached at all.
        "CREDENCE_BADGE_PAGE_CACHE": True,
        # The DATABASES alias of the public badge lookup; None: "public_read" where the
        # settings define it (PostgreSQL), else "default".
        "CREDENCE_PUBLIC_READ_DATABASE": None,
        # Seconds a worker holds a badge's rendering lease before another may take it over.
        "CREDENCE_RENDER_LEASE_SECONDS": 180,
        # Tests only: while this file exists a render waits, so a worker can be killed there.
        "CREDENCE_RENDER_PAUSE_FILE": None,
        # The largest CSV, in bytes, the badge admin's bulk award or revoke accepts.
        "CREDENCE_BULK_CSV_MAX_BYTES": 1_000_000,
        # The most rows (fellows or badges) one bulk award or revoke may name.
        "CREDENCE_BULK_CSV_MAX_ROWS": 2_000,
    }


conf = CertificatesSettings()
