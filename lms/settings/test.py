"""Tests: fast and deterministic. PostgreSQL and Redis are used when their URLs are set."""

import tempfile

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-not-secret-" + "x" * 40
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Worker processes started by fault tests write e-mails where the test can count them.
EMAIL_FILE_PATH = env("CREDENCE_TEST_EMAIL_DIR", default=None)
if EMAIL_FILE_PATH:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# Test-only hook: a render waits while this file exists, so a test can kill a worker
# at a known point (docs/threats.md, rows F4/F5).
CREDENCE_RENDER_PAUSE_FILE = env("CREDENCE_RENDER_PAUSE_FILE", default=None)
CREDENCE_RENDER_LEASE_SECONDS = env.int("CREDENCE_RENDER_LEASE_SECONDS", default=180)
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="credence-test-static-"))  # noqa: F405
MEDIA_ROOT = Path(  # noqa: F405
    env("DJANGO_MEDIA_ROOT", default=None) or tempfile.mkdtemp(prefix="credence-test-media-")
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# In-process tasks for ordinary tests; tests marked `worker` start real Celery workers
# with CELERY_TASK_ALWAYS_EAGER=0 in their environment.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
CREDENCE_ISSUER_KEYS_FILE = env("DJANGO_ISSUER_KEYS_FILE", default=None) or str(
    Path(tempfile.mkdtemp(prefix="credence-test-keys-")) / "keys.json"  # noqa: F405
)
# Create that key ring on first use, as development does (production must be given one).
CREDENCE_ISSUER_KEYS_AUTOCREATE = True
# The public lookup limiter is off for ordinary tests (they share one client address and a
# process-wide cache); its own tests turn it on with override_settings.
CREDENCE_PUBLIC_RATE_LIMIT = 0
# Windows are fixed, aligned to the clock: an hour (not production's minute) makes a
# limiter test that straddles a window's end, and sees its count restart, rare.
CREDENCE_PUBLIC_RATE_WINDOW = 3600
# Quiet by default; fault tests' workers ask for INFO lines in JSON to read them back.
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="text")
LOGGING = logging_config(LOG_FORMAT, env("DJANGO_LOG_LEVEL", default="WARNING"))  # noqa: F405
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
# The public lookup on the default connection: "public_read" is a mirror of it, a
# connection of its own that cannot see a test's uncommitted rows
# (tests/certificates/test_verify_dead_connection.py uses it in transactional tests).
CREDENCE_PUBLIC_READ_DATABASE = "default"
