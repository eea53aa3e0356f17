"""Running code under the production settings, in a fresh interpreter (they read the
environment once, at import, and refuse to start without their secrets)."""

import subprocess
import sys

PRODUCTION_ENV = {
    "PATH": "/usr/bin:/bin",
    "DJANGO_SETTINGS_MODULE": "lms.settings.production",
    "DJANGO_SECRET_KEY": "x" * 60,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_ISSUER_KEYS_FILE": "/nonexistent/keys.json",
}


def run_under_production_settings(code: str, **env: str) -> subprocess.CompletedProcess:
    """`python -c code` with django.setup() done under production settings; `env` adds to
    or overrides PRODUCTION_ENV. Fails the test if the interpreter does."""
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env={**PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result
