"""Publication dates end to end: every form, through a JSONL replay and through a feed on a local
server, to the stored record with its precision, where it came from, and warnings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from config.schema import FeedConfig, FeedsFile
from config.settings import Settings
from pipeline.models import Record
from tests.conftest import synthetic_text
from tests.pipeline.test_dates import FORMS
from workers.app import App
from workers.poller import enqueue_due, sync_feeds
from workers.replay import replay
from workers.runner import drain, workers

MARCH_12 = datetime(2024, 3, 12, tzinfo=UTC)


def html_page(title: str, text: str) -> str:
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines())
    return (
        f"<html><head><title>{escape(title)}</title></head>"
        f"<body><article><h1>{escape(title)}</h1>{paragraphs}</article></body></html>"
    )


def by_url(app: App) -> dict[str, Record]:
    return {r.url: r for r in app.store.search(limit=500)}


def test_every_form_of_published_in_a_replay_gives_its_date_and_precision(nw: App, tmp_path: Path) -> None:
    lines = []
    for n, (written, _, _) in enumerate(FORMS):
        text = synthetic_text(500 + n)
        lines.append({"url": f"https://dates.example/text/{n}", "text": text, "published": written})
        page = synthetic_text(600 + n)
        lines.append(
            {
                "url": f"https://dates.example/page/{n}",
                "html": html_page(f"Page {n}", page),
                "published": written,
            }
        )
    backlog = tmp_path / "dates.jsonl"
    backlog.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    with workers(nw, threads=2, queues={"articles"}):
        summary = replay(nw, [backlog]).summary()
    assert summary["errors"] == summary["rejected"] == 0
    records = by_url(nw)
    assert len(records) == len(lines)
    for n, (written, moment, precision) in enumerate(FORMS):
        for kind in ("text", "page"):
            record = records[f"https://dates.example/{kind}/{n}"]
            got = (record.published_at, record.published_precision, record.field_sources["published_at"])
            assert got == (moment, precision, "input"), (kind, written)
            assert record.warnings == ()


def test_an_unreadable_published_is_a_warning_and_the_article_is_stored(nw: App, tmp_path: Path) -> None:
    lines = [
        {"url": "https://dates.example/a", "text": synthetic_text(701), "published": "sometime soon"},
        {
            "url": "https://dates.example/b",
            "html": html_page("B", synthetic_text(702)),
            "published": "2031-02-30",
        },
        {"url": "https://dates.example/c", "text": synthetic_text(703), "published": "3026-01-01"},
    ]
    backlog = tmp_path / "bad_dates.jsonl"
    backlog.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    with workers(nw, threads=2, queues={"articles"}):
        result = replay(nw, [backlog])
    assert result.summary()["errors"] == 0 and not result.problems
    records = by_url(nw)
    assert len(records) == 3
    a, b, c = (records[f"https://dates.example/{x}"] for x in "abc")
    assert a.warnings == ("published: cannot read 'sometime soon' as a date",)
    assert b.warnings == ("published: cannot read '2031-02-30' as a date",)
    assert c.warnings == ("published: '3026-01-01' is in the future",)
    for record in (a, b, c):  # nothing else gives a date: filed under the time it was read, and saying so
        assert record.published_at is None and record.field_sources["published_at"] == "fetched"
    shown = json.loads(a.model_dump_json())
    assert shown["warnings"] and shown["published_precision"] == "day"


def test_without_published_the_url_then_the_dateline_give_the_date(nw: App, tmp_path: Path) -> None:
    body = synthetic_text(801)
    lines = [
        {"url": "https://dates.example/world/2024/03/12/talks", "text": synthetic_text(802)},
        {"url": "https://dates.example/news/20240312/talks", "text": synthetic_text(803)},
        {"url": "https://dates.example/2024/03/talks", "text": synthetic_text(804)},
        {"url": "https://dates.example/d1", "text": "SEOUL, March 12, 2024 (Ledger) -- " + body},
        {"url": "https://dates.example/d2", "text": "МОСКВА, 12 марта 2024 — " + synthetic_text(805)},
        {"url": "https://dates.example/d3", "text": "2024년 3월 12일 서울 — " + synthetic_text(806)},
        # the URL gives the month and the year, the dateline the day
        {
            "url": "https://dates.example/2024/03/d4",
            "text": "SEOUL, March 12 (Ledger) -- " + synthetic_text(807),
        },
        # a yearless dateline in a replayed backlog, with no year anywhere: no date is guessed
        {"url": "https://dates.example/d5", "text": "SEOUL, March 12 (Ledger) -- " + synthetic_text(808)},
    ]
    backlog = tmp_path / "fallbacks.jsonl"
    backlog.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    with workers(nw, threads=2, queues={"articles"}):
        assert replay(nw, [backlog]).summary()["errors"] == 0
    got = {
        url.removeprefix("https://dates.example/"): (
            r.published_at,
            r.published_precision,
            r.field_sources["published_at"],
        )
        for url, r in by_url(nw).items()
    }
    assert got == {
        "world/2024/03/12/talks": (MARCH_12, "day", "url"),
        "news/20240312/talks": (MARCH_12, "day", "url"),
        "2024/03/talks": (datetime(2024, 3, 1, tzinfo=UTC), "month", "url"),
        "d1": (MARCH_12, "day", "dateline"),
        "d2": (MARCH_12, "day", "dateline"),
        "d3": (MARCH_12, "day", "dateline"),
        "2024/03/d4": (MARCH_12, "day", "dateline"),
        "d5": (None, "day", "fetched"),
    }


def serve_feed(server: HTTPServer, items: list[tuple[str, str | None, str]]) -> str:
    """An RSS feed of (path, pubDate, text) items and their pages, from a local server."""
    base = server.url_for("").rstrip("/")
    pages = {path: text for path, _, text in items}

    def handler(request: Request) -> Response:
        if request.path == "/rss.xml":
            entries = "".join(
                f"<item><title>Item {n}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
                + (f"<pubDate>{escape(when)}</pubDate>" if when is not None else "")
                + "</item>"
                for n, (path, when, _) in enumerate(items)
            )
            body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Dates</title>{entries}</channel></rss>'
            return Response(body.encode(), content_type="application/rss+xml; charset=utf-8")
        if request.path in pages:
            return Response(
                # no date in the page's markup: the title is the item's number, not its path
                html_page(f"Report {sorted(pages).index(request.path)}", pages[request.path]),
                content_type="text/html; charset=utf-8",
            )
        return Response("not found", status=404)

    server.expect_request("").respond_with_handler(handler)
    return base


def poll_once(settings: Settings, base: str) -> dict[str, Record]:
    with App.open(settings) as nw:
        nw.config = nw.config.model_copy(
            update={"feeds": FeedsFile(feeds=[FeedConfig(url=f"{base}/rss.xml", name="Dates")])}
        )
        with workers(nw, threads=2):
            sync_feeds(nw)
            enqueue_due(nw, force=True)
            drain(nw, timeout_s=240)
        return {r.url.removeprefix(base): r for r in nw.store.search(limit=500)}


def test_every_form_of_a_feeds_date_gives_its_date_and_precision(
    settings: Settings, httpserver: HTTPServer
) -> None:
    items: list[tuple[str, str | None, str]] = [
        (f"/item/{n}", str(written), synthetic_text(900 + n)) for n, (written, _, _) in enumerate(FORMS)
    ]
    items.append(("/item/unreadable", "sometime soon", synthetic_text(950)))
    base = serve_feed(httpserver, items)
    records = poll_once(settings, base)
    assert len(records) == len(items)
    for n, (written, moment, precision) in enumerate(FORMS):
        record = records[f"/item/{n}"]
        got = (record.published_at, record.published_precision, record.field_sources["published_at"])
        assert got == (moment, precision, "feed"), written
        assert record.warnings == ()
    unreadable = records["/item/unreadable"]
    assert unreadable.warnings == ("published: cannot read 'sometime soon' as a date",)
    assert unreadable.published_at is None and unreadable.field_sources["published_at"] == "fetched"


def test_a_feed_entry_without_a_date_is_dated_by_its_url_or_its_dateline(
    settings: Settings, httpserver: HTTPServer
) -> None:
    today = datetime.now(UTC)
    items: list[tuple[str, str | None, str]] = [
        ("/world/2024/03/12/talks", None, synthetic_text(960)),
        ("/d1", None, "МОСКВА, 12 марта 2024 — " + synthetic_text(961)),
        # fetched live from a feed: a dateline without a year is this year's (or last year's, if later)
        ("/d2", None, "SEOUL, March 12 (Ledger) -- " + synthetic_text(962)),
        ("/none", None, synthetic_text(963)),
    ]
    base = serve_feed(httpserver, items)
    records = poll_once(settings, base)
    live_year = today.year if (today.month, today.day) >= (3, 12) else today.year - 1
    got = {path: (r.published_at, r.field_sources["published_at"]) for path, r in records.items()}
    assert got["/world/2024/03/12/talks"] == (MARCH_12, "url")
    assert got["/d1"] == (MARCH_12, "dateline")
    assert got["/d2"] == (datetime(live_year, 3, 12, tzinfo=UTC), "dateline")
    assert got["/none"] == (None, "fetched")
    assert records["/none"].fetched_at >= today.replace(microsecond=0)


def replay_seed_reports(app: App, tmp_path: Path, second_published: str) -> tuple[Record, Record]:
    """The wire's report of an arrest (dated 13 March), then the ledger's report of it, dated as given."""
    from tests.workers.test_stories import seed_backlog

    lines = [json.loads(line) for line in seed_backlog(tmp_path).read_text().splitlines()]
    wire, ledger = (next(x for x in lines if x["source"] == s) for s in ("wire.example", "ledger.example"))
    ledger["published"] = second_published
    with workers(app, threads=2, queues={"articles"}):
        for n, line in enumerate((wire, ledger)):
            (tmp_path / f"{n}.jsonl").write_text(json.dumps(line) + "\n")
            assert replay(app, [tmp_path / f"{n}.jsonl"]).summary()["stored"] == 1
    records = {r.source: r for r in app.store.search(limit=10)}
    return records["wire.example"], records["ledger.example"]


def test_a_month_precise_report_joins_a_story_from_any_day_of_its_month(nw: App, tmp_path: Path) -> None:
    wire, ledger = replay_seed_reports(nw, tmp_path, "2024-03")
    assert ledger.published_precision == "month"
    assert wire.story_id is not None and ledger.story_id == wire.story_id


def test_a_day_precise_report_twelve_days_later_starts_its_own_story(nw: App, tmp_path: Path) -> None:
    wire, ledger = replay_seed_reports(nw, tmp_path, "2024-03-25")
    assert ledger.published_precision == "day"
    assert wire.story_id is not None and ledger.story_id != wire.story_id


def test_records_stored_before_precision_and_warnings_existed_still_read(nw: App, tmp_path: Path) -> None:
    backlog = tmp_path / "one.jsonl"
    line = {"url": "https://dates.example/old", "text": synthetic_text(990), "published": "2024-03-12"}
    backlog.write_text(json.dumps(line) + "\n")
    with workers(nw, threads=1, queues={"articles"}):
        replay(nw, [backlog])
    (record,) = nw.store.search(limit=5)
    old = json.loads(record.model_dump_json())
    for key in ("published_precision", "warnings"):
        del old[key]
    nw.redis.set(nw.store.k.article(record.id), json.dumps(old))
    again = nw.store.get(record.id)
    assert again is not None and again.published_at == MARCH_12
    assert (again.published_precision, again.warnings) == ("day", ())
    with workers(nw, threads=1, queues={"articles"}):  # and replaying it again changes nothing
        assert replay(nw, [backlog]).summary()["unchanged"] == 1


def test_show_prints_the_date_as_precise_as_it_is_known_and_the_warnings(
    env: dict[str, str], tmp_path: Path
) -> None:
    from pipeline.urls import article_id, canonical_url
    from tests.test_cli import last_json, nw

    backlog = tmp_path / "show.jsonl"
    lines = [
        {"url": "https://dates.example/month", "text": synthetic_text(995), "published": "2024-03"},
        {"url": "https://dates.example/bad", "text": synthetic_text(996), "published": "sometime soon"},
    ]
    backlog.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    summary = last_json(nw(env, "replay", str(backlog), "--json"))
    assert summary["errors"] == 0 and summary["stored"] + summary["off_topic"] == 2
    month = nw(env, "show", article_id(canonical_url("https://dates.example/month")))
    assert "2024-03 ·" in month.stdout and "warning" not in month.stdout
    bad = nw(env, "show", article_id(canonical_url("https://dates.example/bad")))
    assert "undated ·" in bad.stdout
    assert "warning: published: cannot read 'sometime soon' as a date" in bad.stdout
