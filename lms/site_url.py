"""The site's public origin (settings.SITE_URL): every absolute URL we send out starts here.

E-mailed links, QR codes and credentials never take their host from the request: the
Host header is the client's to choose, and ALLOWED_HOSTS does not look at its port
(docs/threats.md, row A10).
"""

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` (starting with "/") on the public origin."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def scheme_and_domain() -> tuple[str, str]:
    """("https", "learn.example.org:8443"): the two halves Django's e-mail templates use."""
    parts = urlsplit(settings.SITE_URL)
    return parts.scheme or "https", parts.netloc
