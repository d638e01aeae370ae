"""`newswatch run`, `poll` and `feeds ...`: continuous monitoring and the feeds' health."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pipeline.errors import ConfigError, PipelineError
from workers.app import App
from workers.cli.common import EXIT_FAILED, command_settings, err, out, print_json, stop_signals
from workers.feed_health import feed_health, feeds_summary

feeds_app = typer.Typer(help="The feeds newswatch polls, and their health.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(poll)
    app.add_typer(feeds_app, name="feeds")


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
    from workers.runner import PollLoop, workers

    settings = command_settings()
    with stop_signals(active=not once) as stop, App.open(settings) as nw, workers(nw, threads=threads):
        if once:
            summary = run_once(nw)
            if as_json:
                print_json(summary)
            else:
                print_summary(summary)
            errors = sum(row["outcomes"].get("error", 0) for row in summary["per_feed"])
            if summary["failed"] or errors:
                err.print(f"{summary['failed']} feeds failed, {errors} entries failed")
                raise typer.Exit(EXIT_FAILED)
            return
        loop = PollLoop(nw)
        loop.start()
        err.print("newswatch running: polling feeds and processing articles (Ctrl-C stops)")
        stop.wait()
        loop.stop()


# Under `run --once`, a transient failure (a host that does not resolve or answers 5xx) is retried
# for at most this long after its message was sent, then recorded as an error: a round for cron
# ends in about a minute, not after NEWSWATCH_MAX_RETRIES retries spread over an hour.
ONCE_RETRY_BUDGET_S = 30.0


def run_once(nw: App, *, timeout_s: float = 600) -> dict[str, Any]:
    """Poll every enabled feed now (Retry-After and backoff still hold), drain the work, summarise."""
    from workers.poller import enqueue_due, sync_feeds
    from workers.runner import drain

    nw.retry_budget_s = ONCE_RETRY_BUDGET_S
    sync_feeds(nw)
    polled = enqueue_due(nw, force=True)
    drain(nw, timeout_s=timeout_s)
    return feeds_summary(nw, polled)


def print_summary(summary: dict[str, Any]) -> None:
    table = Table(title="one round")
    for col in ("feed", "status", "new", "skipped", "stored", "problem or error"):
        table.add_column(col, overflow="fold")
    for row in summary["per_feed"]:
        table.add_row(
            row["name"],
            row["status"],
            str(row["entries_new"]),
            str(row["entries_skipped"]),
            str(row["outcomes"].get("stored", 0)),
            row["error"] or row["problem"] or "",
        )
    out.print(table)
    out.print(
        f"{summary['polled']} of {summary['feeds']} feeds polled ({summary['not_modified']} not modified, "
        f"{summary['failed']} failed, {summary['held']} held back); {summary['entries_new']} new entries, "
        f"{summary['entries_skipped']} skipped as off-topic, {summary['stored']} stored."
    )


def poll() -> None:
    """Only the poller: enqueue due feeds for workers elsewhere (scale out with many `worker`s)."""
    from workers.runner import PollLoop

    with stop_signals() as stop, App.open(command_settings()) as nw:
        loop = PollLoop(nw)
        loop.start()
        err.print("newswatch poller running (Ctrl-C stops)")
        stop.wait()
        loop.stop()


@feeds_app.command("list")
def feeds_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Each feed's health: last poll, last status, errors, next poll, entries seen, last error."""
    with App.open(command_settings()) as nw:
        rows = feed_health(nw)
    if as_json:
        print_json(rows)
        return
    table = Table(title="feeds")
    for col in ("name", "status", "errors", "last poll", "next poll", "entries", "last error"):
        table.add_column(col, overflow="fold")
    for row in rows:
        status = "DISABLED" if row["disabled"] else row["last_status"]
        table.add_row(
            row["name"],
            status,
            str(row["consecutive_errors"]),
            row["last_poll"] or "",
            row["next_poll"] or "",
            str(row["entries_seen"]),
            row["last_error"] or row["last_problem"] or "",
        )
    out.print(table)


@feeds_app.command("enable")
def feeds_enable(
    feed_id: Annotated[str, typer.Argument(help="the feed's id (see `feeds list --json`)")],
) -> None:
    """Enable a feed that was disabled after failing for days: it is polled again at once."""
    from workers.poller import enable

    with App.open(command_settings()) as nw:
        if not enable(nw, feed_id):
            err.print(f"no feed with id {feed_id!r} in feeds.toml")
            raise typer.Exit(1)
    out.print(f"feed {feed_id} enabled")


@feeds_app.command("import")
def feeds_import(
    path: Annotated[Path, typer.Argument(help="an OPML file", exists=True, dir_okay=False)],
    to: Annotated[
        Path | None, typer.Option(help="the feeds.toml to add to (default: NEWSWATCH_CONFIG_DIR/feeds.toml)")
    ] = None,
    prefilter: Annotated[
        bool, typer.Option(help="skip clearly off-topic entries of these feeds before fetching")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Add the feeds of an OPML file to feeds.toml (feeds already there are left as they are)."""
    from config.feeds import FeedsFile
    from config.loader import load_file
    from workers.opml import read_opml, toml_tables

    settings = command_settings()
    target = to or settings.config_dir / "feeds.toml"
    try:
        found = read_opml(path.read_bytes(), prefilter=prefilter)
        current = load_file(target, FeedsFile) if target.exists() else FeedsFile()
    except (PipelineError, ConfigError) as exc:
        err.print(f"{path}: {exc}")
        raise typer.Exit(1) from None
    known = {f.id for f in current.feeds}
    new = [f for f in found if f.id not in known]
    if new:
        text = target.read_text(encoding="utf-8") if target.exists() else ""
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        target.write_text(text + sep + toml_tables(new), encoding="utf-8")
        load_file(target, FeedsFile)  # what we wrote must load
    result = {"file": str(target), "found": len(found), "added": len(new), "already": len(found) - len(new)}
    if as_json:
        print_json(result)
    else:
        out.print(f"{len(new)} feeds added to {target} ({len(found) - len(new)} were there already)")


@feeds_app.command("export")
def feeds_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here instead of stdout")
    ] = None,
) -> None:
    """The feeds of feeds.toml as OPML 2.0 (for other feed readers)."""
    from config.feeds import FeedsFile
    from config.loader import load_file
    from workers.opml import write_opml

    settings = command_settings()
    feeds = load_file(settings.config_dir / "feeds.toml", FeedsFile).feeds
    text = write_opml(feeds)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        import sys

        sys.stdout.write(text)
