"""The ``newswatch`` command."""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from config.settings import Settings, load_settings
from pipeline.errors import ConfigError
from pipeline.models import Record
from workers import logs
from workers.app import App

app = typer.Typer(
    help="Watch one subject in the news: poll, clean, deduplicate, enrich, store, alert.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
feeds_app = typer.Typer(help="The feeds newswatch polls, and their health.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def _settings(**overrides: Any) -> Settings:
    settings = load_settings(**overrides)
    logs.configure(settings.log_level, json_lines=settings.log_json)
    return settings


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def record_json(record: Record, app: App | None = None) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    if app is not None and record.dedup.status not in ("duplicate", "near_duplicate"):
        data["also_published_by"] = [
            {"id": c.id, "source": c.source, "url": c.url} for c in app.store.copies(record.id)
        ]
    return data


@app.command()
def run(
    once: Annotated[
        bool, typer.Option("--once", help="poll every enabled feed now, drain the work, exit")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="with --once: a JSON summary as the last line")
    ] = False,
    threads: Annotated[
        int | None, typer.Option(help="worker threads (default NEWSWATCH_WORKER_THREADS)")
    ] = None,
) -> None:
    """Poller and workers in one process: the way to run newswatch small (embedded Redis by default)."""
    from workers.poller import enqueue_due, sync_feeds
    from workers.runner import PollLoop, drain, workers

    settings = _settings()
    with App.open(settings) as nw, workers(nw, threads=threads):
        if once:
            sync_feeds(nw)
            polled = enqueue_due(nw, force=True)
            drain(nw)
            summary = feeds_summary(nw, polled)
            if as_json:
                _print_json(summary)
            else:
                out.print(summary)
            return
        loop = PollLoop(nw)
        loop.start()
        err.print("newswatch running: polling feeds and processing articles (Ctrl-C stops)")
        _wait_for_signal()
        loop.stop()


def feeds_summary(nw: App, polled: list[str]) -> dict[str, Any]:
    health = feed_health(nw)
    polled_set = set(polled)
    per_feed = [h for h in health if h["id"] in polled_set]
    return {
        "feeds": len(health),
        "polled": len(per_feed),
        "not_modified": sum(1 for h in per_feed if h["last_status"] == "not_modified"),
        "failed": sum(1 for h in per_feed if h["last_status"] == "error"),
        "records": nw.store.stats()["records"],
        "per_feed": per_feed,
    }


def feed_health(nw: App) -> list[dict[str, Any]]:
    rows = []
    for feed in nw.config.feeds.feeds:
        state = dict(nw.redis.hgetall(nw.store.k("feed", feed.id)))
        rows.append(
            {
                "id": feed.id,
                "name": feed.name,
                "url": feed.url,
                "enabled": feed.enabled,
                "last_poll": state.get("last_poll"),
                "last_status": state.get("last_status", "never polled"),
                "consecutive_errors": int(state.get("consecutive_errors", 0)),
                "next_poll": state.get("next_poll"),
                "entries_seen": int(state.get("entries_seen", 0)),
                "last_error": state.get("last_error") or None,
                "last_problem": state.get("last_problem") or None,
            }
        )
    return rows


@app.command()
def poll() -> None:
    """Only the poller: enqueue due feeds for workers elsewhere (scale out with many `worker`s)."""
    from workers.runner import PollLoop

    with App.open(_settings()) as nw:
        loop = PollLoop(nw)
        loop.start()
        err.print("newswatch poller running (Ctrl-C stops)")
        _wait_for_signal()
        loop.stop()


@app.command()
def worker(
    threads: Annotated[
        int | None, typer.Option(help="worker threads (default NEWSWATCH_WORKER_THREADS)")
    ] = None,
) -> None:
    """Only workers: process whatever the pollers and replays enqueue on this Redis."""
    from workers.runner import workers

    with App.open(_settings()) as nw, workers(nw, threads=threads):
        err.print(f"newswatch worker running on {', '.join(nw.queues())} (Ctrl-C stops)")
        _wait_for_signal()


@app.command()
def replay(
    paths: Annotated[list[Path], typer.Argument(help="JSONL files, folders of .html files, WARC files")],
    alerts: Annotated[bool, typer.Option("--alerts", help="fire alerts (off by default)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="a JSON summary as the last line")] = False,
    threads: Annotated[
        int, typer.Option(help="worker threads in this process (0: only external workers)")
    ] = 2,
) -> None:
    """Replay a backlog through the same stages as live polling; idempotent."""
    from workers.replay import replay as do_replay
    from workers.runner import workers

    settings = _settings()
    with App.open(settings) as nw:
        progress = Progress(
            TextColumn("replay"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not err.is_terminal,
            transient=False,
        )
        task = progress.add_task("replay", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with progress:
            if threads > 0:
                with workers(nw, threads=threads, queues={"articles", "alerts"}):
                    result = do_replay(nw, paths, alerts=alerts, progress=tick)
            else:
                result = do_replay(nw, paths, alerts=alerts, progress=tick)
    for where, problem in result.problems:
        err.print(f"[yellow]{where}[/]: {problem}", highlight=False)
    summary = result.summary()
    if as_json:
        _print_json(summary)
    else:
        table = Table(title=f"replay {result.run_id}")
        for key in summary:
            if key != "run_id":
                table.add_column(key, justify="right")
        table.add_row(*(str(v) for k, v in summary.items() if k != "run_id"))
        out.print(table)


@app.command()
def show(
    id: Annotated[str, typer.Argument(help="record id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One record, with its copies and revision history."""
    with App.open(_settings()) as nw:
        record = nw.store.get(id)
        if record is None:
            err.print(f"no record {id}")
            raise typer.Exit(1)
        data = record_json(record, nw)
        data["history"] = [
            {"revision": h.revision, "stored_at": h.stored_at.isoformat(), "title": h.title}
            for h in nw.store.history(id)
        ]
    if as_json:
        _print_json(data)
        return
    out.print(
        f"[bold]{record.title or '(no title)'}[/]\n{record.url}\n{record.source} · "
        f"{record.published_at or 'undated'} · {record.dedup.status} · {record.relevance_reason}\n"
    )
    for event in record.events:
        out.print(f"[cyan]{event.type}[/]: {event.evidence}")
    out.print("\n" + record.text)


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date: {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@app.command()
def search(
    text: Annotated[str | None, typer.Option(help="words that must appear (case-insensitive)")] = None,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    since: Annotated[str | None, typer.Option(help="published on or after (ISO date)")] = None,
    on_topic: Annotated[bool, typer.Option("--on-topic", help="only records on the subject")] = False,
    event: Annotated[str | None, typer.Option(help="only records reporting this event type")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON record a line")] = False,
) -> None:
    """Records, newest first."""
    with App.open(_settings()) as nw:
        found = list(
            nw.store.search(
                text=text, source=source, since=_since(since), on_topic=on_topic, event=event, limit=limit
            )
        )
    if as_json:
        for rec in found:
            _print_json(record_json(rec))
        return
    out.print(records_table(found, title=f"{len(found)} records"))


def records_table(records: list[Record], *, title: str, alerts: dict[str, list[str]] | None = None) -> Table:
    table = Table(title=title, show_lines=False)
    for col in ("id", "source", "published", "title", "status", "rel.", "events"):
        table.add_column(col, overflow="fold")
    if alerts is not None:
        table.add_column("would alert")
    for rec in records:
        status: str = rec.dedup.status if rec.on_topic or rec.dedup.status != "unique" else "off-topic"
        if rec.dedup.duplicate_of and rec.dedup.status in ("duplicate", "near_duplicate"):
            status += f" of {rec.dedup.duplicate_of[:8]}"
        row = [
            rec.id[:8],
            rec.source,
            rec.published_at.date().isoformat() if rec.published_at else "",
            (rec.title or "")[:60],
            status,
            f"{rec.relevance:.2f}",
            ", ".join(e.type for e in rec.events),
        ]
        if alerts is not None:
            row.append(", ".join(alerts.get(rec.id, [])))
        table.add_row(*row)
    return table


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What the store holds."""
    with App.open(_settings()) as nw:
        data = nw.store.stats()
    if as_json:
        _print_json(data)
    else:
        table = Table(title="newswatch")
        table.add_column("what")
        table.add_column("count", justify="right")
        for key, value in data.items():
            table.add_row(key, str(value))
        out.print(table)


@app.command()
def ping() -> None:
    """Exit 0 when the configuration loads and Redis answers (a container healthcheck)."""
    with App.open(_settings()) as nw:
        nw.redis.ping()
    out.print("ok")


@feeds_app.command("list")
def feeds_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Each feed's health: last poll, last status, errors, next poll, entries seen, last error."""
    with App.open(_settings()) as nw:
        rows = feed_health(nw)
    if as_json:
        _print_json(rows)
        return
    table = Table(title="feeds")
    for col in ("name", "status", "errors", "last poll", "next poll", "entries", "last error"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(
            row["name"],
            row["last_status"],
            str(row["consecutive_errors"]),
            row["last_poll"] or "",
            row["next_poll"] or "",
            str(row["entries_seen"]),
            row["last_error"] or "",
        )
    out.print(table)


@app.command()
def demo(
    keep: Annotated[bool, typer.Option(help="keep serving the example site until Ctrl-C")] = False,
) -> None:
    """The main job, offline: serve an example news site, poll it, process it, show what was stored."""
    from workers.demo import run_demo

    settings = _settings(log_level="WARNING")
    run_demo(settings, console=out, keep=keep)


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        err.print(f"[red]configuration error[/]: {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
