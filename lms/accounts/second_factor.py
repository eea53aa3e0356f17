"""Second-factor services on django-otp devices: enrol, verify, backup codes, remove,
and whether a user has a confirmed device.

Each user has at most one TOTP device (an authenticator app) and one static device
(backup codes). Every verification runs inside a transaction with the device row
locked (SELECT ... FOR UPDATE), so django-otp's replay guard (TOTPDevice.last_t), its
one-time deletion of static tokens and its failure throttling are all checked and
updated atomically: the same code sent by ten requests at once succeeds exactly once.
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import devices_for_user, user_has_device
from django_otp.forms import otp_verification_failed
from django_otp.models import Device, VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

logger = logging.getLogger("credence.accounts")

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"

_TOTP_CODE = re.compile(r"\d{6}")
# StaticToken.random_token(): 8 characters of lower-case base32.
_BACKUP_CODE = re.compile(r"[a-z2-7]{8}")
# Backup codes are stored as keyed digests, never as themselves (ASVS 6.5.2; django-otp
# keeps them in plain text). The salt names the purpose; the key is SECRET_KEY.
BACKUP_CODE_SALT = "credence.accounts.backup-code"


@dataclass(frozen=True)
class VerifyResult:
    device: Device | None
    # Set when django-otp's throttle refused to even look at the code.
    throttled: bool = False
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.device is not None


def normalize_code(code: str) -> str:
    """Codes are typed with spaces or dashes and in any case; compare them bare."""
    return re.sub(r"[\s-]", "", code or "").lower()


def has_confirmed_device(user) -> bool:
    return user_has_device(user, confirmed=True)


def get_totp_device(user, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=confirmed).first()


def _device_for_code(user, code: str) -> type[Device] | None:
    # The code's shape says which device it is for, so a typo in one never counts as a
    # failure against (and throttles) the other.
    if _TOTP_CODE.fullmatch(code):
        return TOTPDevice
    if _BACKUP_CODE.fullmatch(code):
        return StaticDevice
    return None


def backup_code_digest(code: str, *, secret: str | None = None) -> str:
    """What is stored for a backup code: 16 hex digits of an HMAC-SHA256 keyed by the site's
    SECRET_KEY. A copy of the database alone cannot be turned back into working codes,
    and the digest fits django-otp's 16-character token column, so its one-time
    deletion and throttling work unchanged."""
    return salted_hmac(
        BACKUP_CODE_SALT, normalize_code(code), secret=secret, algorithm="sha256"
    ).hexdigest()[:16]


def _stored_backup_token(device: StaticDevice, code: str) -> str:
    """The stored digest matching `code`, under SECRET_KEY or any SECRET_KEY_FALLBACKS (so
    rotating the key does not void printed codes); else the current key's digest, which
    matches nothing and counts as one failed attempt."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    digests = [backup_code_digest(code, secret=secret) for secret in secrets]
    found = device.token_set.filter(token__in=digests).values_list("token", flat=True).first()
    return found or digests[0]


def _verify_locked(device: Device, code: str) -> VerifyResult:
    """Verify `code` on a device already locked by the caller's transaction."""
    allowed, extra = device.verify_is_allowed()
    if not allowed:
        # The code is not evaluated at all while the throttle delay runs.
        if extra and extra.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
            failures = extra.get("failure_count") or 0
            message = ngettext(
                "Too many wrong codes. Wait a little and try again (%(count)d failed attempt).",
                "Too many wrong codes. Wait a little and try again (%(count)d failed attempts).",
                failures,
            ) % {"count": failures}
        else:
            message = _("Code checking is paused for this account. Try again soon.")
        return VerifyResult(None, throttled=True, message=message)
    if device.verify_token(code):
        return VerifyResult(device)
    return VerifyResult(None, message=_("That code is not valid. Check it and try again."))


def verify_code(user, code: str) -> VerifyResult:
    """Check a TOTP or backup code against the user's confirmed device of that kind.

    On success the TOTP step is recorded (so the same or an older code is refused
    from then on) or the backup code is deleted. On failure django-otp's throttle
    counter is incremented and committed. Never logs the code.
    """
    code = normalize_code(code)
    model = _device_for_code(user, code)
    result = VerifyResult(None, message=_("That code is not valid. Check it and try again."))
    with transaction.atomic():
        device = None
        if model is not None:
            device = (
                model.objects.devices_for_user(user, confirmed=True).select_for_update().first()
            )
        if device is None:
            # Wrong shape or no such device: count it against the TOTP device so
            # garbage input cannot be used to probe without throttling.
            device = TOTPDevice.objects.devices_for_user(user, confirmed=True)
            device = device.select_for_update().first()
            if device is not None and device.verify_is_allowed()[0]:
                device.throttle_increment(commit=True)
        else:
            if isinstance(device, StaticDevice):
                code = _stored_backup_token(device, code)
            result = _verify_locked(device, code)
    if not result.ok:
        otp_verification_failed.send(sender=verify_code, user=user)
        logger.info("otp verification failed for user id %s", user.pk)
    return result


def start_totp_enrolment(user) -> TOTPDevice:
    """Return the user's unconfirmed TOTP device, creating one if needed (idempotent).

    Reusing it keeps the QR code stable across reloads of the enrolment page.
    """
    device = get_totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def confirm_totp_enrolment(user, code: str) -> tuple[TOTPDevice | None, list[str]]:
    """Confirm the pending TOTP device with a first code; on success issue backup codes.

    Returns (device, backup_codes) on success and (None, []) on a wrong code. The
    first code also sets last_t, so it cannot be replayed at the next login.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.devices_for_user(user, confirmed=False).select_for_update().first()
        )
        if device is None or get_totp_device(user) is not None:
            return None, []
        if not _verify_locked(device, normalize_code(code)).ok:
            return None, []
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return device, _replace_backup_codes(user)


def _replace_backup_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=backup_code_digest(code)) for code in codes
    )
    return codes  # shown once; only their digests are kept


def regenerate_backup_codes(user) -> list[str]:
    """Replace every backup code of `user` with a fresh set; the old ones stop working."""
    with transaction.atomic():
        return _replace_backup_codes(user)


def remove_devices(user) -> int:
    """Delete all of the user's OTP devices (authenticator and backup codes).

    Every session verified by one of them loses its verification: django-otp's
    middleware looks the session's device up on each request and finds nothing.
    """
    with transaction.atomic():
        count = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            count += 1
    logger.info("otp devices removed for user id %s", user.pk)
    return count
