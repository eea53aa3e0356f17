"""Local development: SQLite, tasks in-process, e-mail to the console."""

import sys

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-not-secret-" + "x" * 40)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

DEFAULT_PORT = 8000


def runserver_port(argv: list[str]) -> int | None:
    """The port `manage.py runserver [addr:]port` will listen on, if argv is that command.
    runserver's autoreloader starts its child with the same argv, so both agree."""
    if len(argv) < 2 or argv[1] != "runserver":
        return None
    addrport = next((arg for arg in argv[2:] if not arg.startswith("-")), "")
    port = addrport.rpartition(":")[2]
    return int(port) if port.isdigit() else DEFAULT_PORT


# Badge links (QR code, printed URL, e-mails, LinkedIn, credential ids) are built from
# SITE_URL. Unless it is set, follow the port this server serves on: runserver's own
# argument, else PORT (which `make run PORT=...` and `make worker PORT=...` set).
if env("SITE_URL", default=None) is None:
    SITE_URL = (
        f"http://127.0.0.1:{runserver_port(sys.argv) or env.int('PORT', default=DEFAULT_PORT)}"
    )
    WAGTAILADMIN_BASE_URL = SITE_URL
