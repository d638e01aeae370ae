"""structlog set up once per process: console lines on a terminal, JSON lines otherwise if asked.

Logs go to standard error, so a command's own output (tables, ``--json``) on
standard output stays clean. Context bound with ``structlog.contextvars``
(message, actor, feed, article ids) appears in every line.
"""

from __future__ import annotations

import logging
import sys

import structlog


class _CurrentStderr:
    """Whatever sys.stderr is when a line is written (a test runner may swap it and close the old one)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _redis_outage(exc: BaseException | None) -> bool:
    import redis

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, redis.ConnectionError | redis.TimeoutError | redis.OutOfMemoryError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class _RedisOutageOneLine(logging.Filter):
    """dramatiq logs a lost Redis connection with a traceback from every thread it touches; for
    a known outage one line each says it all (a bug keeps its traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if _redis_outage(exc):
            record.msg = f"{record.getMessage()} (Redis unavailable: {type(exc).__name__}: {exc})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def configure(level: str = "INFO", *, json_lines: bool = False) -> None:
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json_lines or not sys.stderr.isatty()
        else structlog.dev.ConsoleRenderer(colors=True)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    # dramatiq logs through the standard library: same destination, same level
    logging.basicConfig(
        stream=sys.stderr, level=getattr(logging, level), format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("dramatiq").setLevel(max(getattr(logging, level), logging.WARNING))
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _RedisOutageOneLine) for f in handler.filters):
            handler.addFilter(_RedisOutageOneLine())
    logging.getLogger("httpx").setLevel(logging.WARNING)
