"""Replay through the real queue and workers, on the real Redis."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from config.settings import Settings
from tests.conftest import TESTDATA
from workers.app import App
from workers.replay import replay
from workers.runner import workers

BACKLOG = TESTDATA / "backlog.jsonl"


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_replaying_a_backlog_twice_stores_nothing_new(nw: App) -> None:
    with workers(nw, threads=2, queues={"articles", "alerts"}):
        first = replay(nw, [BACKLOG]).summary()
        stats = nw.store.stats()
        second = replay(nw, [BACKLOG]).summary()
    n = len(lines(BACKLOG))
    assert first["read"] == n and first["errors"] == 0
    assert first["stored"] >= 7 and first["off_topic"] >= 3 and first["duplicates"] == 1
    assert first["stored"] + first["off_topic"] + first["duplicates"] + first["rejected"] == n
    assert first["alerts"] == 0  # alerts are off unless asked for
    assert second["stored"] == 0 and second["duplicates"] == 0 and second["unchanged"] == n
    assert nw.store.stats() == stats


def test_alerts_only_with_alerts_and_never_twice(nw: App) -> None:
    with workers(nw, threads=2, queues={"articles", "alerts"}):
        quiet = replay(nw, [BACKLOG]).summary()
        assert quiet["alerts"] == 0 and nw.store.stats()["alerts"] == 0
    with App.open(nw.settings.model_copy(update={"key_prefix": nw.prefix + "b"})) as fresh:
        try:
            with workers(fresh, threads=2, queues={"articles", "alerts"}):
                loud = replay(fresh, [BACKLOG], alerts=True).summary()
                again = replay(fresh, [BACKLOG], alerts=True).summary()
        finally:
            keys = list(fresh.redis.scan_iter(match=fresh.prefix + ":*"))
            if keys:
                fresh.redis.delete(*keys)
    assert loud["alerts"] >= 2
    assert again["alerts"] == 0


def test_bad_lines_are_counted_with_their_line_numbers_and_the_rest_goes_on(nw: App) -> None:
    with workers(nw, threads=2, queues={"articles", "alerts"}):
        result = replay(nw, [TESTDATA / "backlog_bad.jsonl"])
    summary = result.summary()
    assert summary["read"] == 6 and summary["errors"] == 2
    assert summary["stored"] + summary["off_topic"] + summary["rejected"] + summary["duplicates"] == 4
    where = [w for w, _ in result.problems]
    assert any(w.endswith("backlog_bad.jsonl:2") for w in where)
    assert any(w.endswith("backlog_bad.jsonl:5") for w in where)
    assert any("url" in p for _, p in result.problems)


def test_a_folder_of_html_files(nw: App, tmp_path: Path) -> None:
    site = Path(__file__).resolve().parents[2] / "workers" / "demo" / "site" / "seoulledger"
    for page in site.rglob("*.html"):
        (tmp_path / page.name).write_text(page.read_text().replace("{base}", "https://seoulledger.example"))
    with workers(nw, threads=2, queues={"articles", "alerts"}):
        summary = replay(nw, [tmp_path]).summary()
    assert summary["read"] == 4 and summary["errors"] == 0
    assert summary["stored"] == 3 and summary["off_topic"] == 1
    urls = {r.url for r in nw.store.search(limit=10)}
    assert all(u.startswith("https://seoulledger.example/seoulledger/2024/") for u in urls)


def test_a_warc_file(nw: App, tmp_path: Path) -> None:
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    page = (
        Path(__file__).resolve().parents[2] / "workers/demo/site/eastwire/2024/03/baek-consular-access.html"
    )
    warc = tmp_path / "crawl.warc.gz"
    with warc.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        body = page.read_text().replace("{base}", "https://eastwire.example").encode()
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        record = writer.create_warc_record(
            "https://eastwire.example/a", "response", payload=BytesIO(body), http_headers=headers
        )
        writer.write_record(record)
    with workers(nw, threads=1, queues={"articles", "alerts"}):
        summary = replay(nw, [warc]).summary()
    assert summary["read"] == 1 and summary["stored"] == 1


def test_learning_a_sources_template_does_not_turn_a_replay_into_revisions(nw: App, tmp_path: Path) -> None:
    from tests.conftest import synthetic_text

    footer = "The Kelmouth edition goes to press at the quay works every morning before six for readers across the bay."
    for n in range(10):
        body = "".join(f"<p>{line}</p>" for line in synthetic_text(500 + n).splitlines())
        (tmp_path / f"page{n}.html").write_text(
            f"<html><head><title>Harbor report {n}</title>"
            f'<link rel="canonical" href="https://harbor.example/news/{n}"></head>'
            f"<body><article><h1>Harbor report {n}</h1>{body}<p>{footer}</p></article></body></html>"
        )
    with workers(nw, threads=1, queues={"articles", "alerts"}):
        first = replay(nw, [tmp_path]).summary()
        second = replay(nw, [tmp_path]).summary()
    assert first["errors"] == 0 and first["stored"] + first["off_topic"] == 10
    learned = nw.redis.keys(nw.store.k("tpl", "*"))
    assert learned  # the footer was counted for this source
    assert second["unchanged"] == 10 and second["revisions"] == 0 and second["stored"] == 0


def test_a_pages_text_arrives_whole_and_nothing_of_it_stays_parked(nw: App, tmp_path: Path) -> None:
    # a page's HTML is parked apart from its item and crosses to the cleaner as bytes: every script,
    # and a character outside the Basic Multilingual Plane, must come out as it went in
    lines = [
        "Посольство в Сеуле заявило протест после задержания гражданина в порту Находки.",
        "서울 외교부는 모스크바 주재 대사관을 통해 영사 접견을 다시 요청했다고 밝혔다.",
        "The ministry's note ended with a line the clerk signed off with a 🕊 sign, as is her habit.",
        "Officials in both capitals said the talks on the case would go on into the next week.",
    ]
    body = "".join(f"<p>{line}</p>" for line in lines * 2)
    (tmp_path / "note.html").write_text(
        '<html><head><meta charset="utf-8"><title>Note on the case</title>'
        '<link rel="canonical" href="https://ledger.example/2024/note"></head>'
        f"<body><article><h1>Note on the case</h1>{body}</article></body></html>",
        encoding="utf-8",
    )
    with workers(nw, threads=1, queues={"articles", "alerts"}):
        summary = replay(nw, [tmp_path]).summary()
    assert summary["errors"] == 0 and summary["read"] == 1
    (record,) = [r for r in nw.store.search(limit=5) if r.url == "https://ledger.example/2024/note"]
    for line in lines:
        assert line in record.text
    assert list(nw.redis.scan_iter(match=nw.store.k("item", "*"))) == []  # the item and its HTML


def _article_page(
    title: str, url: str, lines: list[str], *, head_pad: str = "", charset: str = "utf-8"
) -> str:
    body = "".join(f"<p>{line}</p>" for line in lines * 2)
    return (
        f'<html><head><meta charset="{charset}"><title>{title}</title>{head_pad}'
        f'<link rel="canonical" href="{url}"></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def test_html_files_in_any_packing_and_charset_are_read_as_before(nw: App, tmp_path: Path) -> None:
    # a folder's pages are queued as their files' bytes and decoded by the cleaner: gzip, a link far
    # into a long head, a Cyrillic charset, UTF-16 (whose bytes cannot be searched for the link)
    import gzip

    russian = [
        "Посольство в Сеуле снова запросило консульский доступ к задержанному гражданину в Москве.",
        "Дипломаты обеих стран продолжат переговоры по делу на следующей неделе, сообщили в министерстве.",
    ]
    english = [
        "The harbour office in Kelmouth counted more ships this spring than in any spring before it.",
        "Pilots said the new channel markers made the night approach far easier for the larger vessels.",
    ]
    wide = [
        "The ferry to the outer islands will run twice a day from June, the island council decided.",
        "Fishermen asked the council to keep the old slipway open for the smaller boats of the bay.",
    ]
    pad = (
        "<script>"
        + "var filler = 'the head of this page is long before its canonical link';" * 3000
        + "</script>"
    )
    files = {
        "packed.html.gz": gzip.compress(
            _article_page("Harbour count", "https://harbour.example/count", english, head_pad=pad).encode()
        ),
        "cyrillic.html": _article_page(
            "Запрос посольства", "https://vesti.example/zapros", russian, charset="windows-1251"
        ).encode("cp1251"),
        "wide.html": _article_page(
            "Ferry timetable", "https://harbour.example/markers", wide, charset="utf-16"
        ).encode("utf-16"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with workers(nw, threads=2, queues={"articles", "alerts"}):
        summary = replay(nw, [tmp_path]).summary()
    assert summary["read"] == 3 and summary["errors"] == 0 and summary["rejected"] == 0, summary
    records = {r.url: r for r in nw.store.search(limit=10)}
    assert set(records) == {
        "https://harbour.example/count",
        "https://vesti.example/zapros",
        "https://harbour.example/markers",
    }
    assert all(line in records["https://vesti.example/zapros"].text for line in russian)
    assert all(line in records["https://harbour.example/count"].text for line in english)
    assert all(line in records["https://harbour.example/markers"].text for line in wide)


def test_a_damaged_or_oversized_gzip_file_fails_alone(settings: Settings, tmp_path: Path) -> None:
    import gzip

    lines = [
        "The harbour office in Kelmouth counted more ships this spring than in any spring before it.",
        "Pilots said the new channel markers made the night approach far easier for the larger vessels.",
    ]
    good = gzip.compress(_article_page("Harbour count", "https://harbour.example/count", lines).encode())
    (tmp_path / "good.html.gz").write_bytes(good)
    (tmp_path / "cut.html.gz").write_bytes(good[: len(good) // 2])  # the file ends halfway
    (tmp_path / "garbage.html.gz").write_bytes(b"\x1f\x8b\x08\x00not a gzip stream at all")
    (tmp_path / "huge.html.gz").write_bytes(
        gzip.compress(b"<html><body>" + b" " * 3_000_000 + b"</body></html>")
    )
    with App.open(settings.model_copy(update={"http_max_bytes": 2_000_000})) as nw:
        with workers(nw, threads=2, queues={"articles", "alerts"}):
            result = replay(nw, [tmp_path])
        summary = result.summary()
        assert summary["read"] == 4 and summary["stored"] + summary["off_topic"] == 1, summary
        problems = dict(result.problems)
        assert "too_large" in problems[str(tmp_path / "huge.html.gz")]
        assert "gzip" in problems[str(tmp_path / "garbage.html.gz")]
        assert "gzip" in problems[str(tmp_path / "cut.html.gz")]
        assert [r.url for r in nw.store.search(limit=10)] == ["https://harbour.example/count"]


def test_a_packed_file_that_failed_runs_again_from_its_text(
    nw: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a .html.gz page travels as its file's bytes; when it fails, it is kept (as text) for --retry-errors
    import gzip

    from pipeline.errors import BadInput
    from workers import actors
    from workers.replay import failed_items

    lines = [
        "The harbour office in Kelmouth counted more ships this spring than in any spring before it.",
        "Pilots said the new channel markers made the night approach far easier for the larger vessels.",
    ]
    (tmp_path / "count.html.gz").write_bytes(
        gzip.compress(_article_page("Harbour count", "https://harbour.example/count", lines).encode())
    )
    real = actors.store_page

    def failing(*args: object, **kwargs: object) -> object:
        raise BadInput("a page the worker could not take this time")

    monkeypatch.setattr(actors, "store_page", failing)
    with workers(nw, threads=1, queues={"articles", "alerts"}):
        first = replay(nw, [tmp_path]).summary()
    assert first["errors"] == 1 and list(nw.store.search(limit=5)) == []
    monkeypatch.setattr(actors, "store_page", real)
    with workers(nw, threads=1, queues={"articles", "alerts"}):
        again = replay(nw, [], items=list(failed_items(nw))).summary()
    assert again["read"] == 1 and again["errors"] == 0, again
    (record,) = list(nw.store.search(limit=5))
    assert record.url == "https://harbour.example/count" and all(line in record.text for line in lines)


def test_pages_sent_together_keep_their_own_text_and_a_retry_redoes_only_what_was_left(
    nw: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a folder's pages go a few to a message, the next one cleaned while the one before is stored;
    # storing the second page of the first message fails once (Redis away): the message is tried
    # again, the page it had stored is not stored twice, and every record holds its own page's text
    from pipeline.errors import TransientError
    from tests.conftest import synthetic_text
    from workers import actors
    from workers.replay import BATCH_ITEMS, SINGLE_AT_END

    count = 2 * BATCH_ITEMS + SINGLE_AT_END
    for n in range(count):
        (tmp_path / f"report{n:02d}.html").write_text(
            _article_page(
                f"Harbour report {n}", f"https://harbour.example/r/{n}", synthetic_text(900 + n).splitlines()
            )
        )
    real, stored, sizes = actors.store_page, [], []

    def once_failing(app: App, article: object, *args: object, **kwargs: object) -> object:
        stored.append(getattr(article, "url", ""))
        if len(stored) == 2:
            raise TransientError("redis: connection refused", code="redis")
        return real(app, article, *args, **kwargs)  # type: ignore[arg-type]

    real_items = actors.process_items

    @functools.wraps(real_items)  # the actor's name
    def counting(item_ids: list[str], *args: object, **kwargs: object) -> None:
        sizes.append(len(item_ids))
        real_items(item_ids, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(actors, "store_page", once_failing)
    monkeypatch.setattr(actors, "process_items", counting)
    with workers(nw, threads=1, queues={"articles", "alerts"}):
        summary = replay(nw, [tmp_path], timeout_s=60).summary()
    assert summary["read"] == count and summary["errors"] == 0, summary
    assert summary["stored"] + summary["off_topic"] == count
    assert set(sizes) == {BATCH_ITEMS, 1} and sizes.count(1) == SINGLE_AT_END  # together, the last alone
    assert len(stored) == count + 1 and stored.count(stored[0]) == 1  # only the failed page again
    records = {r.url: r for r in nw.store.search(limit=100)}
    assert len(records) == count
    for n in range(count):
        own = synthetic_text(900 + n).splitlines()[0]
        assert own in records[f"https://harbour.example/r/{n}"].text
