"""`newswatch run`, `poll` and `feeds ...`: continuous monitoring and the feeds' health."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from workers.app import App
from workers.cli_common import command_settings, err, out, print_json, wait_for_signal

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
    from workers.poller import enqueue_due, sync_feeds
    from workers.runner import PollLoop, drain, workers

    settings = command_settings()
    with App.open(settings) as nw, workers(nw, threads=threads):
        if once:
            sync_feeds(nw)
            polled = enqueue_due(nw, force=True)
            drain(nw)
            summary = feeds_summary(nw, polled)
            if as_json:
                print_json(summary)
            else:
                out.print(summary)
            return
        loop = PollLoop(nw)
        loop.start()
        err.print("newswatch running: polling feeds and processing articles (Ctrl-C stops)")
        wait_for_signal()
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


def poll() -> None:
    """Only the poller: enqueue due feeds for workers elsewhere (scale out with many `worker`s)."""
    from workers.runner import PollLoop

    with App.open(command_settings()) as nw:
        loop = PollLoop(nw)
        loop.start()
        err.print("newswatch poller running (Ctrl-C stops)")
        wait_for_signal()
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
