"""Log lines: human-readable by default; with HUB_LOG_JSON=1, one JSON object per line.

`configure()` gives the root logger the one handler of the process and sends uvicorn's loggers (its
access log included) through it, so a log shipper reads a single format. A JSON line has time, level,
logger and message, then what is known besides: the `extra` fields of the call, and for a line logged
while a request is served its method, path and route; the access log line adds client, status and
duration_ms (from the request's arrival to its response's start).
"""

import json
import logging
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

HUMAN = "%(asctime)s %(levelname)s %(name)s %(message)s"
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# attributes every LogRecord has: the rest came as `extra`; uvicorn's color_message repeats the message
_RECORD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


@dataclass(frozen=True)
class Serving:
    """The request being served, as the HTTP middleware (hub/ops/metrics.py) sees it."""

    scope: dict[str, Any]
    started: float  # time.perf_counter()

    def fields(self) -> dict[str, Any]:
        route = getattr(self.scope.get("route"), "path_format", None)
        return {"method": self.scope.get("method"), "path": self.scope.get("path"), "route": route}


SERVING: ContextVar[Serving | None] = ContextVar("hub_serving", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (a traceback is a field, its newlines escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        serving = SERVING.get()
        if serving is not None:
            entry.update((k, v) for k, v in serving.fields().items() if v is not None)
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, http_version, status = record.args
            entry.update(client=client, method=method, path=path, http_version=http_version, status=status)
            if serving is not None:
                entry["duration_ms"] = round((time.perf_counter() - serving.started) * 1000, 2)
        entry.update((k, v) for k, v in vars(record).items() if k not in _RECORD and not k.startswith("_"))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(*, json_lines: bool, level: int = logging.INFO) -> None:
    """Log to stderr, every logger through one handler: JSON lines or `HUMAN` lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(HUMAN))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN:
        logger = logging.getLogger(name)
        for old in logger.handlers[:]:
            logger.removeHandler(old)
        logger.propagate = True
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))  # not two lines per tick
