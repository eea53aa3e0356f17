"""Bench-only settings for the learner benches (bench_pages.py, bench_quiz.py): the
production settings (PostgreSQL, Redis cache, DEBUG off, secure cookies), plus the floor
view of bench/floor_urls.py. Two changes, both outside the measured work: static files
are named without a manifest (no collectstatic before each run), and plain HTTP is
served on loopback without the redirect to https.
"""

import tempfile
from pathlib import Path

from lms.settings.production import *  # noqa: F403

STATIC_ROOT = Path(tempfile.mkdtemp(prefix="credence-bench-static-"))

ROOT_URLCONF = "bench.floor_urls"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
SECURE_SSL_REDIRECT = False
LOGGING["root"]["level"] = "ERROR"  # noqa: F405
