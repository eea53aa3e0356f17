"""The same code from many requests at once succeeds exactly once (docs/threats.md, row A3).

Needs PostgreSQL: SQLite serialises writers, so it cannot show the race at all.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken

from lms.accounts.second_factor import backup_code_digest
from tests.support.otp import current_code, make_backup_codes, make_totp_device, password_login

THREADS = 10
NOW = datetime.now(tz=UTC).replace(microsecond=0) + timedelta(minutes=5)


def _race(clients, code):
    barrier = threading.Barrier(len(clients))
    statuses = [None] * len(clients)

    def submit(i, client):
        try:
            barrier.wait(timeout=30)
            response = client.post("/accounts/2fa/verify/", {"otp_token": code, "next": "/ok/"})
            statuses[i] = (response.status_code, response.get("Location"))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def _pending_clients(user, password):
    clients = []
    for _ in range(THREADS):
        client = Client()
        assert password_login(client, user.email, password).status_code == 302
        clients.append(client)
    return clients


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_totp_code_from_ten_requests_succeeds_once(fellow, password):
    device = make_totp_device(fellow)
    with time_machine.travel(NOW, tick=False):
        clients = _pending_clients(fellow, password)
        statuses = _race(clients, current_code(device))
    successes = [s for s in statuses if s == (302, "/ok/")]
    assert len(successes) == 1, statuses
    assert sum(DEVICE_ID_SESSION_KEY in c.session for c in clients) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_backup_code_from_ten_requests_succeeds_once(fellow, password):
    make_totp_device(fellow)
    make_backup_codes(fellow, codes=["abcdefgh", "ijklmnop"])
    with time_machine.travel(NOW, tick=False):
        clients = _pending_clients(fellow, password)
        statuses = _race(clients, "abcdefgh")
    assert [s for s in statuses if s == (302, "/ok/")] == [(302, "/ok/")], statuses
    assert list(StaticToken.objects.values_list("token", flat=True)) == [
        backup_code_digest("ijklmnop")
    ]
