"""The ``newswatch`` command."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from pipeline.entities import slug
from pipeline.models import Record
from workers.app import App
from workers.cases import case_record_ids, get_case
from workers.cli import alerts, cases, extract, feeds
from workers.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    command_settings,
    err,
    guarded,
    out,
    print_json,
    stop_signals,
)
from workers.tables import published_label, records_table, summary_table

# How long `replay --alerts` with its own workers waits, past the last item, for alert deliveries
# that have not been tried yet (plus NEWSWATCH_ALERT_HOLD_S and one HTTP deadline).
REPLAY_ALERT_WAIT_S = 60.0

app = typer.Typer(
    help="Watch one subject in the news: poll, clean, deduplicate, enrich, store, alert.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def record_json(record: Record, app: App | None = None) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    if app is not None and record.dedup.status not in ("duplicate", "near_duplicate"):
        data["also_published_by"] = [
            {"id": c.id, "source": c.source, "url": c.url} for c in app.store.copies(record.id)
        ]
    return data


@app.command()
def worker(
    threads: Annotated[
        int | None, typer.Option(help="worker threads (default NEWSWATCH_WORKER_THREADS)")
    ] = None,
) -> None:
    """Only workers: process whatever the pollers and replays enqueue on this Redis."""
    from workers.runner import workers

    with stop_signals() as stop, App.open(command_settings()) as nw, workers(nw, threads=threads):
        err.print(f"newswatch worker running on {', '.join(nw.queues())} (Ctrl-C stops)")
        stop.wait()


@app.command()
def replay(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="JSONL files, folders of .html files, WARC files")
    ] = None,
    alerts: Annotated[bool, typer.Option("--alerts", help="fire alerts (off by default)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="a JSON summary as the last line")] = False,
    threads: Annotated[
        int, typer.Option(help="worker threads in this process (0: only external workers)")
    ] = 2,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="run again the items that failed (newswatch errors)")
    ] = False,
) -> None:
    """Replay a backlog through the same stages as live polling; idempotent."""
    from workers.replay import failed_items
    from workers.replay import replay as do_replay
    from workers.runner import workers

    paths = paths or []
    if not paths and not retry_errors:
        err.print("[red]error[/]: give the files to replay, or --retry-errors", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    missing = [p for p in paths if not p.exists()]
    if missing:  # a usage error, before anything is queued
        for path in missing:
            err.print(f"[red]error[/]: {path}: no such file or folder", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    settings = command_settings()
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

        items = list(failed_items(nw)) if retry_errors else None
        with progress:
            if threads > 0:
                with workers(nw, threads=threads, queues={"articles", "alerts"}):
                    # the alerts this process raised are each sent once before its workers stop
                    wait = REPLAY_ALERT_WAIT_S + settings.alert_hold_s + settings.http_timeout_s
                    result = do_replay(
                        nw, paths, alerts=alerts, progress=tick, items=items, wait_alerts_s=wait
                    )
            else:
                result = do_replay(nw, paths, alerts=alerts, progress=tick, items=items)
    for where, problem in result.problems:
        err.print(f"[yellow]{where}[/]: {problem}", highlight=False)
    summary = result.summary()
    if as_json:
        print_json(summary)
    else:
        out.print(summary_table(summary, f"replay {result.run_id}"))
    if result.alerts_waiting:
        err.print(f"{result.alerts_waiting} alert deliveries wait for a retry (newswatch alerts list)")
    if summary["errors"]:
        err.print(f"{summary['errors']} of {summary['read']} items failed (newswatch errors lists them)")
        raise typer.Exit(EXIT_FAILED)


@app.command()
def errors(
    since: Annotated[str | None, typer.Option(help="failed on or after (ISO date)")] = None,
    rejected: Annotated[bool, typer.Option("--rejected", help="items set aside, not failed")] = False,
    limit: Annotated[int, typer.Option(min=1)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
) -> None:
    """Items that failed (replayed lines, feed entries), newest first, with their reasons;
    `newswatch replay --retry-errors` runs them again."""
    with App.open(command_settings()) as nw:
        found = nw.store.failures(
            since=_since(since), outcome="rejected" if rejected else "error", limit=limit
        )
    if as_json:
        for failure in found:
            print_json(failure)
        return
    table = Table(title=f"{len(found)} {'rejected' if rejected else 'failed'} items")
    for col in ("at", "code", "where", "reason"):
        table.add_column(col, overflow="fold")
    for failure in found:
        table.add_row(
            failure["at"][:19], failure["code"], failure["where"] or failure["key"], failure["detail"]
        )
    out.print(table)


@app.command()
def show(
    id: Annotated[str, typer.Argument(help="record id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One record, with its copies and revision history."""
    with App.open(command_settings()) as nw:
        record = nw.store.get(id)
        if record is None:
            case_found = get_case(nw, id)
            if case_found is None:
                err.print(f"no record or case {id}")
                raise typer.Exit(1)
            if as_json:
                print_json(cases.case_json(case_found))
            else:
                cases.print_case(case_found)
            return
        data = record_json(record, nw)
        data["history"] = [
            {"revision": h.revision, "stored_at": h.stored_at.isoformat(), "title": h.title}
            for h in nw.store.history(id)
        ]
    if as_json:
        print_json(data)
        return
    out.print(
        f"[bold]{record.title or '(no title)'}[/]\n{record.url}\n{record.source} · "
        f"{published_label(record, full=True)} · {record.dedup.status} · {record.relevance_reason}\n"
    )
    for warning in record.warnings:
        out.print(f"[yellow]warning[/]: {warning}")
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
    story: Annotated[
        str | None, typer.Option(help="only the records (copies included) of this story")
    ] = None,
    entity: Annotated[str | None, typer.Option(help="only records naming this person, place or body")] = None,
    case: Annotated[str | None, typer.Option(help="only the records reporting this detention case")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON record a line")] = False,
) -> None:
    """Records, newest first."""
    with App.open(command_settings()) as nw:
        case_ids = case_record_ids(nw, case) if case else None
        found = list(
            nw.store.search(
                text=text,
                source=source,
                since=_since(since),
                on_topic=on_topic,
                event=event,
                story=story,
                entity=slug(entity) if entity else None,
                case_ids=case_ids,
                limit=limit,
            )
        )
    if as_json:
        for rec in found:
            print_json(record_json(rec))
        return
    out.print(records_table(found, title=f"{len(found)} records"))


@app.command()
def stories(
    since: Annotated[str | None, typer.Option(help="reported on or after (ISO date)")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON story a line")] = False,
) -> None:
    """Stories, most recent first: every article that reports one event, from every outlet."""
    with App.open(command_settings()) as nw:
        found = nw.store.stories(since=_since(since), limit=limit)
    if as_json:
        for story in found:
            print_json(story)
        return
    table = Table(title=f"{len(found)} stories")
    for col in ("story", "last seen", "title", "articles", "sources"):
        table.add_column(col, overflow="fold")
    for story in found:
        table.add_row(
            story["id"][:8],
            story["last_seen"][:10],
            story["title"] or "",
            str(len(story["articles"])),
            ", ".join(story["sources"]),
        )
    out.print(table)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What the store holds."""
    with App.open(command_settings()) as nw:
        data = nw.store.stats()
    if as_json:
        print_json(data)
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
    with App.open(command_settings()) as nw:
        nw.redis.ping()
    out.print("ok")


@app.command()
def demo(
    keep: Annotated[bool, typer.Option(help="keep serving the example site until Ctrl-C")] = False,
    serve: Annotated[bool, typer.Option("--serve", help="keep the dashboard up until Ctrl-C")] = False,
    port: Annotated[int, typer.Option(min=0, max=65535, help="the dashboard's port with --serve")] = 8476,
) -> None:
    """The main job, offline: serve an example news site, poll it, process it, show what was stored."""
    from workers.demo import run_demo

    settings = command_settings(log_level="WARNING")
    run_demo(settings, console=out, keep=keep, serve=serve, port=port)


feeds.register(app)
cases.register(app)
alerts.register(app)
extract.register(app)


def main() -> None:
    # the one error boundary: known failures end as one line and an exit code (common.EXIT_*)
    guarded(app)
