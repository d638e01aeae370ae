"""A time limit on page cleaning that really stops the work.

A thread cannot be stopped in Python, and lxml and trafilatura hold the GIL for
long stretches, so a deadline inside the worker thread would only be noticed
after the damage. Instead each worker thread owns one long-lived child process
that cleans pages (``pipeline.clean.clean``) and answers over a pipe. When the
answer does not come within the limit, the child is killed (SIGKILL) and a
fresh one takes its place on the next call; the page is rejected with code
``timeout``. A child also runs under a memory cap, so a page that explodes in
memory fails alone.

The size cap is checked before the page is sent, so a huge page never crosses
the pipe. Children come from a forkserver that has imported the pipeline once:
starting one costs a fork, not an interpreter; a call costs the pipe round trip
of the page and the article (about a millisecond for a news page; see
tests/workers/test_guard.py).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import structlog

from pipeline.clean import MAX_HTML_BYTES, clean
from pipeline.errors import PipelineError, Unusable
from pipeline.models import Article, Page
from pipeline.templates import SiteTemplates

log = structlog.get_logger(__name__)

# Until Settings has NEWSWATCH_EXTRACT_TIMEOUT_S: a news page cleans in well under a second;
# twenty leave room for a slow machine and still free a stuck worker quickly.
EXTRACT_TIMEOUT_S = 20.0
CHILD_MEMORY_BYTES = 2 * 1024**3

_context: Any = None
_context_lock = threading.Lock()


def _mp_context() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            # forkserver: a clean process (no worker threads, no Redis sockets) forks the children
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["pipeline.clean", "workers.guard"])
            _context = ctx
        return _context


def _child_main(conn: Connection) -> None:
    """The child's loop: clean each page it is sent, answer with the article or the error."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        page_json, templates, now, max_html_bytes = request
        try:
            page = Page.model_validate_json(page_json)
            article = clean(page, now=now, max_html_bytes=max_html_bytes, templates=templates)
            reply: tuple[Any, ...] = ("ok", article.model_dump_json())
        except PipelineError as exc:
            reply = ("pipeline", type(exc).__name__, exc.code, exc.message)
        except MemoryError:
            reply = ("pipeline", "Unusable", "too_large", "page took too much memory to clean")
        except Exception as exc:  # a bug in cleaning: reported as such, the child lives on
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class CleanerProcess:
    """One child process that cleans pages, replaced when it overruns its deadline."""

    def __init__(self) -> None:
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self.restarts = 0

    def _start(self) -> tuple[BaseProcess, Connection]:
        if self._proc is None or self._conn is None or not self._proc.is_alive():
            self.close()
            ctx = _mp_context()
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_child_main, args=(child,), name="newswatch-cleaner", daemon=True)
            proc.start()
            child.close()
            self._proc, self._conn = proc, parent
        return self._proc, self._conn

    def clean(
        self,
        page: Page,
        *,
        timeout_s: float,
        max_html_bytes: int,
        templates: SiteTemplates | None = None,
        now: datetime | None = None,
    ) -> Article:
        _, conn = self._start()
        started = time.monotonic()
        try:
            conn.send((page.model_dump_json(), templates, now or datetime.now(UTC), max_html_bytes))
            ready = conn.poll(timeout_s)
            reply = conn.recv() if ready else None
        except (EOFError, OSError, BrokenPipeError):
            self.close()
            raise Unusable("the cleaner process died on this page", code="crashed") from None
        if reply is None:
            self.close()
            self.restarts += 1
            log.warning("extraction_timed_out", url=page.url, timeout_s=timeout_s)
            raise Unusable(f"extraction took longer than {timeout_s:g} s, stopped", code="timeout")
        log.debug("page_cleaned", url=page.url, elapsed_s=round(time.monotonic() - started, 4))
        return _answer(reply)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(timeout=5)
        self._proc, self._conn = None, None


def _answer(reply: tuple[Any, ...]) -> Article:
    kind = reply[0]
    if kind == "ok":
        return Article.model_validate_json(reply[1])
    if kind == "pipeline":
        _, name, code, message = reply
        from pipeline import errors

        cls = getattr(errors, name, None)
        if isinstance(cls, type) and issubclass(cls, PipelineError):
            try:
                raise cls(message, code=code)
            except TypeError:  # an error class with another signature (ConfigError)
                pass
        raise Unusable(message, code=code)
    raise RuntimeError(f"cleaning failed in the cleaner process: {reply[1]}")


_local = threading.local()
_all: list[CleanerProcess] = []
_all_lock = threading.Lock()


def cleaner() -> CleanerProcess:
    """This thread's cleaner process (one per worker thread: calls never wait for each other)."""
    proc: CleanerProcess | None = getattr(_local, "cleaner", None)
    if proc is None:
        proc = _local.cleaner = CleanerProcess()
        with _all_lock:
            _all.append(proc)
    return proc


def clean_guarded(
    page: Page,
    *,
    timeout_s: float = EXTRACT_TIMEOUT_S,
    max_html_bytes: int = MAX_HTML_BYTES,
    templates: SiteTemplates | None = None,
    now: datetime | None = None,
) -> Article:
    """``pipeline.clean.clean`` under a size cap (checked here, before anything is sent) and a
    time limit that kills the work; raises Unusable (``too_large``, ``timeout``) like clean does."""
    size = len(page.html.encode("utf-8", "ignore"))
    if size > max_html_bytes:
        raise Unusable(f"page is {size} bytes, over the {max_html_bytes}-byte cap", code="too_large")
    return cleaner().clean(
        page, timeout_s=timeout_s, max_html_bytes=max_html_bytes, templates=templates, now=now
    )


def close_all() -> None:
    """Stop every cleaner process of this process (they are daemons: they also die with it)."""
    with _all_lock:
        procs, _all[:] = list(_all), []
    for proc in procs:
        proc.close()
