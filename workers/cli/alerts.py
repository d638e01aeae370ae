"""``newswatch alerts list|retry|test`` and ``newswatch serve``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from pipeline.models import Alert
from workers import alerting, notify
from workers.app import App
from workers.cli.common import command_settings, err, out, print_json

alerts_app = typer.Typer(help="Alerts, their delivery, the dead-letter list.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
    app.command()(serve)


def alert_json(nw: App, alert: Alert) -> dict[str, Any]:
    data: dict[str, Any] = notify.payload(nw, alert)["data"]
    data["delivery"] = alerting.delivery(nw, alert.key)
    return data


def _state(dest: str, state: dict[str, Any]) -> str:
    error = f" ({state['error']})" if state["state"] != "delivered" and state["error"] else ""
    return f"{dest}: {state['state']}{error}"


@alerts_app.command("list")
def list_alerts(
    limit: Annotated[int, typer.Option(min=1)] = 50,
    dead: Annotated[bool, typer.Option("--dead", help="only alerts with a dead-lettered delivery")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON alert a line")] = False,
) -> None:
    """Alerts, newest first, with their sources and delivery state per destination."""
    with App.open(command_settings()) as nw:
        if dead:
            keys = list(dict.fromkeys(k for k, _ in alerting.dead_letters(nw)))
            found = [a for a in (alerting.get(nw, k) for k in keys[-limit:]) if a is not None]
        else:
            found = alerting.recent(nw, limit)
        rows = [alert_json(nw, a) for a in found]
    if as_json:
        for row in rows:
            print_json(row)
        return
    table = Table(title=f"{len(rows)} alerts")
    for col in ("alert", "raised", "rule", "event", "title", "sources", "delivery"):
        table.add_column(col, overflow="fold")
    for row in rows:
        kind = row["event_type"] + (f" · {row['status']}" if row["status"] else "")
        table.add_row(
            row["id"][:10],
            row["created_at"][:16].replace("T", " "),
            row["rule"],
            kind,
            row["title"] or "",
            ", ".join(sorted({s["source"] for s in row["sources"]})),
            ", ".join(_state(d, s) for d, s in sorted(row["delivery"].items())),
        )
    out.print(table)


@alerts_app.command("retry")
def retry(
    key: Annotated[str | None, typer.Argument(help="only this alert (its key, or the start of it)")] = None,
    pending: Annotated[
        bool, typer.Option("--pending", help="also resend deliveries still pending or retrying")
    ] = False,
) -> None:
    """Resend dead-lettered deliveries (a worker sends them: `newswatch worker` or `run`)."""
    with App.open(command_settings()) as nw:
        pairs = alerting.dead_letters(nw)
        if pending:
            pairs += notify.undelivered(nw)
        if key:
            pairs = [p for p in pairs if p[0].startswith(key)]
        n = notify.retry(nw, list(dict.fromkeys(pairs)))
    out.print(f"{n} deliveries queued again")


@alerts_app.command("test")
def test(rule: Annotated[str, typer.Argument(help="a rule's name in alerts.toml")]) -> None:
    """Send a sample alert to each destination of a rule, now, and say how each went."""
    with App.open(command_settings()) as nw:
        if rule not in {r.name for r in nw.config.alerts.rules}:
            err.print(f"no rule {rule!r} in alerts.toml")
            raise typer.Exit(2)
        results = notify.test_rule(nw, rule)
    failed = False
    for dest, result in results.items():
        ok = result.startswith("ok")
        failed |= not ok
        out.print(f"{dest}: {'[green]' if ok else '[red]'}{result}[/]", highlight=False)
    if failed:
        raise typer.Exit(1)


def serve(
    host: Annotated[str, typer.Option(help="address to listen on (beyond loopback: NEWSWATCH_API_TOKEN)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=0, max=65535, help="port (0: any free one)")] = 8475,
) -> None:
    """Serve the dashboard, the JSON API (/api/v1), /metrics, /healthz and the alerts' Atom feed."""
    from workers.web.auth import UnsafeBind
    from workers.web.server import run

    def listening(url: str) -> None:
        err.print(f"newswatch serving {url}/ (API: {url}/api/v1, metrics: {url}/metrics; Ctrl-C stops)")

    with App.open(command_settings()) as nw:
        try:
            run(nw, host, port, on_listening=listening)
        except UnsafeBind as exc:
            err.print(f"[red]not started[/]: {exc}")
            raise typer.Exit(2) from None
        except OSError as exc:
            err.print(f"[red]not started[/]: cannot listen on {host}:{port}: {exc.strerror or exc}")
            raise typer.Exit(2) from None
