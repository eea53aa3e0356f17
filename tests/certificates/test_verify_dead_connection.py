"""docs/threats.md, row F7(a), for the public lookup: a connection the database dropped
since the last request is replaced before the lookup runs (Django's CONN_HEALTH_CHECKS),
so the verifier gets its verdict, not a 500."""

import psycopg
import pytest
from django.db import connection, connections
from django.test import Client

from certificates.public.verification import find_public_badge

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def start_of_a_request() -> None:
    # What Django's request_started signal does: health checks are due again.
    connection.close_if_unusable_or_obsolete()


def kill_our_backend() -> None:
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname="postgres"
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def health_checks_counted(monkeypatch):
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.ensure_connection()
    connection.health_check_enabled = True  # set from the settings at connect time
    calls = []
    real = connection.is_usable

    def counted():
        calls.append(1)
        return real()

    monkeypatch.setattr(connection, "is_usable", counted)
    return calls


def test_lookup_on_a_connection_killed_since_the_last_request_reconnects(
    badge, health_checks_counted
):
    start_of_a_request()
    kill_our_backend()
    start_of_a_request()
    found = find_public_badge(badge.public_id)
    assert found is not None and found.state == "issued"
    # And the connection it left behind works for the rest of the request.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_badge_json_answers_after_the_database_dropped_the_connection(badge):
    client = Client(raise_request_exception=False)
    assert client.get(f"/badges/{badge.public_id}.json").status_code == 200
    connection.ensure_connection()
    kill_our_backend()
    # The test client keeps Django's request_started handler from running; run it here.
    start_of_a_request()
    response = client.get(f"/badges/{badge.public_id}.json")
    assert response.status_code == 200
    assert response.json()["status"] == "valid"


def test_lookup_survives_a_migration_changing_the_table_under_its_prepared_statement(badge):
    assert find_public_badge(badge.public_id) is not None
    with connection.cursor() as cursor:
        # What a deploy's migration might do while this process keeps its connection.
        cursor.execute('ALTER TABLE certificates_badge ALTER COLUMN "pdf" TYPE varchar(400)')
    try:
        start_of_a_request()
        found = find_public_badge(badge.public_id)
        assert found is not None and found.public_id == badge.public_id
    finally:
        with connection.cursor() as cursor:
            cursor.execute('ALTER TABLE certificates_badge ALTER COLUMN "pdf" TYPE varchar(255)')


# --- the lookup's own connection in production (docs/decisions/0005) -----------------


@pytest.fixture
def on_public_read(settings):
    """The lookup on its own alias, as production runs it; transactional tests only
    (the alias is a mirror: its connection cannot see a test's uncommitted rows)."""
    settings.CREDENCE_PUBLIC_READ_DATABASE = "public_read"
    public_read = connections["public_read"]
    assert public_read.settings_dict["CONN_HEALTH_CHECKS"] is False
    yield public_read
    public_read.close()


def kill_backend_of(conn) -> None:
    pid = conn.connection.info.backend_pid
    settings = conn.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname="postgres"
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "public_read"]
)
def test_lookup_on_its_own_connection_killed_since_the_last_request_retries_once(
    badge, on_public_read
):
    assert find_public_badge(badge.public_id) is not None
    kill_backend_of(on_public_read)
    start_of_a_request()
    found = find_public_badge(badge.public_id)
    assert found is not None and found.state == "issued"
    # The new connection stays for the next request.
    assert find_public_badge(badge.public_id).public_id == badge.public_id


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "public_read"]
)
def test_badge_json_answers_after_the_database_dropped_the_lookups_connection(
    badge, on_public_read
):
    client = Client(raise_request_exception=False)
    assert client.get(f"/badges/{badge.public_id}.json").status_code == 200
    kill_backend_of(on_public_read)
    start_of_a_request()
    response = client.get(f"/badges/{badge.public_id}.json")
    assert response.status_code == 200
    assert response.json()["status"] == "valid"


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "public_read"]
)
def test_the_lookups_own_connection_prepares_its_statement_once(badge, on_public_read):
    """PostgreSQL plans the lookup once per connection, not on every request."""
    for _ in range(3):
        assert find_public_badge(badge.public_id) is not None
    with on_public_read.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%LEFT OUTER JOIN certificates_badge s ON s.id = b.superseded_by_id%"],
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "public_read"]
)
def test_a_migration_under_the_lookups_prepared_statement_costs_one_retry(badge, on_public_read):
    for _ in range(2):
        assert find_public_badge(badge.public_id) is not None
    with connection.cursor() as cursor:
        # What a deploy's migration might do while web processes keep their connections.
        cursor.execute('ALTER TABLE certificates_badge ALTER COLUMN "pdf" TYPE varchar(400)')
    try:
        found = find_public_badge(badge.public_id)
        assert found is not None and found.public_id == badge.public_id
    finally:
        on_public_read.close()
        with connection.cursor() as cursor:
            cursor.execute('ALTER TABLE certificates_badge ALTER COLUMN "pdf" TYPE varchar(255)')
