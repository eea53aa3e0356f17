"""Settings shared by every environment.

Environment variables are read in lms/settings/ only: most here, Celery's in celery.py, and
the few an environment adds in its own file (dev.py, test.py, production.py).
"""

from pathlib import Path

import environ
from csp import constants as csp_constants

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# --- Core -------------------------------------------------------------------
# The dev/test modules give a throwaway key; production.py refuses to start without one.
SECRET_KEY = env("DJANGO_SECRET_KEY", default=None)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# The public origin, used in badge QR codes, e-mails and the issuer's did:web.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_SITE_NAME = "Credence"

INSTALLED_APPS = [
    "lms.accounts",
    "courses",
    "courses.programme",
    "certificates",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before PublicVerdictMiddleware, so its answers carry the header too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Also before PublicVerdictMiddleware: every response carries both policies.
    "lms.middleware.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous GETs of a badge's page and JSON are answered here, without the
    # session-based middleware below (certificates/public/middleware.py says why it is safe).
    "certificates.public.middleware.PublicVerdictMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's, except that only page addresses without a language prefix mean English:
    # other addresses (dashboard, accounts, badges) follow the visitor's language.
    "lms.middleware.PageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After authentication and LocaleMiddleware: a signed-in fellow's stored language.
    "lms.accounts.language.UserLanguageMiddleware",
    # After OTPMiddleware: it reads request.user.is_verified().
    "lms.accounts.middleware.RequireVerifiedStaffMiddleware",
    # After it: only verified staff reach an admin view, or this check.
    "lms.middleware.AdminObjectIdMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "lms.middleware.EditorRedirectMiddleware",
    # Last, as django-axes asks: it turns lockouts into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                # LANGUAGE_CODE for <html lang>: a page's language, or the visitor's.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite by default so `make run` needs nothing installed; PostgreSQL via DATABASE_URL.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Reused connections are checked before use, so a restarted database costs one
    # retry instead of a 500 on the next request.
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The public badge lookup's own connection to the same database, without the health
    # check's extra round trip (a `SELECT 1` before each request's first query): the
    # lookup retries once on a dropped connection instead (certificates.public.verification).
    # In tests it is a mirror of default (no database of its own).
    # It binds parameters on the server and prepares statements (Django's documented
    # "server_side_binding" and psycopg's "prepare_threshold", which Django passes to
    # psycopg), so PostgreSQL plans the one statement it runs over and over once per
    # connection instead of on every request. A deploy that changes the badge table under
    # a prepared statement fails one lookup, which runs again on a new connection.
    DATABASES["public_read"] = {
        **DATABASES["default"],
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {
            **DATABASES["default"].get("OPTIONS", {}),
            "server_side_binding": True,
            "prepare_threshold": 1,
        },
        "TEST": {"MIRROR": "default"},
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
WAGTAILADMIN_LOGIN_URL = "accounts:login"
# One password-reset flow (ours, which never logs in past the second factor).
WAGTAIL_PASSWORD_RESET_ENABLED = False

# django-axes: lock a username+IP pair after 5 failures for 15 minutes (finite, so a
# real user recovers by waiting or by resetting the password).
AXES_FAILURE_LIMIT = env.int("DJANGO_AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And a client (address) after 20 failures across any accounts in the same cool-off:
# one password sprayed over many accounts is stopped too (docs/threats.md, row A9). Higher than the
# per-account limit, so a classroom behind one NAT is not locked out by a few typos.
AXES_HANDLER = "lms.accounts.throttling.PerClientLockoutHandler"
CREDENCE_LOGIN_FAILURES_PER_CLIENT = env.int("DJANGO_LOGIN_FAILURES_PER_CLIENT", default=20)
# Login forms authenticate with the key "username", not USERNAME_FIELD ("email"):
# without this axes records every failure for username None and never locks the pair.
AXES_USERNAME_CALLABLE = "lms.accounts.throttling.axes_username"
# The 15 minutes run from the lockout: a user retrying while locked does not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
# Behind a load balancer the client address comes from the proxy. One function decides it
# for login throttling and for the public badge lookups' rate limit, trusting only as many
# X-Forwarded-For entries as there are proxies of ours (a forged header cannot reset a
# count). Without it, axes (django-ipware is not installed) would key every lockout on the
# balancer's address: five wrong passwords from anyone would lock a fellow out everywhere.
CREDENCE_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "lms.client_ip.client_ip"
# Uploads to /verify/ checked at once per process (certificates/public/upload_slots.py); the rest
# are answered 503 with Retry-After at once, so a few uploads cannot starve fellows' pages.
CREDENCE_UPLOAD_CONCURRENCY = env.int("DJANGO_UPLOAD_CONCURRENCY", default=2)

# django-otp
OTP_TOTP_ISSUER = "Credence"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
# The languages of the interface, e-mails and badge PDFs (locale/<code>/LC_MESSAGES), and
# of course content in Wagtail. Adding one: README, "Languages".
LANGUAGES = [("en", "English"), ("zh-hant", "繁體中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's choice is remembered for a year (Django's default ends with the browser
# session); no script reads it.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format per language for the badge page, its PDF and the admin ("7 December
# 2026" in English), read through Django's `date` filter and `formats.date_format`.
FORMAT_MODULE_PATH = ["lms.formats"]

# --- Static and media -------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))

# S3-compatible media when a bucket is named (AWS, MinIO, Ceph, R2, ...).
AWS_STORAGE_BUCKET_NAME = env("DJANGO_AWS_STORAGE_BUCKET_NAME", default=None)
_media_backend = "django.core.files.storage.FileSystemStorage"
if AWS_STORAGE_BUCKET_NAME:
    _media_backend = "storages.backends.s3.S3Storage"
    AWS_S3_ENDPOINT_URL = env("DJANGO_AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env("DJANGO_AWS_S3_REGION_NAME", default=None)
    AWS_ACCESS_KEY_ID = env("DJANGO_AWS_ACCESS_KEY_ID", default=None)
    AWS_SECRET_ACCESS_KEY = env("DJANGO_AWS_SECRET_ACCESS_KEY", default=None)
    AWS_S3_CUSTOM_DOMAIN = env("DJANGO_AWS_S3_CUSTOM_DOMAIN", default=None)
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = False
STORAGES = {
    "default": {"BACKEND": _media_backend},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Cache and Celery -------------------------------------------------------
REDIS_URL = env("REDIS_URL", default=None)


def redis_cache(url: str) -> dict:
    """The cache production runs on, at `url` (a function so tests build the same one)."""
    return {
        # Django's RedisCache, answering misses instead of raising while Redis is
        # down: the cache is an optimisation, never a reason for a 500 (docs/threats.md, row F10).
        "BACKEND": "lms.cache.FailSoftRedisCache",
        "LOCATION": url,
        # A Redis outage must not hang a web request.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

from .celery import *  # noqa: E402,F403

# --- E-mail -----------------------------------------------------------------
EMAIL_CONFIG = env.email_url("DJANGO_EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Credence <badges@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Wagtail ----------------------------------------------------------------
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILEMBEDS_FINDERS = []  # no server-side oEmbed fetches; videos are plain URLs
# Course content is translated in Wagtail: each language has its own page tree under
# its own catalogue, English at today's URLs and Traditional Chinese under /zh-hant/.
# Progress, gating and badges stay keyed to the English (default-locale) pages
# (courses/translations.py says how a translated page is mapped to its source).
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
# Creating a page in one language creates an alias of it in the others, so every
# language's tree has every course and module, untranslated ones showing the English.
WAGTAILSIMPLETRANSLATION_SYNC_PAGE_TREE = True
# Wagtail's own background jobs (search indexing, reference index) run in-process.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- Security ---------------------------------------------------------------
# Sessions live in the database, never in the cache: a Redis outage must not sign every fellow out
# or lose a quiz in progress (docs/threats.md, row F10; tests/lms/test_redis_outage.py).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
PASSWORD_RESET_TIMEOUT = 60 * 60

# Content-Security-Policy (django-csp). The public site runs no inline script or style:
# a template that needs one gives it nonce="{{ request.csp_nonce }}", and the nonce is
# named in the header only on the pages that use it.
# Lesson videos play from these hosts (courses/blocks.py VIDEO_URL_PATTERNS; a test
# checks that every embed URL there is allowed here).
CSP_VIDEO_ORIGINS = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]
# Media on S3 is served from another origin; name it (or them) when it is not the
# custom domain, e.g. "https://bucket.s3.eu-west-1.amazonaws.com".
CSP_MEDIA_ORIGINS = env.list("DJANGO_CSP_MEDIA_ORIGINS", default=[])
if AWS_STORAGE_BUCKET_NAME and AWS_S3_CUSTOM_DOMAIN:
    CSP_MEDIA_ORIGINS.append(f"https://{AWS_S3_CUSTOM_DOMAIN}")
_CSP_SELF, _CSP_NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF, csp_constants.NONCE],
        "style-src": [_CSP_SELF, csp_constants.NONCE],
        "img-src": [_CSP_SELF, "data:", *CSP_MEDIA_ORIGINS],
        "media-src": [_CSP_SELF, *CSP_MEDIA_ORIGINS],
        "frame-src": CSP_VIDEO_ORIGINS,
        "object-src": [_CSP_NONE],
        "base-uri": [_CSP_NONE],
        "form-action": [_CSP_SELF],
        "frame-ancestors": [_CSP_NONE],  # as X_FRAME_OPTIONS = "DENY"
    }
}
# The Wagtail admin (behind the second factor) still writes inline scripts, inline
# styles and compiles templates with new Function (wagtail/wagtail#7053), so it gets its
# own policy, applied under /admin/ by lms.middleware.ContentSecurityPolicyMiddleware.
# No nonce in it: a nonce would make browsers ignore 'unsafe-inline'.
CREDENCE_ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF, "'unsafe-inline'", "'unsafe-eval'"],
        "style-src": [_CSP_SELF, "'unsafe-inline'"],
        "img-src": [_CSP_SELF, "data:", "blob:", *CSP_MEDIA_ORIGINS],
        "media-src": [_CSP_SELF, "blob:", *CSP_MEDIA_ORIGINS],
        "font-src": [_CSP_SELF, "data:"],
        "worker-src": [_CSP_SELF, "blob:"],
        "frame-src": [_CSP_SELF, *CSP_VIDEO_ORIGINS],  # the editor's live preview
        "object-src": [_CSP_NONE],
        "base-uri": [_CSP_SELF],
        "form-action": [_CSP_SELF],
        "frame-ancestors": [_CSP_SELF],  # the preview panel frames admin URLs
    }
}
# Wagtail's default avatars come from gravatar.com: a third-party request from every
# admin page, which the policy above would block anyway.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# Permissions-Policy (django-permissions-policy): no page uses these, so no page, nor a
# frame in it, nor a script injected into it, may ask for them. Features left out keep
# the browser's default (fullscreen and picture-in-picture for lesson videos).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "clipboard-read",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "otp-credentials",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "window-management",
        "xr-spatial-tracking",
    )
}

# --- Badges -----------------------------------------------------------------
# Ed25519 issuer keys live outside the database and the repository.
CREDENCE_ISSUER_KEYS_FILE = env(
    "DJANGO_ISSUER_KEYS_FILE", default=str(BASE_DIR / "var" / "issuer-keys.json")
)
CREDENCE_ISSUER_NAME = env("DJANGO_ISSUER_NAME", default="Credence")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "credence": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
