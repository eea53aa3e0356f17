"""What the in-process benchmarks share: a throwaway test database around a run."""

from collections.abc import Callable

from django.db import connection
from django.test import override_settings
from django.test.utils import setup_test_environment


def run_in_test_database(main: Callable[..., int | None], *args, urlconf: str = "") -> int:
    """Run main(*args) with DEBUG off in a test database made for the run and dropped
    after it, served by `urlconf` when given; return main's exit status."""
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    overrides = {"DEBUG": False, **({"ROOT_URLCONF": urlconf} if urlconf else {})}
    try:
        with override_settings(**overrides):
            return main(*args) or 0
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
