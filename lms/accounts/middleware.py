"""Thin adapter from the OTP policy to HTTP: send unverified users to enrol or verify."""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect

from .otp_policy import VERIFY, otp_enrol_url, otp_verify_url, required_otp_step
from .second_factor import has_confirmed_device
from .sessions import OTP_PENDING_SESSION_KEY


class RequireVerifiedStaffMiddleware:
    """Runs after django-otp's OTPMiddleware, which gives request.user.is_verified()."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", {})
        step = required_otp_step(
            request.user,
            # path_info, not path: the policy must hold under any SCRIPT_NAME prefix.
            request.path_info,
            otp_pending=bool(session.get(OTP_PENDING_SESSION_KEY)),
            has_device=lambda: has_confirmed_device(request.user),
        )
        if step is None:
            return self.get_response(request)
        return otp_step_redirect(request, step)


def otp_step_redirect(request, step: str) -> HttpResponseRedirect:
    """Send the user to the second-factor step they owe, then back to where they were."""
    target = otp_verify_url() if step == VERIFY else otp_enrol_url()
    return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
