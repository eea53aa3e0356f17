"""Every CREDENCE_* setting the project package reads (lms and lms.accounts), with its default.

The pattern of django-otp's `django_otp/conf.py`: code reads `conf.CREDENCE_OTP_VERIFY_URL`
rather than `getattr(settings, name, default)`, so each default is declared once, here,
with a line on what it does. Every read looks at django.conf.settings afresh, so a
deployment's settings and a test's `override_settings` apply at once. Reading a name
that no conf module declares is an AttributeError, not a silent None. The README's
settings table describes each setting for operators; tests/lms/test_conf.py keeps the
two in step.

`AppSettings` is shared with `certificates.conf`. The settings of lms.accounts live here
too: they sit beside the client address (`lms.client_ip`) and the admin's policy that
they work with, and one module per project package is easier to find than one per app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import django.conf
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SameAs:
    """A default that is another Django setting's value when read (as django-otp's
    OTP_LOGIN_URL defaults to LOGIN_URL)."""

    setting: str


# The deployment's settings must give a value: there is no safe one to fall back on.
REQUIRED = object()
_MISSING = object()


class AppSettings:
    """Attribute access to the CREDENCE_* names in `defaults`, falling back to them."""

    defaults: ClassVar[Mapping[str, Any]] = {}

    def __getattr__(self, name: str) -> Any:
        if name not in self.defaults:
            raise AttributeError(f"{name} is not a setting declared in {type(self).__module__}")
        value = getattr(django.conf.settings, name, _MISSING)
        if value is not _MISSING:
            return value
        default = self.defaults[name]
        if default is REQUIRED:
            raise ImproperlyConfigured(f"the setting {name} is required")
        if isinstance(default, SameAs):
            return getattr(django.conf.settings, default.setting)
        return default


class LmsSettings(AppSettings):
    defaults: ClassVar[Mapping[str, Any]] = {
        # How many proxies of ours append to X-Forwarded-For; 0 reads REMOTE_ADDR only.
        "CREDENCE_TRUSTED_PROXY_COUNT": 0,
        # django-csp's policy for the Wagtail admin under /admin/ (lms/settings/base.py).
        "CREDENCE_ADMIN_CONTENT_SECURITY_POLICY": REQUIRED,
        # Failed logins from one client address, across accounts, before it is locked.
        "CREDENCE_LOGIN_FAILURES_PER_CLIENT": 20,
        # Account e-mails (sign-up, password reset) one address may receive in an hour.
        "CREDENCE_ACCOUNT_EMAILS_PER_ADDRESS": 3,
        # Account e-mails one client address may cause in an hour.
        "CREDENCE_ACCOUNT_EMAILS_PER_CLIENT": 10,
        # Where staff without a second factor are sent to set one up.
        "CREDENCE_OTP_ENROL_URL": "/accounts/2fa/setup/",
        # Where staff with a device are sent to verify it in this session.
        "CREDENCE_OTP_VERIFY_URL": "/accounts/2fa/verify/",
    }


conf = LmsSettings()
