"""Shared fixtures: the site root, a fellow, an OTP-verified staff user; service detection.

Tests that need a real service carry a marker (postgres, redis, worker, browser) and are
skipped, with the reason printed, when that service is not there. CI sets DATABASE_URL
and REDIS_URL and provides all of them, so nothing is skipped there.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

from tests.support.browser import why_no_browser

# Fixtures that start a private Redis and real Celery workers, shared by the fault tests.
pytest_plugins = ["tests.support.worker_faults"]


def _redis_reachable() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ):
            return True
    except OSError:
        return False


def _service_skips() -> dict[str, str | None]:
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_redis = _redis_reachable()
    has_redis_server = shutil.which("redis-server") is not None
    return {
        "postgres": None if on_postgres else "needs PostgreSQL: set DATABASE_URL=postgres://...",
        "redis": None
        if has_redis and has_redis_server
        else "needs Redis: set REDIS_URL and install redis-server",
        "worker": None
        if on_postgres and has_redis and has_redis_server
        else "needs PostgreSQL and Redis for a real Celery worker",
        "browser": why_no_browser(),
    }


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # Browser tests last (after pytest-django's own ordering, hence trylast): Playwright's
    # sync API keeps an event loop running in this thread from its start until the session
    # ends, which Django would take for async code and asyncio would refuse to nest.
    # Markers, not keywords: keywords also hold every folder name on the path (a checkout
    # in a folder named "browser" or "redis" would match them all).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    skips = _service_skips()
    for item in items:
        _restore_data_after_transactional_tests(item)
        for marker, reason in skips.items():
            if reason and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


def _restore_data_after_transactional_tests(item) -> None:
    """Give every transactional test serialized_rollback.

    A transactional test ends by flushing every table, taking the Wagtail tree root,
    locales and content types that migrations created. With serialized_rollback those
    rows are restored before the next such test; mixing tests with and without it makes
    the result depend on their order (duplicate content types, a missing root page).
    """
    marker = item.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
        kwargs = {**marker.kwargs, "serialized_rollback": True}
        item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


def pytest_report_header(config):
    skips = _service_skips()
    missing = [f"{name} ({why})" for name, why in skips.items() if why]
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    lines = [f"credence: database={db}, redis={'yes' if not skips['redis'] else 'no'}"]
    if missing:
        lines.append("credence: SKIPPING tests that need: " + "; ".join(missing))
    return lines


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Every test starts with an empty cache and no remembered locale: what one test left
    must not decide another's (mutmut runs tests in any order, several sessions in one
    process). The limiter's per-process memory of clients over their limit goes too, and
    so do this process's page copies (and their listener, which may be subscribed to a
    test's own redis-server)."""
    from django.core.cache import cache

    from certificates.public import local_pages, ratelimit
    from courses import translations

    cache.clear()
    # The default locale's id is remembered by the process; a transactional test's
    # emptying (or another session's database, under mutmut) can make it name no locale.
    translations.forget_locales()
    ratelimit.forget_limited_clients()
    local_pages.memory.reset()
    yield
    ratelimit.forget_limited_clients()
    local_pages.memory.reset()


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request served by the test client leaves its language active in this thread
    (Django activates one per request and never switches back): a test that reads words
    without a request must not inherit the Chinese of the test before it."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def site_root(db):
    """The course catalogue as the default site's root page."""
    from courses.models import CourseIndexPage
    from tests.factories.courses import make_catalogue

    return CourseIndexPage.objects.first() or make_catalogue()


@pytest.fixture
def password():
    return "correct horse battery staple 42"


@pytest.fixture
def fellow(db, password):
    from tests.factories.accounts import UserFactory

    return UserFactory(
        email="fellow@example.org",
        password=password,  # hashed by the factory, as create_user would
        display_name="Ada Lovelace",
    )


@pytest.fixture
def fellow_client(fellow):
    """A test client signed in as `fellow`."""
    from django.test import Client

    client = Client()
    client.force_login(fellow)
    return client


@pytest.fixture
def staff_user(db, password):
    from tests.factories.accounts import StaffUserFactory

    return StaffUserFactory(
        email="editor@example.org",
        password=password,  # hashed by the factory, as create_user would
        display_name="Edith Editor",
    )


@pytest.fixture
def verified_staff_client(client, staff_user):
    """A client logged in as a superuser who has passed the second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    client.force_login(staff_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
