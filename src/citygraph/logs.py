"""Log output: uvicorn's plain text by default, one JSON object per line with
``CITYGRAPH_LOG_FORMAT=json`` (for a log collector).

In JSON mode every record (citygraph's, uvicorn's, SQLAlchemy's) is a line with ``time``,
``level``, ``logger``, ``message`` and the request id; the per-request line of
``citygraph.web.observe`` (logger ``citygraph.access``) adds its ``fields``: face, method, route,
operation, status, duration and user id. uvicorn's own access log is off then (one line per
request, not two).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from citygraph.config import Settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def uvicorn_log_config(settings: Settings) -> dict[str, Any] | None:
    """``uvicorn.run(log_config=...)`` for the settings: ``None`` keeps uvicorn's default."""
    if settings.log_format != "json":
        return None
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "uvicorn": {"level": level},
            "uvicorn.access": {"level": "WARNING"},
            "citygraph.access": {"level": "INFO"},
        },
    }


#: Levels at which uvicorn's text access lines (logged at INFO) are never written.
_ABOVE_INFO = frozenset({"warning", "error", "critical"})


def uvicorn_access_log(settings: Settings) -> bool:
    """Whether uvicorn writes its own access lines: in text mode at a level that shows them.
    Switched on at a level that hides them, uvicorn still formats each line's path and client
    address before the logger drops it (about 2% of a small request's CPU, measured)."""
    return settings.log_format != "json" and settings.log_level.lower() not in _ABOVE_INFO
