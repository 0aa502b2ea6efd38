"""Application logs: one JSON object per line on stderr, at CITYEX_LOG_LEVEL.

Request lines are gunicorn's access log; these are the application's own
events (indexer batches, deferred index updates, unexpected errors). The
development console (`cityex serve`, `cityex demo`) prints the same events as
readable text lines instead: `use_console_logging()`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Libraries that log routine work at INFO (every HTTP call to Elasticsearch,
# Alembic's plugin set-up); they speak at WARNING unless DEBUG is asked for.
CHATTY = ("elastic_transport.transport", "alembic.runtime.plugins")

# Attributes every LogRecord has; anything else came in through `extra=`.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


# Terminal colour codes (werkzeug colours its request lines): noise in a log file.
_ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _ANSI_CODES.sub("", record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class ConsoleFormatter(logging.Formatter):
    """`21:07:36 INFO    cityexchange.services.indexing: outbox batch drained: ...`

    Colours stay only when stderr is a terminal that shows them.
    """

    def __init__(self, colour: bool):
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")
        self._colour = colour

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        return line if self._colour else _ANSI_CODES.sub("", line)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the moment (test runners swap it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure_logging(level: str) -> None:
    """Install the JSON handler on the root logger once; later calls set the level and
    JSON again (a console command in the same process may have switched to text)."""
    name = str(level).upper()
    if name not in LEVELS:
        raise ValueError(f"CITYEX_LOG_LEVEL must be one of {', '.join(LEVELS)}, not {level!r}")
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter())
    root.setLevel(name)
    for logger in CHATTY:
        logging.getLogger(logger).setLevel("DEBUG" if name == "DEBUG" else "WARNING")


def use_console_logging() -> None:
    """Readable text lines on stderr for the development console (serve, demo)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _StderrHandler):
            handler.setFormatter(ConsoleFormatter(colour=sys.stderr.isatty()))
