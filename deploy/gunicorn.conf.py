"""gunicorn's settings for Credence: `gunicorn lms.wsgi -c deploy/gunicorn.conf.py`.

Everything an operator tunes is an environment variable (README, "Running it like
production"); the defaults suit one 2-core host behind a load balancer or TLS proxy.
bench/soak.py starts gunicorn with this same file.
"""

import os
import sys
from pathlib import Path

# The checkout this file belongs to, first on the path: gunicorn reads this file before
# it imports the app, and must use the same checkout's code for both.
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
chdir = str(REPO)

from lms.logs import logging_config  # noqa: E402

# Where to listen. Behind a proxy on the same host, 127.0.0.1:8000; in a container, 0.0.0.0.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Synchronous workers, one request each: Django's ORM is synchronous, and the count is
# the number of requests (and database connections) one host serves at once. gunicorn's
# own variable; 2 on a 2-core host: the app is CPU-bound (templates, Wagtail routing),
# and more processes than cores only queue inside the kernel instead of at the balancer.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# A request that runs this long is killed and its worker replaced (the slowest page,
# a programme report, takes well under it).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Connections from the load balancer are kept open between requests (below its own idle
# timeout, so gunicorn is never the side that closes a connection the balancer reuses).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Workers are replaced after this many requests (with jitter, not all at once), so a slow
# leak in any library costs a restart, not the host's memory.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Addresses whose X-Forwarded-* headers gunicorn believes (Django reads the scheme from
# X-Forwarded-Proto itself; lms.client_ip counts proxies with DJANGO_TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Heartbeat files in memory, not on a container's overlay disk, which can stall them.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# The app logs one line per request with its request id (lms.request_id); gunicorn's
# access log would repeat it without the id.
accesslog = None
errorlog = "-"
# gunicorn's own lines (boot, worker timeouts) in the app's format, JSON by default.
logconfig_dict = {
    **logging_config(os.environ.get("DJANGO_LOG_FORMAT", "json"), "INFO"),
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
