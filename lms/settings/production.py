"""Production: PostgreSQL, Redis, Celery workers, gunicorn, S3-compatible media.

Refuses to start without its secrets instead of inventing them.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, SECRET_KEY, env

_missing = [
    name
    for name, value in [
        ("DJANGO_SECRET_KEY", SECRET_KEY),
        ("DATABASE_URL", env("DATABASE_URL", default=None)),
        ("REDIS_URL", REDIS_URL),
    ]
    if not value
]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: " + ", ".join(_missing)
    )
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("Production runs on PostgreSQL: DATABASE_URL must be postgres://")
# The issuer's signing keys: named explicitly (never the in-repo default), outside the
# repository; `manage.py issuer_keys create` writes the file, so only the name is required.
if not env("DJANGO_ISSUER_KEYS_FILE", default=None):
    raise ImproperlyConfigured(
        "Production needs DJANGO_ISSUER_KEYS_FILE: the issuer key file, outside the repository"
    )

DEBUG = False
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers probe the nodes directly, over plain HTTP: a redirect to https would
# read as "not live" or "not ready" to them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# The load balancer terminates TLS and says so in this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[SITE_URL])  # noqa: F405
