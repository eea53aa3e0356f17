"""The address a request came from, for login throttling (django-axes) and the public
badge lookups' rate limit: the two must agree, and both must see through our own proxies.

CREDENCE_TRUSTED_PROXY_COUNT (environment: DJANGO_TRUSTED_PROXY_COUNT) is how many proxies
of ours (load balancer, ingress) append to X-Forwarded-For. Only the entries they appended
are trusted, counted from the right; anything a client wrote to the left of them is
ignored, so a forged header cannot reset a count. With 0 (the default) the header is not
read at all and REMOTE_ADDR is the client.
"""

from django.http import HttpRequest

from lms.conf import conf


def client_ip(request: HttpRequest) -> str:
    proxies = int(conf.CREDENCE_TRUSTED_PROXY_COUNT)
    if proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies][:64]
    return request.META.get("REMOTE_ADDR", "")[:64]
