"""Bench-only settings for bench_verify.py: production-like (DEBUG off, PostgreSQL, Redis
cache when REDIS_URL is set), plus a bare JSON view mounted by bench/verify_urls.py."""

import os

from lms.settings.base import *  # noqa: F403
from lms.settings.base import env

DEBUG = False
SECRET_KEY = "bench-only-not-secret-" + "x" * 40
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.verify_urls"
# An empty folder made by the bench: the JSON and page need no static files, and WhiteNoise
# warns in every worker when STATIC_ROOT is missing.
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", STATIC_ROOT)  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
CREDENCE_ISSUER_KEYS_FILE = env("DJANGO_ISSUER_KEYS_FILE")
# The limiter stays on (its cost is part of every lookup) with a limit the bench never hits.
CREDENCE_PUBLIC_RATE_LIMIT = 10**9
CREDENCE_BADGE_PAGE_CACHE = os.environ.get("BENCH_PAGE_CACHE", "1") == "1"
LOGGING["root"]["level"] = "ERROR"  # noqa: F405
