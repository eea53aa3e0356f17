"""Thin adapter from the OTP policy to HTTP: send unverified users to enrol or verify."""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django_otp import user_has_device

from .otp_policy import otp_enrol_url, otp_verify_url, requires_verified_device


class RequireVerifiedStaffMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if requires_verified_device(request.user, request.path):
            target = otp_verify_url() if user_has_device(request.user) else otp_enrol_url()
            return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
