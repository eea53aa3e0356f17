"""Development addresses: `make run PORT=...` serves there, and badge links follow it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def dev_site_url(*, argv: list[str] | None = None, **env: str) -> str:
    """SITE_URL as a fresh interpreter with the development settings sees it (base.py
    reads the environment once, at import)."""
    code = "import sys; sys.argv = {argv!r}\nimport lms.settings.dev as s\nprint(s.SITE_URL)"
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT")}
    result = subprocess.run(
        [sys.executable, "-c", code.format(argv=argv or ["manage.py", "load_demo"])],
        env={**clean, "PYTHONPATH": str(REPO_ROOT), **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_dev_links_follow_the_port_variable_unless_site_url_is_set():
    assert dev_site_url() == "http://127.0.0.1:8000"
    assert dev_site_url(PORT="8123") == "http://127.0.0.1:8123"
    assert dev_site_url(PORT="8123", SITE_URL="https://lms.example.org/") == (
        "https://lms.example.org"
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["manage.py", "runserver", "127.0.0.1:8124"], "http://127.0.0.1:8124"),
        (["manage.py", "runserver", "--noreload", "8125"], "http://127.0.0.1:8125"),
        (["manage.py", "runserver", "[::1]:8126"], "http://127.0.0.1:8126"),
    ],
)
def test_dev_links_follow_the_port_runserver_serves(argv, expected):
    # The autoreloader's child gets the same argv, so it agrees with its parent.
    assert dev_site_url(argv=argv, PORT="9999") == expected


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_serves_on_the_port_given_and_passes_it_on():
    # -n prints the recipe without running it (nothing is served or migrated).
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8123"],
        cwd=REPO_ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT")},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert any(line.endswith("manage.py runserver 127.0.0.1:8123") for line in lines)
    runserver = next(line for line in lines if "runserver" in line)
    load_demo = next(line for line in lines if "load_demo" in line)
    assert runserver.startswith("PORT=8123 ") and load_demo.startswith("PORT=8123 ")

    default = subprocess.run(
        ["make", "-n", "run"],
        cwd=REPO_ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "manage.py runserver 127.0.0.1:8000" in default
