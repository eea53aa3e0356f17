"""Two-factor login: verify step, replay, step tolerance, backup codes, throttling,
enrolment, removal and session handling (docs/threats.md, rows A2, A4, A5, A7)."""

import logging
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lms.accounts import second_factor
from lms.accounts.second_factor import backup_code_digest
from tests.support.otp import (
    SETUP_URL,
    VERIFY_URL,
    current_code,
    make_backup_codes,
    make_totp_device,
    password_login,
    submit_code,
)

# Frozen instants near the real clock (sessions saved while frozen must not be expired
# afterwards), 10 s into a 30 s step so "the same step" is unambiguous.
STEP_START = datetime.fromtimestamp(int(time.time()) // 30 * 30 + 3600, tz=UTC)
T0 = STEP_START + timedelta(seconds=10)


def is_verified(client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


@pytest.fixture
def device(fellow):
    return make_totp_device(fellow)


def test_login_with_a_device_stops_at_the_verify_step(client, fellow, password, device):
    response = password_login(client, fellow.email, password, next_url="/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY_URL)
    assert not is_verified(client)
    # Until the code is given every other page sends the user back to the step.
    response = client.get("/accounts/profile/")
    assert response["Location"].startswith(VERIFY_URL)
    page = client.get(VERIFY_URL).content.decode()
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page

    with time_machine.travel(T0, tick=False):
        response = submit_code(client, current_code(device), next_url="/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert is_verified(client)
    assert client.get("/accounts/profile/").status_code == 200


def test_login_without_a_device_is_complete_after_the_password(client, fellow, password):
    response = password_login(client, fellow.email, password, next_url="/accounts/profile/")
    assert response["Location"] == "/accounts/profile/"
    assert client.get("/accounts/profile/").status_code == 200


def test_totp_code_is_accepted_once_then_refused_on_the_next_login(
    client, fellow, password, device
):
    with time_machine.travel(T0, tick=False):
        code = current_code(device)
        password_login(client, fellow.email, password)
        assert submit_code(client, code).status_code == 302
        assert is_verified(client)

        client.post("/accounts/logout/")
        password_login(client, fellow.email, password)
        response = submit_code(client, code)
    assert response.status_code == 200
    assert "not valid" in response.content.decode()
    assert not is_verified(client)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the replay counts as a failure


def test_older_code_after_a_newer_one_is_refused(fellow, device):
    with time_machine.travel(T0, tick=False):
        newer, older = current_code(device, +1), current_code(device)
        assert second_factor.verify_code(fellow, newer).ok
        assert not second_factor.verify_code(fellow, older).ok


def test_step_tolerance_is_exactly_one_step(fellow, device):
    """Documented decision (ASVS 6.5.5): django-otp's default tolerance of one 30 s step
    each way, for phones with a slightly wrong clock; two steps old is refused."""
    start = STEP_START
    with time_machine.travel(start + timedelta(seconds=29.9), tick=False):
        code_step0 = current_code(device)
    with time_machine.travel(start + timedelta(seconds=30.1), tick=False):
        assert current_code(device) != code_step0
        assert second_factor.verify_code(fellow, code_step0).ok
    other = make_totp_device(
        fellow.__class__.objects.create_user(email="b@example.org", password="x", display_name="B")
    )
    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        old = current_code(other)
    with time_machine.travel(start + timedelta(seconds=65), tick=False):
        assert not second_factor.verify_code(other.user, old).ok


def test_backup_code_works_once(client, fellow, password, device):
    make_backup_codes(fellow, codes=["abcdefgh"])
    password_login(client, fellow.email, password)
    assert submit_code(client, "ABCD-EFGH").status_code == 302  # typed with case and dash
    assert is_verified(client)
    assert not StaticToken.objects.filter(token="abcdefgh").exists()

    client.post("/accounts/logout/")
    password_login(client, fellow.email, password)
    assert submit_code(client, "abcdefgh").status_code == 200
    assert not is_verified(client)


def test_wrong_codes_are_throttled_without_evaluating_the_code(client, fellow, password, device):
    failures = []
    from django_otp.forms import otp_verification_failed

    def record(sender, user, **kwargs):
        failures.append(user.pk)

    otp_verification_failed.connect(record)
    try:
        with time_machine.travel(T0, tick=False) as traveller:
            password_login(client, fellow.email, password)
            assert submit_code(client, "000000").status_code == 200
            assert submit_code(client, "111111").status_code == 429  # inside the 1 s delay
            # Even the right code fails during the delay and does not move last_t.
            response = submit_code(client, current_code(device))
            assert response.status_code == 429
            assert "Too many wrong codes" in response.content.decode()
            device.refresh_from_db()
            assert device.last_t == -1
            assert not is_verified(client)
            # The delay doubles per failure (OTP_TOTP_THROTTLE_FACTOR=1: 1, 2, 4 ... s).
            traveller.shift(1.5)
            assert submit_code(client, "222222").status_code == 200
            traveller.shift(1.5)
            assert submit_code(client, current_code(device)).status_code == 429
            traveller.shift(1)
            assert submit_code(client, current_code(device)).status_code == 302
    finally:
        otp_verification_failed.disconnect(record)
    assert is_verified(client)
    assert failures and set(failures) == {fellow.pk}
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_enrolment_shows_qr_and_secret_then_backup_codes_once(client, fellow):
    client.force_login(fellow)
    page = client.get(SETUP_URL)
    body = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert "<svg" in body
    assert "<script" not in body
    device = TOTPDevice.objects.get(user=fellow, confirmed=False)
    secret = re.search(r'class="otp-secret"[^>]*>([A-Z2-7 ]+)<', body).group(1)
    from base64 import b32decode

    bare = secret.replace(" ", "")
    assert b32decode(bare + "=" * (-len(bare) % 8)) == device.bin_key
    # Reloading keeps the same secret, so a half-finished scan still works.
    assert secret in client.get(SETUP_URL).content.decode()

    with time_machine.travel(T0, tick=False) as traveller:
        wrong = "123456" if current_code(device) != "123456" else "654321"
        response = client.post(SETUP_URL, {"otp_token": wrong})
        assert response.status_code == 200
        assert "did not match" in response.content.decode()
        device.refresh_from_db()
        assert not device.confirmed
        traveller.shift(2)  # past django-otp's delay after the wrong code
        response = client.post(SETUP_URL, {"otp_token": current_code(device)})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(codes) == second_factor.BACKUP_CODE_COUNT
    device.refresh_from_db()
    assert device.confirmed
    assert is_verified(client)
    # Shown once: the device page does not repeat them.
    assert codes[0] not in client.get("/accounts/2fa/").content.decode()
    assert second_factor.verify_code(fellow, codes[0]).ok


def test_regenerating_backup_codes_invalidates_the_old_set(client, fellow, device):
    make_backup_codes(fellow, codes=["oldoldol"])
    client.force_login(fellow)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = client.post("/accounts/2fa/backup-codes/")
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(codes) == second_factor.BACKUP_CODE_COUNT
    assert not StaticToken.objects.filter(token=backup_code_digest("oldoldol")).exists()
    assert second_factor.verify_code(fellow, codes[-1]).ok
    assert not second_factor.verify_code(fellow, "oldoldol").ok


def test_regenerating_backup_codes_needs_a_verified_session(client, fellow, password, device):
    make_backup_codes(fellow, codes=["oldoldol"])
    password_login(client, fellow.email, password)
    response = client.post("/accounts/2fa/backup-codes/")
    assert response["Location"].startswith(VERIFY_URL)
    assert StaticToken.objects.filter(token=backup_code_digest("oldoldol")).exists()


def _verified_client(user, password, device, at):
    other = Client()
    with time_machine.travel(at, tick=False):
        password_login(other, user.email, password)
        assert submit_code(other, current_code(device)).status_code == 302
    return other


def test_removing_devices_needs_password_and_code_and_unverifies_other_sessions(
    fellow, password, device
):
    make_backup_codes(fellow, codes=["abcdefgh"])
    first = _verified_client(fellow, password, device, T0)
    second = _verified_client(fellow, password, device, T0 + timedelta(seconds=60))

    with time_machine.travel(T0 + timedelta(seconds=120), tick=False) as traveller:
        code = current_code(device)
        response = first.post("/accounts/2fa/remove/", {"password": "wrong", "otp_token": code})
        assert response.status_code == 200
        assert TOTPDevice.objects.filter(user=fellow).exists()
        response = first.post("/accounts/2fa/remove/", {"password": password, "otp_token": "1"})
        assert TOTPDevice.objects.filter(user=fellow).exists()
        traveller.shift(2)  # past django-otp's delay after that wrong code
        response = first.post("/accounts/2fa/remove/", {"password": password, "otp_token": code})
    assert response.status_code == 302
    assert not second_factor.has_confirmed_device(fellow)
    # The other session was verified by a device that no longer exists.
    response = second.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP_URL)
    assert second.get("/accounts/profile/").status_code == 200


def _session_key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_session_key_changes_at_login_and_at_verification(client, fellow, password, device):
    pre = SessionStore()
    pre["planted"] = True
    pre.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = pre.session_key

    with time_machine.travel(T0, tick=False):
        password_login(client, fellow.email, password)
        after_password = _session_key(client)
        assert after_password != pre.session_key
        submit_code(client, current_code(device))
    after_code = _session_key(client)
    assert after_code != after_password
    assert is_verified(client)

    for stale in (pre.session_key, after_password):
        attacker = Client()
        attacker.cookies[settings.SESSION_COOKIE_NAME] = stale
        assert attacker.get("/accounts/profile/")["Location"].startswith("/accounts/login/")


def test_logged_out_session_cookie_is_rejected(client, fellow, password):
    password_login(client, fellow.email, password)
    key = _session_key(client)
    assert client.get("/accounts/profile/").status_code == 200
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get("/accounts/profile/")["Location"].startswith("/accounts/login/")


def test_no_codes_secrets_or_passwords_in_logs(client, fellow, password, caplog):
    caplog.set_level(logging.DEBUG)
    with time_machine.travel(T0, tick=False):
        client.post("/accounts/login/", {"username": fellow.email, "password": "bad guess 1"})
        password_login(client, fellow.email, password)
        client.get(SETUP_URL)
        device = TOTPDevice.objects.get(user=fellow)
        code = current_code(device)
        response = client.post(SETUP_URL, {"otp_token": code})
        codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
        client.post("/accounts/logout/")
        password_login(client, fellow.email, password)
        submit_code(client, "999999")
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        submit_code(client, codes[0])
        client.post("/accounts/2fa/remove/", {"password": password, "otp_token": codes[1]})
    assert caplog.records, "the flows are expected to log something (axes, otp failures)"
    text = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in [password, "bad guess 1", code, "999999", *codes, device.key]:
        assert secret not in text


def test_backup_codes_are_stored_as_keyed_digests_and_survive_a_key_rotation(
    client, fellow, settings
):
    """ASVS 6.5.2: a copy of the database does not hold usable backup codes."""
    make_totp_device(fellow)
    codes = second_factor.regenerate_backup_codes(fellow)
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == len(codes) == second_factor.BACKUP_CODE_COUNT
    assert not stored & set(codes)
    assert all(re.fullmatch(r"[0-9a-f]{16}", token) for token in stored)

    def reset_throttle():  # each deliberate failure below would pause checking
        StaticDevice.objects.get(user=fellow).throttle_reset()

    # Codes are typed with spaces, dashes and capitals.
    first = codes[0]
    assert second_factor.verify_code(fellow, f"{first[:4].upper()}-{first[4:]}").ok
    assert not second_factor.verify_code(fellow, first).ok  # used up
    reset_throttle()

    # A new SECRET_KEY with the old one as a fallback: printed codes still work, once.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "rotated-test-only-key-" + "y" * 40
    assert second_factor.verify_code(fellow, codes[1]).ok
    result = second_factor.verify_code(fellow, codes[1])
    assert not result.ok and not result.throttled
    reset_throttle()
    # Without the fallback the old codes no longer match anything.
    settings.SECRET_KEY_FALLBACKS = []
    result = second_factor.verify_code(fellow, codes[2])
    assert not result.ok and not result.throttled


def test_migration_turns_plain_text_backup_codes_into_digests(fellow):
    import importlib

    migration = importlib.import_module("lms.accounts.migrations.0003_hash_backup_codes")
    make_totp_device(fellow)
    device = StaticDevice.objects.create(user=fellow, name="Backup codes", confirmed=True)
    StaticToken.objects.create(device=device, token="abcdefgh")  # as django-otp stored it

    from django.apps import apps

    migration.hash_plain_tokens(apps, None)
    migration.hash_plain_tokens(apps, None)  # a second run changes nothing
    assert list(StaticToken.objects.values_list("token", flat=True)) == [
        backup_code_digest("abcdefgh")
    ]
    assert second_factor.verify_code(fellow, "abcdefgh").ok
