"""Log formats: JSON lines in production, plain text in development; both name the request id.

The JSON formatter is a few lines of the standard library rather than a logging library:
`json.dumps` already escapes every newline and control character a message or a field can
hold, so one event is always one line, and we choose the fields (a library would add its
own, and a dependency, for the same output). Imported by the settings, so it imports
nothing from Django.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "request",  # Django's request object on django.request's lines: its id is enough
}

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, the
    record's `extra` fields, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in event:
                event[key] = value
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            event["stack"] = self.formatStack(record.stack_info)
        return json.dumps(event, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Development's lines: time, level, logger, [request id or -], message."""

    def __init__(self):
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        values = vars(record) | {"request_id": getattr(record, "request_id", None) or "-"}
        return TEXT_FORMAT % values


FORMATS = {
    "json": {"()": "lms.logs.JsonFormatter"},
    "text": {"()": "lms.logs.TextFormatter"},
}


def logging_config(log_format: str, level: str) -> dict:
    """Django's LOGGING: everything to stderr in `log_format` ("json" or "text"), the
    project's loggers (`credence.*`) at `level`, Celery's at INFO, others at WARNING."""
    if log_format not in FORMATS:
        raise ValueError(f"DJANGO_LOG_FORMAT must be one of {sorted(FORMATS)}, not {log_format!r}")
    loggers = {"credence": {"handlers": ["console"], "level": level, "propagate": False}}
    if log_format == "json":
        # In JSON the worker leaves logging to these settings (CELERY_WORKER_HIJACK_ROOT_LOGGER
        # off), so Celery's own lines ("ready.", task received/succeeded) need a level here;
        # in text Celery sets up its own handlers, as it always did.
        loggers["celery"] = {"handlers": ["console"], "level": "INFO", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "lms.request_id.RequestIdFilter"}},
        "formatters": {"main": FORMATS[log_format]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": loggers,
    }
