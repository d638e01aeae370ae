"""Records in a terminal: the rich table of ``newswatch search`` and of the demo, and their labels."""

from __future__ import annotations

from rich.table import Table

from pipeline.models import Record


def published_label(rec: Record, *, full: bool = False) -> str:
    """The publication date as precise as its source gave it: 2024-03-12, 2024-03 or 2024."""
    if rec.published_at is None:
        return "undated" if full else ""
    if rec.published_precision == "year":
        return f"{rec.published_at:%Y}"
    if rec.published_precision == "month":
        return f"{rec.published_at:%Y-%m}"
    return rec.published_at.isoformat() if full else rec.published_at.date().isoformat()


def record_status(rec: Record) -> str:
    """A record's state in a few words: new, off-topic, revised, or a copy of which record."""
    if rec.dedup.status in ("duplicate", "near_duplicate") and rec.dedup.duplicate_of:
        kind = "copy" if rec.dedup.status == "duplicate" else "near copy"
        return f"{kind} of {rec.dedup.duplicate_of[:8]}"
    if not rec.on_topic:
        return "off-topic"
    return "revised" if rec.dedup.status == "revision" else "new"


def records_table(records: list[Record], *, title: str, alerts: dict[str, list[str]] | None = None) -> Table:
    table = Table(title=title, show_lines=False)
    table.add_column("id", no_wrap=True)
    table.add_column("source", no_wrap=True)
    table.add_column("published", no_wrap=True)
    table.add_column("title", min_width=36, ratio=3)
    table.add_column("status", no_wrap=True)
    table.add_column("rel.", justify="right")
    table.add_column("events", ratio=2)
    if alerts is not None:
        table.add_column("would alert", ratio=1)
    for rec in records:
        row = [
            rec.id[:8],
            rec.source,
            published_label(rec),
            rec.title or "",
            record_status(rec),
            f"{rec.relevance:.2f}",
            ", ".join(dict.fromkeys(e.type for e in rec.events)),
        ]
        if alerts is not None:
            row.append(", ".join(alerts.get(rec.id, [])))
        table.add_row(*row)
    return table


def summary_table(summary: dict[str, object], title: str) -> Table:
    """A replay's outcome counts as one row, a column per outcome (the run id is in the title)."""
    table = Table(title=title)
    counts = {k: v for k, v in summary.items() if k != "run_id"}
    for key in counts:
        table.add_column(key, justify="right")
    table.add_row(*(str(v) for v in counts.values()))
    return table
