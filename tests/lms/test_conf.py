"""The CREDENCE_* settings: each declared once, with its default, in a conf module
(certificates/conf.py, lms/conf.py); each listed in the README; and read afresh on every
access, so a deployment's settings and override_settings apply."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from certificates.conf import conf as certificates_conf
from lms.conf import REQUIRED, SameAs
from lms.conf import conf as lms_conf

REPO = Path(__file__).resolve().parents[2]
CODE_DIRS = ("certificates", "courses", "lms", "bench", "tests")
CONF_MODULES = (REPO / "certificates" / "conf.py", REPO / "lms" / "conf.py")
DECLARED = {**certificates_conf.defaults, **lms_conf.defaults}

NAME = re.compile(r"\bCREDENCE_[A-Z0-9_]+\b")
# A name used as a Django setting: read as an attribute (settings.X, conf.X), assigned in a
# settings module or passed to override_settings (X = ...), or read with getattr(settings, "X").
AS_SETTING = re.compile(
    r"\.(CREDENCE_[A-Z0-9_]+)\b"
    r"|(?:^\s*|[(,]\s*)(CREDENCE_[A-Z0-9_]+)\s*=(?!=)"
    r"|getattr\(\s*settings\s*,\s*\"(CREDENCE_[A-Z0-9_]+)\"",
    re.MULTILINE,
)
# An environment variable read by a settings module: env("X"), env.int("X"), ...
ENV_READ = re.compile(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")


def _python_files():
    # Not this file: it names a setting that does not exist, on purpose.
    for folder in CODE_DIRS:
        yield from (p for p in (REPO / folder).rglob("*.py") if p != Path(__file__).resolve())


def _names_in_code(pattern: re.Pattern, *, skip=()) -> dict[str, str]:
    """Each name the pattern finds, with one file it was found in."""
    found = {}
    for path in _python_files():
        if path in skip:
            continue
        for match in pattern.finditer(path.read_text()):
            name = next(group for group in match.groups() or (match.group(0),) if group)
            found.setdefault(name, str(path.relative_to(REPO)))
    return found


def _readme_table(heading: str) -> dict[str, str]:
    """First column -> last column of the table under `heading` in the README; a first
    column naming several variables gives one entry for each."""
    text = (REPO / "README.md").read_text()
    section = text.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| `"):
            continue
        for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0]):
            rows[name] = cells[-1]
    return rows


def _as_written(default) -> str:
    """How the README writes a declared default."""
    if default is REQUIRED:
        return "required"
    if default is None:
        return "none"
    if isinstance(default, SameAs):
        return f"`{default.setting}`"
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    if isinstance(default, str) and default.startswith(str(REPO)):
        default = str(Path(default).relative_to(REPO))
    return f"`{default}`"


def test_every_credence_setting_the_code_uses_is_declared_in_a_conf_module():
    used = _names_in_code(AS_SETTING)
    undeclared = {name: where for name, where in used.items() if name not in DECLARED}
    assert not undeclared, f"declare these in certificates/conf.py or lms/conf.py: {undeclared}"


def test_every_declared_setting_is_used_outside_its_conf_module():
    used = _names_in_code(NAME, skip=CONF_MODULES)
    assert not set(DECLARED) - set(used)


def test_the_readme_lists_every_setting_with_its_declared_default():
    table = _readme_table("### Settings")
    assert set(table) == set(DECLARED)
    for name, default in DECLARED.items():
        assert table[name].startswith(_as_written(default)), name


def test_the_readme_lists_every_environment_variable_and_every_credence_name():
    table = _readme_table("### Environment variables")
    read = set()
    for path in (REPO / "lms" / "settings").glob("*.py"):
        read |= set(ENV_READ.findall(path.read_text()))
    assert read and not read - set(table)
    everywhere = set(_names_in_code(NAME))
    assert not everywhere - set(table) - set(_readme_table("### Settings"))


def test_the_settings_modules_give_the_declared_defaults_when_the_environment_is_empty():
    # A fresh interpreter with no environment: base.py's env defaults and the conf modules'
    # defaults must be the same values, or a setting's default would depend on whether
    # lms.settings was loaded.
    code = (
        "import json; from django.conf import settings; "
        "from certificates.conf import conf as c; from lms.conf import conf as l; "
        "names = [n for n in {**c.defaults, **l.defaults} if hasattr(settings, n)]; "
        "print(json.dumps({n: getattr(settings, n) for n in names}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(REPO),
            "DJANGO_SETTINGS_MODULE": "lms.settings.base",
        },
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    set_by_base = json.loads(result.stdout)
    assert "CREDENCE_ISSUER_NAME" in set_by_base
    for name, value in set_by_base.items():
        if DECLARED[name] is not REQUIRED:
            assert value == DECLARED[name], name


@pytest.fixture
def without(settings):
    """Remove settings for one test, so the conf modules' defaults show through."""

    def remove(*names):
        for name in names:
            if hasattr(settings, name):
                delattr(settings, name)

    return remove


def test_override_settings_changes_what_the_conf_object_returns():
    assert certificates_conf.CREDENCE_PUBLIC_RATE_LIMIT == 0  # lms/settings/test.py
    with override_settings(CREDENCE_PUBLIC_RATE_LIMIT=7, CREDENCE_OTP_VERIFY_URL="/2fa/"):
        assert certificates_conf.CREDENCE_PUBLIC_RATE_LIMIT == 7
        assert lms_conf.CREDENCE_OTP_VERIFY_URL == "/2fa/"
    assert certificates_conf.CREDENCE_PUBLIC_RATE_LIMIT == 0
    assert lms_conf.CREDENCE_OTP_VERIFY_URL == "/accounts/2fa/verify/"


def test_a_setting_left_out_gets_its_declared_default(settings, without):
    without("CREDENCE_PUBLIC_RATE_LIMIT", "CREDENCE_TRUSTED_PROXY_COUNT")
    assert certificates_conf.CREDENCE_PUBLIC_RATE_LIMIT == 60
    assert lms_conf.CREDENCE_TRUSTED_PROXY_COUNT == 0


def test_a_default_that_follows_another_setting_reads_it_when_asked(settings, without):
    without("CREDENCE_ISSUER_KEYS_AUTOCREATE")
    settings.DEBUG = True
    assert certificates_conf.CREDENCE_ISSUER_KEYS_AUTOCREATE is True
    settings.DEBUG = False
    assert certificates_conf.CREDENCE_ISSUER_KEYS_AUTOCREATE is False


def test_a_required_setting_left_out_is_a_configuration_error(settings, without):
    without("CREDENCE_ADMIN_CONTENT_SECURITY_POLICY")
    with pytest.raises(ImproperlyConfigured, match="CREDENCE_ADMIN_CONTENT_SECURITY_POLICY"):
        lms_conf.CREDENCE_ADMIN_CONTENT_SECURITY_POLICY  # noqa: B018


def test_an_undeclared_name_is_an_error_not_none(settings):
    settings.CREDENCE_NOT_A_SETTING = 1
    with pytest.raises(AttributeError, match="CREDENCE_NOT_A_SETTING"):
        certificates_conf.CREDENCE_NOT_A_SETTING  # noqa: B018
    with pytest.raises(AttributeError):
        lms_conf.CREDENCE_ISSUER_NAME  # noqa: B018  (a certificates setting)
