"""Replay throughput against bare trafilatura, on the same pages, in the same run.

    python benchmarks/replay.py [PAGES_DIR] [--limit N] [--threads T[,T...]] [--processes P]
                                [--cleaners C] [--redis-url URL] [--repeat R] [--json]

For each thread count T of ``--threads`` (default ``1,2``: one worker thread against one bare
process, then two against two), two measurements, each repeated ``--repeat`` times (default 2) after
a warm-up, taken in turn (bare then pipeline, then pipeline then bare, ...) so that a change in the
machine's load falls on both; the best run of each counts. Both use the same number of cleaning processes,
N = cleaners x processes (a worker process's threads share its cleaners: ``--cleaners C``, by default
the pipeline's own, one per thread and at most one per CPU), so the ratio compares throughput per core
fairly; the last table gives the per-core ratio for each N:

- **bare**: ``pipeline.clean.extract(html, url)`` (``trafilatura.bare_extraction`` with the
  pipeline's own ``EXTRACT_OPTIONS``) on every page, over N processes (the pages dealt round-robin,
  each process warmed up before the clock starts). The timed region holds, per page, read + gunzip +
  ``pipeline.clean.decode_html`` + ``extract``: the same input work the pipeline's figure includes
  (``replay()`` reads and decodes the files itself), so the headline ratio compares like with like.
  ``extract()`` alone is timed too (summed over the processes, divided by N) and shown as its own row.
- **pipeline**: ``workers.replay.replay(app, [folder])`` on a fresh key prefix (``nwbench-<hex>``)
  with workers running: by default dramatiq worker threads in this process
  (``workers.runner.workers(app, threads=T)``); with ``--processes P``, P ``newswatch worker
  --threads T`` subprocesses on the same Redis and prefix, and no workers in this process. Timed
  from the start of ``replay()`` until it returns its result. Between repeats the store keys of the
  prefix are deleted (the dramatiq queues are kept) so every repeat stores the pages anew instead of
  answering "unchanged".

Per core is articles/s divided by the cores N processes can use (min(N, CPUs)); the ratio of the
two per-core figures is the headline (target >= 0.8, with one thread and with N). Beside it, the
median of each repeat's own ratio (its bare run against its pipeline run, taken one after the
other): on a machine whose speed drifts, a lucky best run on one side moves the headline and not
this. ``--json`` prints ``{"per_core_ratios": {T: ratio}, "runs": [...]}`` as the last line, each
run with its ``paired_median_ratio``.

Redis: ``--redis-url``, else ``NEWSWATCH_REDIS_URL``, else ``redis://127.0.0.1:6379/0``; when none of
them answers, the embedded Redis in a temporary data dir. Every key of the prefix (dramatiq's
``{prefix}:dq*`` included) is deleted at the end, on error too.

Pages: PAGES_DIR, else ``NEWSWATCH_BENCH_PAGES``, else ``../shared/datasets/extraction/html`` next to
the repository; ``.html``, ``.htm`` and ``.html.gz`` files, found the way ``replay()`` finds them.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if (
    str(ROOT) not in sys.path
):  # the package is normally installed editable; this makes a plain checkout work too
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table  # noqa: E402

from workers.tables import summary_table  # noqa: E402

DEFAULT_PAGES = (ROOT / ".." / "shared" / "datasets" / "extraction" / "html").resolve()
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
PAGE_SUFFIXES = (".html", ".htm", ".html.gz")
TARGET_RATIO = 0.8
READY_MARK = "worker running"  # what `newswatch worker` prints on stderr once its workers are started

err = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 140)


def _thread_counts(value: str) -> list[int]:
    try:
        counts = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of thread counts: {value!r}") from None
    if not counts:
        raise argparse.ArgumentTypeError("no thread count given")
    return list(dict.fromkeys(counts))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument(
        "pages",
        nargs="?",
        type=Path,
        default=None,
        help=f"folder of .html / .html.gz pages (default: $NEWSWATCH_BENCH_PAGES or {DEFAULT_PAGES})",
    )
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages (sorted by path)")
    ap.add_argument(
        "--threads",
        type=_thread_counts,
        default=[1, 2],
        help="dramatiq worker threads (per process), one measurement for each of a comma-separated list "
        "(default 1,2); bare runs over as many processes in all",
    )
    ap.add_argument(
        "--processes",
        type=int,
        default=0,
        help="run P `newswatch worker` subprocesses instead of worker threads in this process",
    )
    ap.add_argument(
        "--cleaners",
        type=int,
        default=None,
        help="cleaning processes per worker process, shared by its threads (default: the pipeline's, "
        "one per thread and at most one per CPU); bare runs over as many processes in all",
    )
    ap.add_argument(
        "--redis-url",
        default=None,
        help=f"Redis to use (default: $NEWSWATCH_REDIS_URL or {DEFAULT_REDIS_URL}; "
        "embedded Redis if none answers)",
    )
    ap.add_argument("--repeat", type=int, default=2, help="timed runs of each measurement; the best counts")
    ap.add_argument(
        "--timeout", type=float, default=600.0, help="give up on one replay run after this many seconds"
    )
    ap.add_argument("--log-level", default="WARNING", help="log level of the pipeline (default WARNING)")
    ap.add_argument("--json", action="store_true", help="one JSON object as the last line of output")
    args = ap.parse_args(argv)
    if (
        min(args.threads) < 1
        or args.processes < 0
        or (args.cleaners is not None and args.cleaners < 1)
        or args.repeat < 1
        or (args.limit is not None and args.limit < 1)
    ):
        ap.error("--threads, --repeat, --limit and --cleaners must be >= 1, --processes >= 0")
    return args


def find_pages(folder: Path, limit: int | None) -> list[Path]:
    """The pages replay() would read from the folder, in the same (sorted) order."""
    pages = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name.endswith(PAGE_SUFFIXES)]
    return pages[:limit] if limit else pages


def _progress(label: str) -> Progress:
    return Progress(
        TextColumn(label),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


# --- bare trafilatura ------------------------------------------------------------------------------


def bare_run(
    pages: list[Path], urls: list[str], progress: Progress | None = None, task: Any = None
) -> tuple[float, float]:
    """One pass: (seconds for read+gunzip+decode+extract, seconds of extract() alone)."""
    from pipeline.clean import decode_html, extract

    extract_s = 0.0
    start = time.perf_counter()
    for path, url in zip(pages, urls, strict=True):
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        html = decode_html(raw)
        t = time.perf_counter()
        extract(html, url)
        extract_s += time.perf_counter() - t
        if progress is not None:
            progress.advance(task)
    return time.perf_counter() - start, extract_s


def _warm_bare(path: str, url: str) -> None:
    """Pool initializer: imports, lazy tables and a first parse, before any clock starts."""
    bare_run([Path(path)], [url])


def _bare_chunk(chunk: tuple[list[str], list[str]]) -> tuple[float, float]:
    return bare_run([Path(p) for p in chunk[0]], chunk[1])


@contextlib.contextmanager
def bare_runner(pages: list[Path], processes: int = 1) -> Iterator[Any]:
    """A warmed-up bare extraction over ``processes`` processes; yields a function that runs one timed
    pass over the pages and returns (seconds for read+gunzip+decode+extract, seconds of extract())."""
    from workers.replay import read_html_file

    # the URL replay() gives each page (its canonical link when it has one), found outside the timing
    items = [read_html_file(p) for p in pages]
    payloads = [it.payload or {"page": {"url": "", "html": ""}} for it in items]
    urls = [str(p["page"]["url"]) for p in payloads]
    del items, payloads
    if processes <= 1:
        bare_run(pages[:1], urls[:1])  # warm-up: imports, lazy tables, first parse

        def one() -> tuple[float, float]:
            with _progress("bare") as progress:
                return bare_run(pages, urls, progress, progress.add_task("1 process", total=len(pages)))

        yield one
        return
    import multiprocessing

    chunks = [
        ([str(p) for p in pages[k::processes]], urls[k::processes])
        for k in range(processes)
        if pages[k::processes]
    ]
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no Redis client or thread inherited
    with context.Pool(len(chunks), initializer=_warm_bare, initargs=(str(pages[0]), urls[0])) as pool:
        pool.map(_bare_chunk, [([str(pages[0])], [urls[0]])] * len(chunks))  # every process started

        def many() -> tuple[float, float]:
            err.print(f"bare: a run over {len(chunks)} processes")
            begin = time.perf_counter()
            results = pool.map(_bare_chunk, chunks, chunksize=1)
            return time.perf_counter() - begin, sum(r[1] for r in results) / len(chunks)

        yield many


# --- the whole pipeline ----------------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


def delete_prefix(client: redis.Redis, prefix: str, *, keep_dramatiq: bool = False) -> int:
    """Delete every key of the prefix (SCAN + DEL); with keep_dramatiq, leave ``{prefix}:dq*`` alone."""
    dq = f"{prefix}:dq"
    batch: list[bytes | str] = []
    deleted = 0
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        name = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
        if keep_dramatiq and name.startswith(dq):
            continue
        batch.append(key)
        if len(batch) >= 500:
            deleted += int(client.delete(*batch))
            batch.clear()
    if batch:
        deleted += int(client.delete(*batch))
    return deleted


class WorkerProcesses:
    """P `newswatch worker --threads T` subprocesses on one Redis and key prefix."""

    def __init__(
        self,
        count: int,
        threads: int,
        redis_url: str,
        prefix: str,
        log_level: str,
        cleaners: int | None = None,
    ) -> None:
        self.count, self.threads = count, threads
        self.env = {
            **os.environ,
            "NEWSWATCH_REDIS_URL": redis_url,
            "NEWSWATCH_KEY_PREFIX": prefix,
            "NEWSWATCH_LOG_LEVEL": log_level,
            "NEWSWATCH_WORKER_THREADS": str(threads),
            **({"NEWSWATCH_CLEANERS": str(cleaners)} if cleaners else {}),
        }
        self.procs: list[subprocess.Popen[str]] = []
        self.ready: list[threading.Event] = []
        self.tails: list[deque[str]] = []

    def command(self) -> list[str]:
        script = Path(sys.executable).parent / "newswatch"
        exe = str(script) if script.exists() else shutil.which("newswatch")
        base = [exe] if exe else [sys.executable, "-m", "workers.cli"]
        return [*base, "worker", "--threads", str(self.threads)]

    def _read(self, proc: subprocess.Popen[str], ready: threading.Event, tail: deque[str], n: int) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if READY_MARK in line and not ready.is_set():
                ready.set()
                continue
            tail.append(line.rstrip())
            err.print(f"[dim]worker {n}[/]: {line.rstrip()}", markup=True, highlight=False)

    def start(self, timeout_s: float = 120.0) -> None:
        cmd = self.command()
        for n in range(self.count):
            proc = subprocess.Popen(
                cmd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                bufsize=1,
                cwd=ROOT,
                start_new_session=True,
            )  # our SIGTERM stops them, not the terminal's ^C
            ready, tail = threading.Event(), deque[str](maxlen=20)
            threading.Thread(target=self._read, args=(proc, ready, tail, n), daemon=True).start()
            self.procs.append(proc)
            self.ready.append(ready)
            self.tails.append(tail)
        deadline = time.monotonic() + timeout_s
        for n, (proc, ready) in enumerate(zip(self.procs, self.ready, strict=True)):
            while not ready.wait(0.1):
                if proc.poll() is not None or time.monotonic() > deadline:
                    why = (
                        f"exited with {proc.returncode}"
                        if proc.returncode is not None
                        else "not ready in time"
                    )
                    raise RuntimeError(
                        f"worker process {n} ({' '.join(cmd)}) {why}:\n" + "\n".join(self.tails[n])
                    )

    def stop(self, timeout_s: float = 45.0) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def open_pipeline(
    redis_url: str | None, threads: int, processes: int, log_level: str, cleaners: int | None = None
) -> Iterator[Any]:
    """An App on a fresh prefix, with its workers running; every key of the prefix deleted at the end."""
    from config.settings import load_settings
    from workers.app import App
    from workers.runner import workers

    prefix = f"nwbench-{uuid.uuid4().hex[:12]}"
    data_dir = tempfile.mkdtemp(prefix="nwbench-") if redis_url is None else None
    overrides: dict[str, Any] = {
        "redis_url": redis_url,
        "key_prefix": prefix,
        "log_level": log_level,
        "worker_threads": threads,
        "cleaners": cleaners,
    }
    if data_dir:
        overrides["data_dir"] = Path(data_dir)
    settings = load_settings(**overrides)
    try:
        with App.open(settings) as app:
            try:
                if processes:
                    url = redis_url or (app.embedded.url if app.embedded else "")
                    procs = WorkerProcesses(processes, threads, url, prefix, log_level, cleaners)
                    try:
                        procs.start()
                        yield app
                    finally:
                        procs.stop()
                else:
                    with workers(app, threads=threads, queues={"articles", "alerts"}):
                        yield app
            finally:
                delete_prefix(app.redis, prefix)  # workers are stopped: nothing writes any more
        if redis_url is not None:  # once more on a fresh connection, for anything written while closing
            client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
            try:
                delete_prefix(client, prefix)
            finally:
                client.close()
    finally:
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


class DeadLetterWatch:
    """Stops a run whose messages die instead of finishing.

    replay() waits until every item has an outcome; an actor that raises outside its own error
    handling never records one, so its message is retried and then dead-lettered, and replay() would
    wait until its timeout. This checks dramatiq's dead-letter queues (at most once a second).
    """

    def __init__(self, app: Any, every_s: float = 1.0) -> None:
        self.app, self.every_s = app, every_s
        self.keys = [f"{app.prefix}:dq:{queue}.XQ" for queue in ("articles", "alerts")]
        self.baseline = self._dead()
        self.next_at = time.monotonic() + every_s

    def _dead(self) -> int:
        return sum(int(self.app.redis.zcard(key)) for key in self.keys)

    def check(self) -> None:
        if time.monotonic() < self.next_at:
            return
        self.next_at = time.monotonic() + self.every_s
        dead = self._dead() - self.baseline
        if dead > 0:
            raise RuntimeError(
                f"{dead} message(s) dead-lettered: an actor raised outside its error handling "
                "(see the log above); the replay would never finish"
            )


@contextlib.contextmanager
def pipeline_runner(
    pages: list[Path],
    inputs: list[Path],
    redis_url: str | None,
    threads: int,
    processes: int,
    log_level: str,
    timeout_s: float,
    cleaners: int | None = None,
) -> Iterator[Any]:
    """The pipeline with its workers running, warmed up; yields a function that runs one timed
    replay of the inputs (the store's keys of the prefix deleted first, so it stores anew)."""
    from workers.replay import replay

    with open_pipeline(redis_url, threads, processes, log_level, cleaners) as app:
        # warm-up: one page per worker thread, through the whole path (first parse, language model, Redis)
        warm_watch = DeadLetterWatch(app)

        def warm_tick(done: int, total: int) -> None:
            warm_watch.check()

        replay(app, pages[: max(1, threads * max(1, processes))], progress=warm_tick, timeout_s=timeout_s)

        def one() -> dict[str, Any]:
            delete_prefix(app.redis, app.prefix, keep_dramatiq=True)
            watch = DeadLetterWatch(app)
            with _progress("pipeline") as progress:
                task = progress.add_task(f"{threads} thread(s)", total=len(pages))

                def tick(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)
                    watch.check()

                begin = time.perf_counter()
                result = replay(app, inputs, progress=tick, timeout_s=timeout_s)
                seconds = time.perf_counter() - begin
            return {"seconds": seconds, "summary": result.summary(), "problems": result.problems}

        yield one


def cleaners_of(args: argparse.Namespace, threads: int) -> int:
    """The cleaning processes of one worker process with ``threads`` threads."""
    from workers.guard import default_cleaners

    return int(args.cleaners) if args.cleaners else default_cleaners(threads)


def measure(
    args: argparse.Namespace,
    threads: int,
    pages: list[Path],
    inputs: list[Path],
    redis_url: str | None,
    parallel: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Bare and pipeline runs taken in turn (bare first on odd repeats, the pipeline first on even
    ones), so a change in the machine's load falls on both sides alike; the best run of each counts.
    ``parallel``: the pipeline's cleaning processes, and so the bare processes."""
    totals: list[float] = []
    extracts: list[float] = []
    runs: list[dict[str, Any]] = []
    with (
        bare_runner(pages, parallel) as bare_once,
        pipeline_runner(
            pages,
            inputs,
            redis_url,
            threads,
            args.processes,
            args.log_level.upper(),
            args.timeout,
            args.cleaners,
        ) as pipeline_once,
    ):
        for n in range(args.repeat):
            err.print(f"run {n + 1}/{args.repeat}")
            for side in ("bare", "pipeline") if n % 2 == 0 else ("pipeline", "bare"):
                if side == "bare":
                    total_s, extract_s = bare_once()
                    totals.append(total_s)
                    extracts.append(extract_s)
                else:
                    runs.append(pipeline_once())
    best = min(runs, key=lambda r: r["seconds"])
    bare = {
        "runs_s": totals,
        "extract_runs_s": extracts,
        "best_s": min(totals),
        "best_extract_s": min(extracts),
    }
    pipe = {
        "runs_s": [r["seconds"] for r in runs],
        # each repeat's bare run and pipeline run were taken one after the other: their ratio is
        # the least disturbed by a change in the machine's load; the median of those, beside the best
        "paired_ratios": [b / r["seconds"] for b, r in zip(totals, runs, strict=True)],
        "best_s": best["seconds"],
        "summary": best["summary"],
        "problems": best["problems"],
    }
    return bare, pipe


def measure_threads(
    args: argparse.Namespace,
    threads: int,
    pages: list[Path],
    inputs: list[Path],
    redis_url: str | None,
    load: float,
) -> dict[str, Any]:
    """Bare over N processes and the pipeline with N cleaning processes (N = cleaners x processes);
    prints their table and returns the figures."""
    cleaners = cleaners_of(args, threads)
    parallel = cleaners * max(1, args.processes)  # cleaning processes on the pipeline's side
    cores = max(1, min(parallel, os.cpu_count() or 1))
    bare, pipe = measure(args, threads, pages, inputs, redis_url, parallel)

    n = len(pages)
    bare_per_s = n / bare["best_s"]
    extract_per_s = n / bare["best_extract_s"]
    pipeline_per_s = n / pipe["best_s"]
    ratio = pipeline_per_s / bare_per_s  # same N on both sides: the per-core ratio
    workers_desc = (
        f"{args.processes} processes × {threads} threads, {cleaners} cleaners each"
        if args.processes
        else f"{threads} threads, {cleaners} cleaners, in-process"
    )

    def runs(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    table = Table(
        title=f"replay throughput: {n} pages, best of {args.repeat}, {parallel} cleaning process(es) a side"
        f" on {cores} core(s) (load average at start {load:.2f})"
    )
    for col, just in (
        ("mode", "left"),
        ("pages", "right"),
        ("seconds", "right"),
        ("articles/s", "right"),
        ("per core", "right"),
        ("runs (s)", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    table.add_row(
        f"bare: read + gunzip + decode_html + extract(), {parallel} process(es)",
        str(n),
        f"{bare['best_s']:.2f}",
        f"{bare_per_s:.1f}",
        f"{bare_per_s / cores:.1f}",
        runs(bare["runs_s"]),
    )
    table.add_row(
        "  of which extract() alone",
        str(n),
        f"{bare['best_extract_s']:.2f}",
        f"{extract_per_s:.1f}",
        f"{extract_per_s / cores:.1f}",
        runs(bare["extract_runs_s"]),
    )
    table.add_row(
        f"pipeline: replay() incl. read + gunzip + decode, {workers_desc}",
        str(n),
        f"{pipe['best_s']:.2f}",
        f"{pipeline_per_s:.1f}",
        f"{pipeline_per_s / cores:.1f}",
        runs(pipe["runs_s"]),
    )
    style = "green" if ratio >= TARGET_RATIO else "red"
    table.add_row(
        f"[{style}]per-core ratio pipeline / bare (target >= {TARGET_RATIO})[/]",
        "",
        "",
        "",
        f"[{style}]{ratio:.2f}[/]",
        f"vs extract() alone: {pipeline_per_s / extract_per_s:.2f}",
    )
    table.add_row(
        "  median of the per-repeat ratios (bare and pipeline taken one after the other)",
        "",
        "",
        "",
        f"{statistics.median(pipe['paired_ratios']):.2f}",
        runs(pipe["paired_ratios"]),
    )
    out.print(table)

    summary = pipe["summary"]
    out.print(summary_table(summary, f"replay summary (best run {summary['run_id']})"))
    for where, problem in pipe["problems"][:10]:
        err.print(f"[yellow]{where}[/]: {problem}", highlight=False)
    if len(pipe["problems"]) > 10:
        err.print(f"... and {len(pipe['problems']) - 10} more problems")

    return {
        "bare_per_s": round(bare_per_s, 3),
        "pipeline_per_s": round(pipeline_per_s, 3),
        "pages": n,
        "threads": threads,
        "processes": args.processes,
        "cleaners": cleaners,
        "cleaning_processes": parallel,
        "cores": cores,
        "per_core_ratio": round(ratio, 4),
        "paired_median_ratio": round(statistics.median(pipe["paired_ratios"]), 4),
        "summary": summary,
        "bare_extract_only_per_s": round(extract_per_s, 3),
        "ratio_vs_extract_only": round(pipeline_per_s / extract_per_s, 4),
        "bare_runs_s": bare["runs_s"],
        "bare_extract_runs_s": bare["extract_runs_s"],
        "pipeline_runs_s": pipe["runs_s"],
        "pipeline_median_s": statistics.median(pipe["runs_s"]),
        "repeat": args.repeat,
        "redis": "server" if redis_url else "embedded",
        "load_average": load,
        "label": workers_desc,
    }


# --- main ------------------------------------------------------------------------------------------


def _stop_on_sigterm() -> None:
    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally blocks: workers stopped, keys deleted

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = args.pages or Path(os.environ.get("NEWSWATCH_BENCH_PAGES") or DEFAULT_PAGES)
    if not folder.is_dir():
        print(f"pages not found at {folder}; nothing to measure")
        return 0
    pages = find_pages(folder, args.limit)
    if not pages:
        print(f"no .html or .html.gz pages in {folder}; nothing to measure")
        return 0
    _stop_on_sigterm()

    from workers import logs

    logs.configure(args.log_level.upper())
    url = args.redis_url or os.environ.get("NEWSWATCH_REDIS_URL") or DEFAULT_REDIS_URL
    redis_url: str | None = url if redis_answers(url) else None
    if redis_url is None:
        err.print(f"[yellow]no Redis answers at {url}: using the embedded Redis in a temporary folder[/]")
    # all of the folder, as the brief and `newswatch replay` do it; with --limit, the chosen files
    inputs = [folder] if args.limit is None or len(pages) == len(find_pages(folder, None)) else pages
    load = os.getloadavg()[0]
    err.print(f"{len(pages)} pages from {folder}; {os.cpu_count()} CPUs, load average {load:.2f}")

    results = [measure_threads(args, threads, pages, inputs, redis_url, load) for threads in args.threads]
    ratios = Table(
        title="per-core throughput, pipeline / bare trafilatura (same number of cleaning processes)"
    )
    ratios.add_column("pipeline", justify="left")
    ratios.add_column("bare", justify="left")
    ratios.add_column("per-core ratio", justify="right")
    for r in results:
        style = "green" if r["per_core_ratio"] >= TARGET_RATIO else "red"
        ratios.add_row(
            r["label"], f"{r['cleaning_processes']} process(es)", f"[{style}]{r['per_core_ratio']:.2f}[/]"
        )
    out.print(ratios)
    if args.json:
        sys.stdout.write(
            json.dumps(
                {
                    "per_core_ratios": {str(r["threads"]): r["per_core_ratio"] for r in results},
                    "target": TARGET_RATIO,
                    "runs": [{k: v for k, v in r.items() if k != "label"} for r in results],
                }
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
