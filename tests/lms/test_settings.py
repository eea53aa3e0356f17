import importlib
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured


def test_production_settings_refuse_to_start_without_secrets(monkeypatch):
    for name in ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    sys.modules.pop("lms.settings.production", None)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        importlib.import_module("lms.settings.production")
    for name in ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        assert name in str(excinfo.value)


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
