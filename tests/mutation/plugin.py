"""pytest plugin for `make mutate`: each test process starts from a migrated SQLite copy.

mutmut runs every mutant's tests in a new pytest session, and migrating a fresh test
database costs far more than the tests a mutant needs. The runner builds one migrated
database file before mutmut starts (`build_template`); each session here copies it and
keeps the copy (pytest-django's --reuse-db), so no session migrates. Sessions also run
the tests that need no database first: with -x, a mutant a plain test kills costs no
database at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Set by tests/mutation/run.py; without it the plugin leaves the database alone.
TEMPLATE_VARIABLE = "CREDENCE_MUTATION_DB"


def _template() -> Path | None:
    value = os.environ.get(TEMPLATE_VARIABLE)
    return Path(value) if value else None


def build_template() -> None:
    """Create and migrate the template database (the runner calls this once per run)."""
    import django
    from django.db import connections

    template = _template()
    template.parent.mkdir(parents=True, exist_ok=True)
    template.unlink(missing_ok=True)
    django.setup()
    connection = connections["default"]
    connection.settings_dict["TEST"]["NAME"] = str(template)
    connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)


def _own_copy(template: Path) -> Path:
    return template.with_name(f"{template.stem}-{os.getpid()}{template.suffix}")


def pytest_configure(config):
    from django.db import connections

    template = _template()
    if template is None or not template.exists() or connections["default"].vendor != "sqlite":
        return
    copy = _own_copy(template)
    shutil.copyfile(template, copy)
    connections["default"].settings_dict["TEST"]["NAME"] = str(copy)
    config.option.reuse_db = True


def pytest_unconfigure(config):
    template = _template()
    if template is not None:
        _own_copy(template).unlink(missing_ok=True)


def _database_use(item) -> int:
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    if (marker and marker.kwargs.get("transaction")) or "transactional_db" in fixtures:
        return 2
    if marker or "db" in fixtures:
        return 1
    return 0


# Tests that compare the source's strings with the translation catalogue: a mutant changes
# a string on purpose, so they would fail every mutant (and mutmut's clean run) while
# saying nothing about the rules under test.
CATALOGUE_TESTS = "tests/lms/test_i18n_catalogue.py"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if _template() is not None:
        kept = [item for item in items if not item.nodeid.startswith(CATALOGUE_TESTS)]
        if len(kept) != len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in kept])
            items[:] = kept
    items.sort(key=_database_use)
