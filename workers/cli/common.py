"""What every `newswatch` command shares: settings and logging, output consoles, JSON lines."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import redis
from rich.console import Console
from rich.markup import escape

from config.settings import Settings, load_settings
from pipeline.errors import ConfigError, PipelineError
from workers import logs

out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

# Exit codes of every command (README, "Exit codes").
EXIT_OK = 0  # all done
EXIT_FAILED = 1  # some items failed; they are counted in what the command printed
EXIT_USAGE = 2  # usage or configuration error
EXIT_REDIS = 3  # Redis unavailable (unreachable, out of memory, read-only, cannot persist)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def redis_failure(exc: BaseException) -> str | None:
    """What a Redis failure means to a user, or None when ``exc`` is not one (causes included)."""
    for cause in _chain(exc):
        if isinstance(cause, redis.AuthenticationError):
            return None  # a configuration error: handled as one
        if isinstance(cause, redis.OutOfMemoryError):
            return f"Redis is out of memory (maxmemory reached, no eviction): {cause}"
        if isinstance(cause, redis.ReadOnlyError):
            return f"Redis is read-only (a replica?): {cause}"
        if isinstance(cause, redis.ResponseError) and str(cause).startswith("MISCONF"):
            return f"Redis cannot write to its disk: {cause}"
        if isinstance(cause, redis.ConnectionError | redis.TimeoutError | dramatiq.errors.ConnectionError):
            return f"Redis unavailable: {cause}"
    return None


def failure(exc: BaseException) -> tuple[str, int] | None:
    """One line and an exit code for a failure a user can act on; None for a bug (it keeps its traceback)."""
    trouble = redis_failure(exc)
    if trouble is not None:
        return trouble, EXIT_REDIS
    for cause in _chain(exc):
        if isinstance(cause, ConfigError | redis.AuthenticationError):
            return f"configuration error: {cause}", EXIT_USAGE
        if isinstance(cause, FileNotFoundError | IsADirectoryError | PermissionError | NotADirectoryError):
            return f"{cause.filename or 'file'}: {cause.strerror or cause}", EXIT_USAGE
        if isinstance(cause, PipelineError | TimeoutError):
            return str(cause), EXIT_FAILED
    return None


def guarded(command: Callable[[], Any]) -> None:
    """Run the command line; a known failure ends as one line on standard error and its exit code."""
    try:
        command()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        known = failure(exc)
        if known is None:
            raise  # a bug: the traceback is what a maintainer needs
        message, code = known
        err.print(f"[red]error[/]: {escape(message)}", highlight=False, soft_wrap=True)
        sys.exit(code)


def command_settings(**overrides: Any) -> Settings:
    settings = load_settings(**overrides)
    logs.configure(settings.log_level, json_lines=settings.log_json)
    return settings


class _Stop(threading.Event):
    """An event whose endless wait wakes up now and then: the kernel may hand a signal to another
    thread, and then only the main thread's return to Python runs the handler (a wait without a
    timeout would sleep through it)."""

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is not None:
            return super().wait(timeout)
        while not super().wait(0.2):
            pass
        return True


@contextlib.contextmanager
def stop_signals(active: bool = True) -> Iterator[threading.Event]:
    """An event that SIGINT and SIGTERM set instead of ending the process, from the start of the
    block: one that comes while the workers start still stops them cleanly (their work in hand
    finished, their prefetched messages given back) once the block waits on the event. The
    previous handlers come back at the end. ``active=False``: the signals keep their usual effect."""
    stop = _Stop()
    if not active:
        yield stop
        return
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
