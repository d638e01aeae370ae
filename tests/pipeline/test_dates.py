"""Reading publication dates: every form, its precision, where it came from, and the fallbacks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.dates import date_from_dateline, date_from_url, published_date, read_date
from pipeline.errors import UnreadableDate

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def day(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


# (what the publisher wrote, the moment it means in UTC, its precision); shared with the
# end-to-end tests (tests/workers/test_dates.py), which send each one through a replay and a feed
FORMS: list[tuple[object, datetime, str]] = [
    ("2024", day(2024, 1, 1), "year"),
    ("2024-03", day(2024, 3, 1), "month"),
    ("2024-03-12", day(2024, 3, 12), "day"),
    ("2024-03-12T10:00:00+09:00", day(2024, 3, 12, 1), "day"),
    ("2024-03-12T10:00:00Z", day(2024, 3, 12, 10), "day"),
    ("20240312", day(2024, 3, 12), "day"),
    ("Tue, 12 Mar 2024 10:00:00 GMT", day(2024, 3, 12, 10), "day"),
    ("Tue, 12 Mar 2024 10:00:00 +0900", day(2024, 3, 12, 1), "day"),
    ("Tue, 12 Mar 2024 10:00:00 KST", day(2024, 3, 12, 1), "day"),
    ("Tue, 12 Mar 2024 10:00:00 PST", day(2024, 3, 12, 18), "day"),
    ("12 March 2024", day(2024, 3, 12), "day"),
    ("March 12, 2024", day(2024, 3, 12), "day"),
    ("March 2024", day(2024, 3, 1), "month"),
    ("2024년 3월 12일", day(2024, 3, 12), "day"),
    ("2024년 3월 12일 오후 3시", day(2024, 3, 12, 15), "day"),
    ("12 марта 2024", day(2024, 3, 12), "day"),
    ("12 марта 2024 г.", day(2024, 3, 12), "day"),
    ("2024/03/12", day(2024, 3, 12), "day"),
    ("12.03.2024", day(2024, 3, 12), "day"),
    ("1710237600", day(2024, 3, 12, 10), "day"),
    (1710237600, day(2024, 3, 12, 10), "day"),
]


@pytest.mark.parametrize(("written", "moment", "precision"), FORMS, ids=[str(f[0]) for f in FORMS])
def test_each_form_reads_as_its_moment_with_its_precision(
    written: object, moment: datetime, precision: str
) -> None:
    found = read_date(written, source="feed", now=NOW)
    assert found is not None
    assert (found.at, found.precision, found.source) == (moment, precision, "feed")


@pytest.mark.parametrize(
    "written", ["sometime soon", "yesterday", "3 hours ago", "2024-13-01", "99", "March 12", "N/A", True]
)
def test_what_is_not_a_date_is_said_to_be_unreadable(written: object) -> None:
    with pytest.raises(UnreadableDate) as info:
        read_date(written, source="input", now=NOW)
    assert "cannot read" in str(info.value) and info.value.code == "bad_date"


def test_dates_in_the_future_or_before_1990_are_unreadable_and_say_why() -> None:
    with pytest.raises(UnreadableDate, match="in the future"):
        read_date("2031-01-01", source="feed", now=NOW)
    with pytest.raises(UnreadableDate, match="before 1990"):
        read_date("1970-01-02", source="feed", now=NOW)
    assert read_date(None, source="feed", now=NOW) is None
    assert read_date("  ", source="feed", now=NOW) is None


@pytest.mark.parametrize(
    ("url", "moment", "precision"),
    [
        ("https://a.example/world/2024/03/12/talks-resume", day(2024, 3, 12), "day"),
        ("https://a.example/news/20240312/talks", day(2024, 3, 12), "day"),
        ("https://a.example/news/2024-03-12-talks-resume", day(2024, 3, 12), "day"),
        ("https://a.example/2024/03/talks-resume", day(2024, 3, 1), "month"),
        # article ids that open with the day they were filed, in the path or the query
        ("https://a.example/news/AKR20240312001200315", day(2024, 3, 12), "day"),
        ("https://a.example/v/20240312120911728", day(2024, 3, 12), "day"),
        ("https://a.example/view.php?ud=20240312050720", day(2024, 3, 12), "day"),
    ],
)
def test_a_date_in_the_url(url: str, moment: datetime, precision: str) -> None:
    found = date_from_url(url, now=NOW)
    assert found is not None and (found.at, found.precision, found.source) == (moment, precision, "url")


def test_numbers_in_a_url_that_are_no_date_give_none() -> None:
    assert date_from_url("https://a.example/v/99991231120911728", now=NOW) is None  # not plausible
    assert date_from_url("https://a.example/v/20241399120911728", now=NOW) is None  # no 13th month
    assert date_from_url("https://a.example/v/20240312", now=NOW) is not None
    assert date_from_url("https://a.example/v/202403121", now=NOW) is None  # an id, not a stamp
    assert date_from_url("https://a.example/2024/13/45/x", now=NOW) is None
    assert date_from_url("https://a.example/story/123456", now=NOW) is None


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("SEOUL, March 12, 2024 (Ledger) -- Talks on the fishing quota resumed.", day(2024, 3, 12)),
        ("Published 12 March 2024\nTalks on the fishing quota resumed on Tuesday.", day(2024, 3, 12)),
        ("МОСКВА, 12 марта 2024 — Переговоры о квотах на вылов возобновились.", day(2024, 3, 12)),
        ("2024년 3월 12일 서울 — 어업 협상이 다시 시작됐다.", day(2024, 3, 12)),
        ("Fishing talks resume\nBy Staff | Updated 2024-03-12 14:05\nTalks resumed.", day(2024, 3, 12)),
        ("어업 협상 재개\n입력 2024.03.12 20:11\n협상이 다시 시작됐다.", day(2024, 3, 12)),
        ("Переговоры возобновились\n14:35 12.03.2024\nПереговоры о квотах.", day(2024, 3, 12)),
        ("Fishing talks resume\nFri 12th March 2024\nTalks resumed.", day(2024, 3, 12)),
    ],
)
def test_a_dateline_at_the_top_of_the_text(text: str, moment: datetime) -> None:
    found = date_from_dateline(text, now=NOW)
    assert found is not None and (found.at, found.precision, found.source) == (moment, "day", "dateline")


def test_a_text_that_opens_with_a_year_and_month_is_dated_to_the_month() -> None:
    found = date_from_dateline("date 2024-03 Talks on the fishing quota resumed.", now=NOW)
    assert found is not None and (found.at, found.precision) == (day(2024, 3, 1), "month")
    assert date_from_dateline("Talks resumed. The 2024-03 round was the last.", now=NOW) is None


def test_a_date_deep_in_the_text_or_a_verb_is_no_dateline() -> None:
    deep = "Talks on the fishing quota resumed. " * 8 + "They first met on March 3, 2022."
    assert date_from_dateline(deep, now=NOW) is None
    assert date_from_dateline("Officials may 12 times a year revise the quota.", now=NOW) is None


def test_a_dateline_without_a_year_takes_the_urls_year_or_the_most_recent_one() -> None:
    text = "SEOUL, March 12 (Ledger) -- Talks on the fishing quota resumed."
    assert date_from_dateline(text, now=NOW, year=2023).at == day(2023, 3, 12)  # type: ignore[union-attr]
    assert date_from_dateline(text, now=NOW).at == day(2025, 3, 12)  # type: ignore[union-attr]
    assert date_from_dateline(text, now=day(2025, 2, 1)).at == day(2024, 3, 12)  # type: ignore[union-attr]
    assert date_from_dateline(text, now=NOW, guess_year=False) is None


def test_published_date_tries_claims_then_url_then_dateline_then_fetch_time() -> None:
    fetched = day(2025, 5, 30, 8)
    text = "SEOUL, March 12, 2024 (Ledger) -- Talks on the fishing quota resumed."
    plain = "Talks on the fishing quota resumed."

    found, warnings = published_date(
        [("feed", "soon"), ("page", "2024-03-11")], url=None, text=text, fetched_at=fetched, now=NOW
    )
    assert (found.at, found.source) == (day(2024, 3, 11), "page")
    assert warnings == ("published_at from feed: cannot read 'soon' as a date",)

    found, warnings = published_date(
        [("feed", None)], url="https://a.example/2024/03/10/x", text=text, fetched_at=fetched, now=NOW
    )
    assert (found.at, found.source, warnings) == (day(2024, 3, 10), "url", ())

    found, _ = published_date([], url="https://a.example/x", text=text, fetched_at=fetched, now=NOW)
    assert (found.at, found.source) == (day(2024, 3, 12), "dateline")

    # a month in the URL gives way to a day in the dateline, and lends it its year
    yearless = "SEOUL, March 12 (Ledger) -- Talks on the fishing quota resumed."
    found, _ = published_date(
        [], url="https://a.example/2023/03/x", text=yearless, fetched_at=fetched, now=NOW, live=False
    )
    assert (found.at, found.precision, found.source) == (day(2023, 3, 12), "day", "dateline")
    found, _ = published_date(
        [], url="https://a.example/2023/03/x", text=plain, fetched_at=fetched, now=NOW, live=False
    )
    assert (found.at, found.precision, found.source) == (day(2023, 3, 1), "month", "url")

    # a replayed backlog may be years old: a yearless dateline is no date there
    found, _ = published_date([], url="https://a.example/x", text=yearless, fetched_at=fetched, live=False)
    assert (found.at, found.source) == (fetched, "fetched")


def test_clean_keeps_the_article_and_records_what_it_could_not_read() -> None:
    from pathlib import Path

    from pipeline.clean import clean
    from pipeline.models import FeedEntry, Page

    site = Path(__file__).resolve().parents[2] / "workers" / "demo" / "site"
    url = "http://127.0.0.1:9/eastwire/2024/03/baek-consular-access.html"
    html = (
        (site / "eastwire/2024/03/baek-consular-access.html")
        .read_text()
        .replace("{base}", "http://127.0.0.1:9")
    )
    entry = FeedEntry(
        feed_id="f",
        entry_id="e",
        url=url,
        published_at=datetime(2031, 1, 1, tzinfo=UTC),  # a scheduled post's date, or a typo
        authors=("12345", "Feed Author"),
        warnings=("updated: cannot read 'soon' as a date",),
    )
    article = clean(Page(url=url, html=html, entry=entry), now=NOW)
    assert article.authors == ("Feed Author",)
    assert article.published_at is not None and article.published_at.date().isoformat() == "2024-03-13"
    assert article.field_sources["published_at"] == "page"
    assert article.warnings[0] == "updated: cannot read 'soon' as a date"
    assert any(w.startswith("authors from feed: dropped") and "12345" in w for w in article.warnings)
    assert "published_at from feed: 2031-01-01T00:00:00+00:00 is in the future" in article.warnings


def test_feed_entries_carry_their_dates_precision_and_warnings_in_every_format() -> None:
    from pipeline.feeds import parse_feed

    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id><updated>2024-03-12T00:00:00Z</updated>
<entry><title>A</title><id>urn:a</id><link href="https://a.example/a"/><published>2024-03</published></entry>
<entry><title>B</title><id>urn:b</id><link href="https://a.example/b"/><published>soon</published></entry>
</feed>"""
    json_feed = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "T",
            "items": [
                {"id": "a", "url": "https://a.example/a", "date_published": "12 марта 2024"},
                {"id": "b", "url": "https://a.example/b", "date_published": "soon"},
            ],
        }
    ).encode()
    for data in (atom, json_feed):
        first, second = parse_feed(data, feed_id="f").entries
        assert first.published_at is not None and first.warnings == ()
        assert (first.published_at.month, first.published_at.day) == (3, 1 if data is atom else 12)
        assert first.published_precision == ("month" if data is atom else "day")
        assert second.published_at is None
        assert second.warnings and "cannot read 'soon' as a date" in second.warnings[0]
