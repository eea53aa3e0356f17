"""Settings of the soak run (bench/soak.py): production's, unchanged, plus the floor's URLs,
static files served without a manifest, and a render lease its quick mode can shorten."""

import os

from lms.settings.production import *  # noqa: F403

# The project's URLs plus the floors (bench/soak_urls.py): bare views in the same server.
ROOT_URLCONF = "bench.soak_urls"
# `{% static %}` without the manifest, so the run needs no collectstatic; no measured page
# serves a static file. An empty folder of the run, as WhiteNoise warns in every worker
# when STATIC_ROOT is missing.
STATIC_ROOT = os.environ.get("SOAK_STATIC_ROOT", STATIC_ROOT)  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Production's 180 s; the quick mode shortens it so a render lost with its killed worker
# is taken over within a CI test's time.
CREDENCE_RENDER_LEASE_SECONDS = int(os.environ.get("SOAK_RENDER_LEASE_SECONDS", "180"))
