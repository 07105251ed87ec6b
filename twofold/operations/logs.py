"""Log lines as plain text for a terminal, or one JSON object per line for a log collector.

``LOG_FORMAT=json`` picks the second. Both carry the request id; the JSON form also the signed-in
user's id, the path, and for the access line the status and duration. ``logging_config`` builds the
one configuration that Django and gunicorn's own loggers both use.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from twofold.operations.context import path_var, request_id_var, task_var, user_id_var

LOG_FORMATS = ("plain", "json")

# Extra fields a record may carry (the access line sets them); anything else passed with extra=
# stays out of the JSON object so that a careless call cannot dump an object's internals.
ACCESS_FIELDS = ("method", "status", "duration_ms")


class RequestContextFilter(logging.Filter):
    """Stamps each record with the current request id, user, path and task, when there are any."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user_id"):
            record.user_id = user_id_var.get()
        if not hasattr(record, "path"):
            record.path = path_var.get()
        if not hasattr(record, "task"):
            record.task = task_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and whatever context there is."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ("request_id", "user_id", "path", "task", *ACCESS_FIELDS):
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{text} [request {request_id}]" if request_id else text


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dictionary for the given format (``plain`` or ``json``) and root level."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT={log_format!r} is not one of {', '.join(LOG_FORMATS)}")
    formatter = f"twofold.operations.logs.{'JsonFormatter' if log_format == 'json' else 'PlainFormatter'}"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "twofold.operations.logs.RequestContextFilter"}},
        "formatters": {"twofold": {"()": formatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "twofold",
                "filters": ["request_context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # django-axes notes every successful sign-in at INFO; failures and lockouts come at WARNING.
            "axes": {"level": "WARNING"},
            # gunicorn's messages (workers booting, reloads) go through the same handler; its access
            # lines are left out, as twofold.access logs each request with its id and user.
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }
