"""Login throttling with django-axes: lockout, spoofed X-Forwarded-For, finite cool-off (A6)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from tests.support.otp import LOGIN_URL

NOW = datetime.now(tz=UTC).replace(microsecond=0)


def attempt(client, email, password, **headers):
    return client.post(LOGIN_URL, {"username": email, "password": password}, **headers)


def test_settings_are_finite_and_per_username_and_ip_and_per_client():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == 0.25
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_HANDLER == "lms.accounts.throttling.PerClientLockoutHandler"
    assert settings.CREDENCE_LOGIN_FAILURES_PER_CLIENT == 20


def test_sixth_attempt_is_locked_out_even_with_the_right_password(client, fellow, password):
    with time_machine.travel(NOW, tick=False):
        statuses = [attempt(client, fellow.email, f"wrong {i}").status_code for i in range(5)]
        assert statuses[:4] == [200] * 4
        response = attempt(client, fellow.email, password)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_spoofed_forwarded_for_does_not_reset_the_count(client, fellow, password):
    with time_machine.travel(NOW, tick=False):
        for i in range(5):
            attempt(client, fellow.email, f"wrong {i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
        response = attempt(client, fellow.email, password, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429


def test_changing_the_case_of_the_address_does_not_reset_the_count(client, fellow, password):
    with time_machine.travel(NOW, tick=False):
        for i, spelling in enumerate(["Fellow@example.org", "FELLOW@EXAMPLE.ORG"] * 3):
            if i == 5:
                break
            attempt(client, f" {spelling} ", f"wrong {i}")
        assert attempt(client, fellow.email, password).status_code == 429


def test_another_address_from_the_same_ip_is_not_locked(client, fellow, password):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(email="b@example.org", password=password, display_name="B")
    with time_machine.travel(NOW, tick=False):
        for i in range(5):
            attempt(client, fellow.email, f"wrong {i}")
        assert attempt(client, "b@example.org", password).status_code == 302


def test_cool_off_is_finite(client, fellow, password):
    with time_machine.travel(NOW, tick=False) as traveller:
        for i in range(5):
            attempt(client, fellow.email, f"wrong {i}")
        assert attempt(client, fellow.email, password).status_code == 429
        traveller.shift(timedelta(minutes=14))
        assert attempt(client, fellow.email, password).status_code == 429
        traveller.shift(timedelta(minutes=2))
        response = attempt(client, fellow.email, password)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(fellow.pk)


@pytest.mark.django_db
def test_lockout_page_renders_without_javascript(client):
    from django.template.loader import render_to_string

    html = render_to_string("accounts/lockout.html", {})
    assert "15 minutes" in html
    assert "<script" not in html


def test_axes_username_reads_the_login_forms_key_and_normalises(rf):
    from lms.accounts.throttling import axes_username

    assert axes_username(rf.post("/"), {"username": " Ada@Example.ORG "}) == "ada@example.org"
    assert axes_username(rf.post("/", {"username": "B@x.org"}), None) == "b@x.org"
    assert axes_username(rf.post("/"), {"username": None}) is None


def test_behind_our_load_balancer_one_attacker_does_not_lock_the_fellow_out(
    client, fellow, password, settings
):
    """Every request reaches us from the balancer's address; the client is the entry our
    balancer appended to X-Forwarded-For (the same rule as the badge lookup limit)."""
    settings.CREDENCE_TRUSTED_PROXY_COUNT = 1
    via_balancer = {"REMOTE_ADDR": "10.0.0.1"}
    with time_machine.travel(NOW, tick=False):
        for i in range(5):
            attacker = {**via_balancer, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
            attempt(client, fellow.email, f"wrong {i}", **attacker)
        locked = attempt(
            client, fellow.email, password, **via_balancer, HTTP_X_FORWARDED_FOR="203.0.113.66"
        )
        assert locked.status_code == 429
        # What the attacker writes in the header themselves changes nothing...
        forged = {**via_balancer, "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.66"}
        assert attempt(client, fellow.email, password, **forged).status_code == 429
        # ...while the fellow, at home behind the same balancer, logs in.
        fellow_home = {**via_balancer, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
        assert attempt(client, fellow.email, password, **fellow_home).status_code == 302


def test_one_password_sprayed_across_accounts_from_one_client_is_locked(client, password, db):
    """docs/threats.md, row A9: one wrong password against 30 accounts from one client. The
    per-account limit never trips; the per-client limit does, while a fellow elsewhere logs in."""
    from django.contrib.auth import get_user_model

    from lms.accounts.throttling import per_client_failure_limit

    users = [
        get_user_model().objects.create_user(
            email=f"fellow{i}@example.org", password=password, display_name=f"F {i}"
        )
        for i in range(30)
    ]
    sprayer = {"REMOTE_ADDR": "203.0.113.66"}
    with time_machine.travel(NOW, tick=False) as traveller:
        statuses = [attempt(client, u.email, "Winter2026!", **sprayer).status_code for u in users]
        limit = per_client_failure_limit()
        assert statuses[:limit] == [200] * limit
        assert statuses[limit:] == [429] * (30 - limit)
        # Locked even where the password is right: the client learns nothing more.
        assert attempt(client, users[-1].email, password, **sprayer).status_code == 429
        assert "_auth_user_id" not in client.session
        # A fellow at home (another address) logs in to a sprayed account as usual.
        home = attempt(client, users[0].email, password, REMOTE_ADDR="198.51.100.7")
        assert home.status_code == 302
        client.logout()
        # The lock is finite, like the per-account one.
        traveller.shift(timedelta(minutes=16))
        assert attempt(client, users[-1].email, password, **sprayer).status_code == 302


def test_a_few_typos_on_several_accounts_from_one_network_lock_nobody(client, password, db):
    """A classroom behind one address: each fellow mistypes twice, then logs in."""
    from django.contrib.auth import get_user_model

    emails = [f"pupil{i}@example.org" for i in range(8)]
    for email in emails:
        get_user_model().objects.create_user(email=email, password=password, display_name="P")
    with time_machine.travel(NOW, tick=False):
        for email in emails:
            attempt(client, email, "typo one")
            attempt(client, email, "typo two")
            assert attempt(client, email, password).status_code == 302
            client.logout()
