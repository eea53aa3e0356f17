"""Sign-up by e-mail link: the answer never says whether an address is registered.

Step one takes only an address and always answers "check your e-mail". A new address is
sent a link to finish (choose a name and password); a registered one is sent a note
that someone tried to sign up with it, with links to log in or reset the password, as
Django's password reset does for unknown addresses (docs/threats.md, row A11). The account is made
only when the link is used, with the password chosen then, so nobody can create an
account on someone else's address and wait for them to adopt it.

The link carries the address (and where to go afterwards) signed with SECRET_KEY and
expires with PASSWORD_RESET_TIMEOUT; it stops working once the address has an account.
Both e-mails count against mail_throttle's per-address and per-client limits.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from lms.site_url import absolute_url

from .mail_throttle import claim_account_email
from .models import User, normalize_email_address

logger = logging.getLogger("credence.accounts")

SIGNUP_LINK_SALT = "credence.accounts.signup"
NEW_ACCOUNT_SUBJECT = _("Finish creating your Credence account")
EXISTING_ACCOUNT_SUBJECT = _("Someone tried to sign up with your address")


class AlreadyRegistered(Exception):
    """The address has an account (made since the link was sent, or by a second click)."""


@dataclass(frozen=True)
class SignupClaim:
    email: str
    next_url: str


def local_path_or_empty(url: str) -> str:
    """`url` if it is a path on this site, else "" (no open redirect through the link)."""
    return url if url and url_has_allowed_host_and_scheme(url, allowed_hosts=set()) else ""


def make_token(email: str, next_url: str = "") -> str:
    payload = {"email": normalize_email_address(email), "next": local_path_or_empty(next_url)}
    return signing.dumps(payload, salt=SIGNUP_LINK_SALT, compress=True)


def read_token(token: str) -> SignupClaim | None:
    """The claim in a link we sent within PASSWORD_RESET_TIMEOUT, else None."""
    try:
        payload = signing.loads(
            token, salt=SIGNUP_LINK_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT
        )
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("email"), str):
        return None
    return SignupClaim(payload["email"], local_path_or_empty(str(payload.get("next") or "")))


def is_registered(email: str) -> bool:
    return User.objects.filter(email__iexact=normalize_email_address(email)).exists()


def start_signup(request: HttpRequest, email: str, next_url: str = "") -> None:
    """E-mail `email` a link to finish signing up, or, if it has an account, a note saying
    someone tried. Either way, nothing visible to the asker differs."""
    email = normalize_email_address(email)
    # A new address is written to in the language the page was in; an account holder in
    # their own.
    language = translation.get_language()
    holder = User.objects.filter(email__iexact=email).first()
    if holder is not None:
        language = holder.preferred_language
        subject, template = EXISTING_ACCOUNT_SUBJECT, "accounts/signup_existing_email.txt"
        context = {
            "login_url": absolute_url(reverse("accounts:login")),
            "reset_url": absolute_url(reverse("accounts:password_reset")),
        }
    else:
        subject, template = NEW_ACCOUNT_SUBJECT, "accounts/signup_email.txt"
        finish = reverse("accounts:signup_finish", args=[make_token(email, next_url)])
        context = {"finish_url": absolute_url(finish)}
    if not claim_account_email(request, email, kind="signup"):
        return
    context["hours"] = settings.PASSWORD_RESET_TIMEOUT // 3600
    with translation.override(language):
        subject, body = str(subject), render_to_string(template, context)
    try:
        send_mail(subject, body, None, [email])
    except Exception:  # noqa: BLE001 - an SMTP failure must not change the answer
        logger.exception("could not send a sign-up e-mail")


def complete_signup(claim: SignupClaim, *, display_name: str, password: str) -> User:
    """Create the account the link was for. Raises AlreadyRegistered if the address has
    one already (the link was used, or two tabs raced: the database constraint decides)."""
    if is_registered(claim.email):
        raise AlreadyRegistered(claim.email)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=claim.email,
                password=password,
                display_name=display_name,
                # The language they signed up in: their e-mails are written in it.
                language=translation.get_language() or "",
            )
    except IntegrityError as exc:
        raise AlreadyRegistered(claim.email) from exc
