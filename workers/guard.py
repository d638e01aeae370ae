"""A time limit on page cleaning and feed parsing that really stops the work.

A thread cannot be stopped in Python, and lxml and trafilatura hold the GIL for
long stretches, so a deadline inside the worker thread would only be noticed
after the damage. Instead the worker threads share a pool of long-lived child
processes (``CleanerPool``: one per thread, at most one per CPU, or
``NEWSWATCH_CLEANERS``); a child cleans pages (``pipeline.clean.clean``) and parses feeds
(``pipeline.feeds.parse_feed``: feedparser has quadratic corners, such as its
author parsing) and answers over a pipe. When the answer does not come within
the limit, the child is killed (SIGKILL) and a fresh one takes its place on the
next call; the page is rejected, or the feed's poll fails, with code
``timeout``. A child also runs under a memory cap, so a page or a feed that
explodes in memory fails alone.

A page's enrichment (``pipeline.record.prepare``: sanitizing, fingerprints,
relevance, events) is done in the same child right after cleaning: it runs under
the same limits, and it runs beside the other worker threads instead of taking
their turn at the worker process's interpreter lock. The topic crosses the pipe
once per child (again only when the configuration changes).

A thread may send a page (``CleanerProcess.begin``) and read the answer later
(``answer``): a replay's thread stores one page while its cleaner cleans the
next. A cleaner given back with its answer unread is stopped, so that answer is
never taken for another page's.

The size cap is checked before the page is sent, so a huge page never crosses
the pipe. Children come from a forkserver that has imported the pipeline once:
starting one costs a fork, not an interpreter; a call costs the pipe round trip
of the page and the article (about a millisecond for a news page; see
tests/workers/test_guard.py).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import structlog

from config.topic import TopicConfig
from pipeline.clean import MAX_HTML_BYTES, RawHtml, clean, detect_language
from pipeline.errors import ParseError, PipelineError, Unusable
from pipeline.feeds import ParsedFeed, parse_feed
from pipeline.models import Article, Page
from pipeline.record import Prepared, prepare
from pipeline.sanitize import check_size
from pipeline.templates import SiteTemplates

log = structlog.get_logger(__name__)

# Until Settings has NEWSWATCH_EXTRACT_TIMEOUT_S: a news page cleans in well under a second;
# twenty leave room for a slow machine and still free a stuck worker quickly.
EXTRACT_TIMEOUT_S = 20.0
CHILD_MEMORY_BYTES = 2 * 1024**3
WARM_UP_TIMEOUT_S = 60.0

_context: Any = None
_context_lock = threading.Lock()


def _mp_context() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            # forkserver: a clean process (no worker threads, no Redis sockets) forks the children
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(
                ["pipeline.clean", "pipeline.feeds", "pipeline.record", "workers.guard"]
            )
            _context = ctx
        return _context


def _parse(data: bytes, kwargs: dict[str, Any]) -> str:
    return parse_feed(data, **kwargs).model_dump_json()


def _child_main(conn: Connection) -> None:
    """The child's loop: clean (and, given a topic, prepare) each page, parse each feed it is sent;
    answer with the result or the error."""
    topic: TopicConfig | None = None  # the last one sent: a request carries it only when it changed
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    with contextlib.suppress(Exception):
        detect_language("a sentence that loads the language model once, before any page is timed")
    try:
        conn.send(("ready",))
    except (BrokenPipeError, OSError):
        return
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if request[0] == "feed":
                reply: tuple[Any, ...] = ("ok", _parse(*request[1:]))
            else:
                page, body, templates, now, max_html_bytes, new_topic, enriched = request[1:]
                html = (
                    body.text(max_html_bytes)
                    if isinstance(body, RawHtml)
                    else body.decode("utf-8", "surrogatepass")
                )
                page = page.model_copy(update={"html": html})
                topic = new_topic or topic
                article = clean(page, now=now, max_html_bytes=max_html_bytes, templates=templates)
                if enriched and topic is not None:
                    reply = ("ok", article, prepare(article, topic))
                else:
                    reply = ("ok", article, None)
        except PipelineError as exc:
            reply = ("pipeline", type(exc).__name__, exc.code, exc.message)
        except MemoryError:
            reply = ("pipeline", "Unusable", "too_large", "page took too much memory to clean")
        except Exception as exc:  # a bug in cleaning: reported as such, the child lives on
            reply = ("error", f"{type(exc).__name__}: {exc}", traceback.format_exc())
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class CleanerProcess:
    """One child process that cleans pages, replaced when it overruns its deadline."""

    def __init__(self) -> None:
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._topic: TopicConfig | None = None  # the topic the running child holds
        self.job: Job | None = None  # the page sent and not yet answered (begin, answer)
        self.restarts = 0

    def _start(self) -> tuple[BaseProcess, Connection]:
        if self._proc is None or self._conn is None or not self._proc.is_alive():
            self.close()
            ctx = _mp_context()
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_child_main, args=(child,), name="newswatch-cleaner", daemon=True)
            proc.start()
            child.close()
            # A new child loads what cleaning loads lazily (py3langid's model: about 2 s on a busy
            # machine) before it is timed: a page's time limit is for the page's work, not for this.
            if not parent.poll(WARM_UP_TIMEOUT_S):
                log.warning("cleaner_slow_to_start", waited_s=WARM_UP_TIMEOUT_S)
            else:
                with contextlib.suppress(EOFError, OSError):
                    parent.recv()
            self._proc, self._conn, self._topic = proc, parent, None
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
        job = self.begin(
            page, None, timeout_s=timeout_s, max_html_bytes=max_html_bytes, templates=templates, now=now
        )
        return self.answer(job)[0]

    def prepare(
        self,
        page: Page,
        topic: TopicConfig,
        *,
        timeout_s: float,
        max_html_bytes: int,
        templates: SiteTemplates | None = None,
        now: datetime | None = None,
        raw: RawHtml | None = None,
    ) -> tuple[Article, Prepared]:
        """The page cleaned, and prepared for its record (``pipeline.record.prepare``), in the child.
        ``raw``: the page's bytes, decoded in the child (the page's ``html`` is then empty)."""
        job = self.begin(
            page,
            topic,
            timeout_s=timeout_s,
            max_html_bytes=max_html_bytes,
            templates=templates,
            now=now,
            raw=raw,
        )
        article, prepared = self.answer(job)
        assert prepared is not None  # answer() prepares it here when the child did not
        return article, prepared

    def begin(
        self,
        page: Page,
        topic: TopicConfig | None,
        *,
        timeout_s: float,
        max_html_bytes: int,
        templates: SiteTemplates | None = None,
        now: datetime | None = None,
        raw: RawHtml | None = None,
    ) -> Job:
        """Send a page to the child and return at once: ``answer(job)`` waits for the article (and,
        given a topic, its ``Prepared``). The time limit runs from here. One job at a time: a child
        answers in order, and its answer must be read before another page is sent."""
        if self.job is not None:
            raise RuntimeError("the cleaner process is still working on a page: answer() it first")
        if raw is None:
            check_size(page.html, max_html_bytes, "page")  # a huge page never crosses the pipe
        elif not raw.gzip:
            raw.unpacked(max_html_bytes)  # the cap, before the bytes cross the pipe
        started = time.monotonic()
        _, conn = self._start()  # a new child holds no topic yet
        sent_topic = topic if topic is not None and topic is not self._topic else None
        request = (
            "clean",
            # the HTML crosses the pipe as bytes: pickling a str of that size costs ten times more
            page.model_copy(update={"html": ""}),
            raw if raw is not None else page.html.encode("utf-8", "surrogatepass"),
            templates,
            now or datetime.now(UTC),
            max_html_bytes,
            sent_topic,
            topic is not None,
        )
        try:
            self._send(request, conn)
        except _Died:
            raise Unusable("the cleaner process died on this page", code="crashed") from None
        if sent_topic is not None:
            self._topic = sent_topic  # the child keeps it (a child that dies forgets: close())
        # the limit is the page's work: from the moment it is sent (a new child's start is not timed)
        self.job = Job(page.url, topic, started, time.monotonic() + timeout_s, timeout_s)
        return self.job

    def answer(self, job: Job) -> tuple[Article, Prepared | None]:
        """What the child made of the page ``begin`` sent: the article, and its ``Prepared`` when
        the job has a topic; raises Unusable (``timeout``, ``crashed``) or the cleaning's own error."""
        if job is not self.job:
            raise RuntimeError("not this cleaner process's job")
        try:
            reply = self._receive(job.deadline)
        except _Died:
            raise Unusable("the cleaner process died on this page", code="crashed") from None
        if reply is None:
            log.warning("extraction_timed_out", url=job.url, timeout_s=job.timeout_s)
            raise Unusable(f"extraction took longer than {job.timeout_s:g} s, stopped", code="timeout")
        log.debug("page_cleaned", url=job.url, elapsed_s=round(time.monotonic() - job.started, 4))
        article, prepared = _answer(reply)
        if job.topic is not None and prepared is None:
            prepared = prepare(article, job.topic)
        return article, prepared

    def parse_feed(self, data: bytes, *, timeout_s: float, **kwargs: Any) -> ParsedFeed:
        """``pipeline.feeds.parse_feed`` in the child, under the time limit (ParseError ``timeout``)."""
        try:
            reply = self._call(("feed", data, kwargs), timeout_s)
        except _Died:
            raise ParseError("the parsing process died on this feed", code="crashed") from None
        if reply is None:
            log.warning("feed_parse_timed_out", timeout_s=timeout_s, size_bytes=len(data))
            raise ParseError(f"feed parsing took longer than {timeout_s:g} s, stopped", code="timeout")
        if reply[0] == "ok":
            return ParsedFeed.model_validate_json(reply[1])
        if reply[0] == "pipeline":
            raise ParseError(reply[3], code=reply[2] if reply[1] == "ParseError" else "parse")
        raise RuntimeError(f"feed parsing failed in the child process: {reply[1]}")

    def _call(self, request: tuple[Any, ...], timeout_s: float) -> tuple[Any, ...] | None:
        """The child's reply, or None when it did not come in time (the child is then killed)."""
        if self.job is not None:
            raise RuntimeError("the cleaner process is still working on a page: answer() it first")
        self._send(request)
        return self._receive(time.monotonic() + timeout_s)

    def _send(self, request: tuple[Any, ...], conn: Connection | None = None) -> None:
        """Send to the child (``conn``: the one ``_start`` just gave, not looked up again)."""
        if conn is None:
            _, conn = self._start()
        try:
            conn.send(request)
        except (EOFError, OSError, BrokenPipeError):
            self.close()
            raise _Died from None

    def _receive(self, deadline: float) -> tuple[Any, ...] | None:
        """The child's reply to what was sent, or None when it did not come by ``deadline``
        (the child is then killed)."""
        conn, self.job = self._conn, None
        if conn is None:  # closed since the request was sent
            raise _Died
        try:
            ready = conn.poll(max(0.0, deadline - time.monotonic()))
            reply: tuple[Any, ...] | None = conn.recv() if ready else None
        except (EOFError, OSError, BrokenPipeError):
            self.close()
            raise _Died from None
        if reply is None:
            self.close()
            self.restarts += 1
        return reply

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(timeout=5)
        self._proc, self._conn, self._topic, self.job = None, None, None, None


class _Died(Exception):
    """The child process went away in the middle of a call."""


@dataclass(frozen=True)
class Job:
    """A page sent to a cleaner process (``CleanerProcess.begin``), its answer not yet read."""

    url: str
    topic: TopicConfig | None  # prepare the article for this topic (None: clean only)
    started: float  # time.monotonic()
    deadline: float
    timeout_s: float


def _answer(reply: tuple[Any, ...]) -> tuple[Article, Prepared | None]:
    kind = reply[0]
    if kind == "ok":
        return reply[1], reply[2]
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
    log.error("cleaner_failed", error=reply[1], child_traceback=reply[2])
    raise RuntimeError(f"cleaning failed in the cleaner process: {reply[1]}")


class CleanerPool:
    """The cleaner processes of one worker process, shared by its threads: at most ``size`` of them,
    started as they are first needed. A thread takes a free one for one call and gives it back; when
    all are busy it waits. Worker threads mostly wait on the network (a page's fetch, Redis), so a
    process needs more threads than cleaners: cleaning is what uses the cores, and each cleaner costs
    its own memory."""

    def __init__(self, size: int | None = None) -> None:
        self.size = size or default_cleaners()
        self._cond = threading.Condition()
        self._free: list[CleanerProcess] = []
        self._all: list[CleanerProcess] = []

    def resize(self, size: int) -> None:
        with self._cond:
            self.size = max(1, size)
            self._cond.notify_all()

    @contextlib.contextmanager
    def lease(self) -> Iterator[CleanerProcess]:
        proc = self.take()
        try:
            yield proc
        finally:
            self.give(proc)

    def take(self) -> CleanerProcess:
        """A free cleaner process, for this thread alone until ``give``; waits while all are busy."""
        with self._cond:
            while not self._free and len(self._all) >= self.size:
                self._cond.wait()
            if self._free:
                return self._free.pop()  # the one used last: its caches are warm
            proc = CleanerProcess()
            self._all.append(proc)
            return proc

    def give(self, proc: CleanerProcess) -> None:
        """A process from ``take`` back to the pool. One still working on a page whose answer
        nobody will read (its thread failed between ``begin`` and ``answer``) is stopped: its
        answer would be taken for the next page's."""
        surplus = proc.job is not None
        with self._cond:
            if proc in self._all:  # not closed meanwhile (close_all)
                surplus = surplus or len(self._all) > self.size  # or the pool was made smaller
                if surplus:
                    self._all.remove(proc)
                else:
                    self._free.append(proc)
            self._cond.notify()
        if surplus:
            proc.close()  # outside the lock: stopping a child may take a moment

    def close(self) -> None:
        """Stop every cleaner process (they are daemons: they also die with this process)."""
        with self._cond:
            procs, self._all, self._free = list(self._all), [], []
            self._cond.notify_all()
        for proc in procs:
            proc.close()

    def started(self) -> int:
        """How many cleaner processes the pool holds now."""
        with self._cond:
            return len(self._all)


def default_cleaners(threads: int | None = None) -> int:
    """Cleaner processes for a worker process: one per worker thread, at most one per CPU it may use."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(threads or cpus, cpus))


pool = CleanerPool()


def configure(cleaners: int | None = None, *, threads: int | None = None) -> None:
    """Size this process's pool: ``cleaners``, else one per worker thread up to the CPUs."""
    pool.resize(cleaners or default_cleaners(threads))


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
    with pool.lease() as proc:  # the one size cap, for page HTML and article text alike: begin()
        return proc.clean(
            page, timeout_s=timeout_s, max_html_bytes=max_html_bytes, templates=templates, now=now
        )


def close_all() -> None:
    """Stop every cleaner process of this process (they are daemons: they also die with it)."""
    pool.close()


def parse_feed_guarded(data: bytes, *, timeout_s: float = EXTRACT_TIMEOUT_S, **kwargs: Any) -> ParsedFeed:
    """``pipeline.feeds.parse_feed`` in a cleaner process of the pool, killed past ``timeout_s``."""
    with pool.lease() as proc:
        return proc.parse_feed(data, timeout_s=timeout_s, **kwargs)
