import subprocess
import sys

from tests.support.production import run_under_production_settings


def _import_production(env: dict) -> subprocess.CompletedProcess:
    # A fresh interpreter: lms.settings.base reads the environment once, at import.
    return subprocess.run(
        [sys.executable, "-c", "import lms.settings.production"],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_refuse_to_start_without_secrets():
    result = _import_production({})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        assert name in result.stderr


def test_production_settings_refuse_to_start_without_an_issuer_key_file():
    result = _import_production(
        {
            "DJANGO_SECRET_KEY": "x" * 60,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert result.returncode != 0
    assert "DJANGO_ISSUER_KEYS_FILE" in result.stderr


def test_production_settings_refuse_sqlite():
    env = {
        "DJANGO_SECRET_KEY": "x" * 60,
        "DATABASE_URL": "sqlite:////tmp/nope.sqlite3",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import lms.settings.production"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_one_proxy_count_sets_both_login_throttling_and_the_badge_lookup_limit():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CREDENCE_TRUSTED_PROXY_COUNT, settings.AXES_CLIENT_IP_CALLABLE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "lms.settings.dev",
            "DJANGO_TRUSTED_PROXY_COUNT": "1",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "lms.client_ip.client_ip"]


def test_production_probes_are_answered_over_plain_http_everything_else_redirects():
    result = run_under_production_settings(
        "from django.test import Client; c = Client(); "
        "print(c.get('/healthz').status_code, c.get('/readyz').status_code, "
        "c.get('/verify/').status_code)",
        DJANGO_ALLOWED_HOSTS="testserver",
    )
    healthz, readyz, verify = result.stdout.split()
    assert healthz == "200"
    assert readyz in {"200", "503"}  # answered, not redirected: the services may be absent
    assert verify == "301"
