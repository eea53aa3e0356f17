"""How many account e-mails one address and one client may cause: a sliding hour, in the
database (docs/threats.md, row A9).

Password reset and sign-up send e-mail to any address typed into a form, so without a
limit they are a way to flood someone's mailbox from our server (and hurt our sending
reputation). Over a limit the e-mail is simply not sent and the refusal is logged: the
page answers exactly as when it was sent, so the limit reveals nothing about accounts.

The counts live in PostgreSQL rather than the cache, so they hold across workers, survive
a Redis outage, and start afresh in every test. Requests arriving at the same instant
may each see the count below the limit; the overshoot is bounded by the number of
requests served at once.
"""

import logging
from datetime import timedelta

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lms.client_ip import client_ip
from lms.conf import conf

from .models import AccountEmailSent, normalize_email_address

logger = logging.getLogger("credence.accounts")

WINDOW = timedelta(hours=1)
ADDRESS_SALT = "credence.accounts.mail-throttle"


def per_address_limit() -> int:
    return int(conf.CREDENCE_ACCOUNT_EMAILS_PER_ADDRESS)


def per_client_limit() -> int:
    return int(conf.CREDENCE_ACCOUNT_EMAILS_PER_CLIENT)


def address_digest(address: str) -> str:
    # Keyed, so the table cannot be turned back into addresses by guessing.
    return salted_hmac(
        ADDRESS_SALT, normalize_email_address(address), algorithm="sha256"
    ).hexdigest()


def claim_account_email(request: HttpRequest, address: str, kind: str) -> bool:
    """Record one e-mail of `kind` to `address` asked for by this request's client and
    return True, or return False (and record nothing) when the address or the client has
    had its share in the last hour; the caller then does not send."""
    now = timezone.now()
    since = now - WINDOW
    digest, client = address_digest(address), client_ip(request)
    AccountEmailSent.objects.filter(sent_at__lt=since).delete()
    counts = AccountEmailSent.objects.filter(sent_at__gte=since).aggregate(
        to_address=Count("pk", filter=Q(address_digest=digest)),
        from_client=Count("pk", filter=Q(client=client)),
    )
    if counts["to_address"] >= per_address_limit() or counts["from_client"] >= per_client_limit():
        logger.warning(
            "account e-mail (%s) not sent: %d to this address and %d from client %s "
            "in the last hour",
            kind,
            counts["to_address"],
            counts["from_client"],
            client,
        )
        return False
    AccountEmailSent.objects.create(kind=kind, address_digest=digest, client=client, sent_at=now)
    return True
