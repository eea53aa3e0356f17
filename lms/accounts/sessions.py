"""Session bookkeeping for the two-step login: who still owes a second factor."""

from django.contrib.auth.signals import user_logged_in

from .second_factor import has_confirmed_device

# True from a password login until the code is given, for users with a device.
OTP_PENDING_SESSION_KEY = "credence_otp_pending"


def mark_otp_pending(sender, request, user, **kwargs) -> None:
    """On every login, remember whether this session still owes a code."""
    if request is not None and hasattr(request, "session"):
        request.session[OTP_PENDING_SESSION_KEY] = has_confirmed_device(user)


def clear_otp_pending(request) -> None:
    request.session.pop(OTP_PENDING_SESSION_KEY, None)


def connect() -> None:
    user_logged_in.connect(mark_otp_pending, dispatch_uid="credence_mark_otp_pending")
