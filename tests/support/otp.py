"""Second-factor helpers for tests in any package: devices, codes, the login steps, and
clients that have passed the second factor."""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lms.accounts.second_factor import backup_code_digest

LOGIN_URL = "/accounts/login/"
VERIFY_URL = "/accounts/2fa/verify/"
SETUP_URL = "/accounts/2fa/setup/"


def make_totp_device(user, **kwargs) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True, **kwargs)


def make_backup_codes(user, codes=("abcdefgh", "ijklmnop")) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=backup_code_digest(code))
    return device


def current_code(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now (time.time() is patched by time-machine)."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, drift=offset_steps)
    return f"{value:0{device.digits}d}"


def password_login(client, email: str, password: str, next_url: str = ""):
    data = {"username": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN_URL, data)


def submit_code(client, code: str, next_url: str = "/"):
    return client.post(VERIFY_URL, {"otp_token": code, "next": next_url})


def verified_client_for(user) -> Client:
    """A fresh client logged in as `user` with a verified second factor (the pattern of
    the verified_staff_client fixture)."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
