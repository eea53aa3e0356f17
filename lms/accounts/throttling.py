"""Login throttling on django-axes: whose account an attempt was for, and the second,
per-client limit across accounts (docs/threats.md, rows A6, A9)."""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.db.models import Sum
from django.http import HttpRequest

from lms.client_ip import client_ip
from lms.conf import conf

from .models import normalize_email_address


def axes_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The normalised e-mail address a login attempt targets.

    Our login forms (ours and Wagtail's) post and authenticate with the key
    "username", while axes would otherwise look for USERNAME_FIELD ("email"), find
    nothing and count every failure against a username of None, so the
    username+IP lockout never matched the real account. Normalising also makes
    "Ada@X.org" and "ada@x.org" one counter.
    """
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None:
        data = getattr(request, "data", None) or request.POST
        value = data.get("username") or data.get("email")
    if not isinstance(value, str):
        return None
    return normalize_email_address(value) or None


def per_client_failure_limit() -> int:
    return int(conf.CREDENCE_LOGIN_FAILURES_PER_CLIENT)


def client_failures(request: HttpRequest) -> int:
    """Failed logins from this request's client within axes' cool-off, whatever account
    (and user agent) they were for."""
    recent = AccessAttempt.objects.filter(
        ip_address=client_ip(request) or None,
        attempt_time__gte=get_cool_off_threshold(request),
    )
    return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0


class PerClientLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with a second, higher limit per client.

    Axes locks an (account, client) pair after AXES_FAILURE_LIMIT failures, which never
    slows one password tried once against each of many accounts (password spraying).
    Axes has a single failure limit for all its lockout parameters, and a client
    address alone locked at 5 would lock out whole classrooms behind one NAT; so the
    client's failures across accounts get their own, higher limit here, counted from
    the rows axes already keeps and released after the same cool-off. A fellow from
    another address is not affected.
    """

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return client_failures(request) >= per_client_failure_limit()
