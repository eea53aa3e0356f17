"""Changes one badge's status from a process of its own, as a shell or a management command would.

Run by test_fresh_verdicts in a subprocess sharing the test database:

    python -m tests.certificates.status_change_process ACTION PUBLIC_ID

ACTION is revoke, suspend or reinstate. The process uses the cache the project's settings
give it: Redis when REDIS_URL is set in its environment (as lms/settings/base.py
configures it), else its own in-memory cache, as the embedded default does. Prints the
wall-clock time at which the change had committed, as JSON.
"""

import json
import os
import sys
import time


def main(action: str, public_id: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")
    from django.conf import settings

    from lms.settings import base

    # The test settings pin a local-memory cache; this process takes the project's own.
    settings.CACHES = base.CACHES
    import django

    django.setup()
    from certificates.issuing import issuance
    from certificates.models import Badge

    badge = Badge.objects.get(public_id=public_id)
    if action == "revoke":
        issuance.revoke_badge(badge, reason="Revoked from another process.")
    elif action == "suspend":
        issuance.suspend_badge(badge)
    elif action == "reinstate":
        issuance.reinstate_badge(badge)
    else:
        raise SystemExit(f"unknown action {action!r}")
    committed_at = time.time()
    state = Badge.objects.get(pk=badge.pk).state
    sys.stdout.write(json.dumps({"committed_at": committed_at, "state": state}) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
