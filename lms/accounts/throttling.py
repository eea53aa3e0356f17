"""How django-axes names the account a login attempt was for."""

from django.http import HttpRequest

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
