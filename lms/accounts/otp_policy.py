"""Who must present a second factor, and where: plain predicates on a user and a path,
testable without a request, and the URLs of the enrol and verify steps."""

from collections.abc import Callable

from lms.conf import conf

# Every admin area lives under these prefixes (the Django admin is not mounted, but the
# prefix stays reserved so mounting it later cannot open a password-only door).
ADMIN_PATH_PREFIXES = ("/admin/", "/django-admin/")

# Pages a signed-in user who still owes a code may open: the step itself, the way out,
# and static assets the step's page needs.
PENDING_EXEMPT_PREFIXES = (
    "/accounts/2fa/verify/",
    "/accounts/logout/",
    "/accounts/login/",
    "/static/",
    "/healthz",
    "/readyz",
)

VERIFY = "verify"
ENROL = "enrol"


def is_admin_path(path: str) -> bool:
    return path.startswith(ADMIN_PATH_PREFIXES)


def has_verified_second_factor(user) -> bool:
    """True when `user` passed a second factor in this session (django-otp's is_verified).

    The one test for staff rights anywhere: the admin, its documents, and on the public
    site an editor's view of locked modules, their JSON and their quizzes. Without it a
    staff member is treated exactly as a fellow, so a stolen password alone opens
    nothing a fellow could not open. A user object that did not come through
    OTPMiddleware (no is_verified) is never verified.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    is_verified = getattr(user, "is_verified", None)
    return bool(callable(is_verified) and is_verified())


def required_otp_step(
    user, path: str, *, otp_pending: bool, has_device: Callable[[], bool]
) -> str | None:
    """Return VERIFY or ENROL when `user` must pass that step before seeing `path`, else None.

    - Anonymous users are left to each view's own login redirect.
    - An admin path needs a verified device from every signed-in user, staff or not,
      so a permission granted later can never open a password-only door; users with
      no device are sent to enrol, the others to verify.
    - Elsewhere, a user who logged in with a password and has a confirmed device
      (`otp_pending`, set at login) has not finished logging in: every page but the
      verify step and the way out sends them to verify.

    `has_device` is a callable so the device query only runs when the answer matters.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if has_verified_second_factor(user):
        return None
    if is_admin_path(path):
        return VERIFY if has_device() else ENROL
    if otp_pending and not path.startswith(PENDING_EXEMPT_PREFIXES):
        return VERIFY
    return None


def otp_enrol_url() -> str:
    return conf.CREDENCE_OTP_ENROL_URL


def otp_verify_url() -> str:
    return conf.CREDENCE_OTP_VERIFY_URL
