"""One id per request, on every log line the request causes, in the web process and in the
worker that runs a task the request queued.

The id comes from the `X-Request-ID` header when a load balancer or client sent a usable
one (so one id follows a request through the proxy's logs and ours), otherwise it is made
here. A usable id is short and made of safe characters: the header is attacker-controlled,
and a raw value with newlines or control characters would forge log lines in any log that
is not JSON, or bloat every line of the request. An unusable one is replaced, never
trimmed or escaped, so no part of it reaches a log.

The id travels to Celery as a message header (`before_task_publish`) and is set again in
the worker around the task (`task_prerun`/`task_postrun`); `lms/celery.py` connects them.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

HEADER = "X-Request-ID"
# The header name a task message carries the id in (a Celery message header).
TASK_HEADER = "credence_request_id"
MAX_LENGTH = 128
_USABLE = re.compile(rf"[A-Za-z0-9._:@+=-]{{1,{MAX_LENGTH}}}")

current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

access_logger = logging.getLogger("credence.requests")


def usable(value: object) -> str | None:
    """`value` if it may be used as a request id as it is, else None."""
    if isinstance(value, str) and _USABLE.fullmatch(value):
        return value
    return None


def new_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE: every response carries the id, and every log line written while
    the request is handled (by any middleware, the view, an in-process task) names it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = usable(request.headers.get(HEADER)) or new_id()
        request.request_id = request_id
        token = current.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            if access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "%s %s %s",
                    request.method,
                    # Escaped in the message, which text logs print as it is; the JSON
                    # field below keeps the path (JSON escapes it).
                    request.path.encode("unicode_escape").decode("ascii"),
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            current.reset(token)


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` attribute (None outside a request or task), for
    the formatters of lms.logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs a 4xx/5xx response ("Not Found: ...") once the middleware has
            # returned, outside our context; it passes the request, which knows its id.
            record.request_id = current.get() or getattr(
                getattr(record, "request", None), "request_id", None
            )
        return True


# --- Celery -------------------------------------------------------------------------------

_task_tokens: dict[str, contextvars.Token] = {}


def add_to_task_headers(headers: dict | None = None, **_signal_kwargs) -> None:
    """before_task_publish: a task queued while a request (or another task) is handled
    carries that request's id."""
    request_id = current.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def _id_from_task(task) -> str | None:
    request = getattr(task, "request", None)
    if request is None:
        return None
    # Celery puts a message's own headers on the task's request; some versions keep them
    # in request.headers instead.
    value = getattr(request, TASK_HEADER, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return usable(value)


def enter_task(task_id: str | None = None, task=None, **_signal_kwargs) -> None:
    """task_prerun: the worker's log lines for this task name the id the message carries.
    A task run in-process (eager) keeps the id of the request running it."""
    if task_id is None:
        return
    _task_tokens[task_id] = current.set(_id_from_task(task) or current.get())


def leave_task(task_id: str | None = None, **_signal_kwargs) -> None:
    """task_postrun: back to what the id was before the task."""
    token = _task_tokens.pop(task_id, None) if task_id is not None else None
    if token is not None:
        try:
            current.reset(token)
        except ValueError:  # set in another context (a thread Celery switched to)
            current.set(None)
