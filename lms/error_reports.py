"""Error reports to Sentry, when SENTRY_DSN is set (lms/settings/production.py).

Imported only then, so a deployment without it never loads the SDK.
"""

from __future__ import annotations

import sentry_sdk

from lms import request_id


def _tag_request_id(event: dict, _hint: dict) -> dict:
    """Every report names the request id, to find the request's log lines from it."""
    current = request_id.current.get()
    if current:
        event.setdefault("tags", {})["request_id"] = current
    return event


def start_error_reports(dsn: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        send_default_pii=False,
        traces_sample_rate=0,  # errors only: no performance tracing
        before_send=_tag_request_id,
    )
