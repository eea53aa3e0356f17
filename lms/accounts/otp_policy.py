"""Who must present a second factor, and where. A plain predicate, testable without a request."""

from django.conf import settings

# Paths under which every request from a staff user needs a verified OTP device.
ADMIN_PATH_PREFIXES = ("/admin/", "/django-admin/")


def is_admin_path(path: str) -> bool:
    return path.startswith(ADMIN_PATH_PREFIXES)


def requires_verified_device(user, path: str) -> bool:
    """True when `user` may not see `path` until they have passed a second factor.

    Anonymous users are left to the admin's own login redirect; any signed-in user
    reaching an admin path must be OTP-verified, staff or not, so that a permission
    granted later can never open a password-only door.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if not is_admin_path(path):
        return False
    return not user.is_verified()


def otp_enrol_url() -> str:
    return getattr(settings, "CREDENCE_OTP_ENROL_URL", "/accounts/2fa/setup/")


def otp_verify_url() -> str:
    return getattr(settings, "CREDENCE_OTP_VERIFY_URL", "/accounts/2fa/verify/")
