"""When an article was published: every common way of writing a date, read once, with its precision.

Contract. ``published_date`` is the one entry point of the pipeline: given what the feed
entry (or the replayed line) and the page's markup claim, in that order, it returns the
first date it can read, else the date in the URL, else the dateline at the top of the text,
else the time of fetching; always with its *precision* (``day``, ``month`` or ``year``) and
*where it came from* (``feed``, ``input``, ``page``, ``url``, ``dateline`` or ``fetched``).
A claimed date that cannot be read, or that is implausible, is a *warning*, never a reason
to lose the article. ``read_date`` reads one value and is what the feed parser and the
replay reader call.

Forms read (``read_date``):

- ISO 8601, full or reduced: ``2024``, ``2024-03``, ``2024-03-12``, ``2024-03-12T10:00:00+09:00``,
  the basic ``20240312``; a time without an offset is UTC.
- RFC 822/2822 as every RSS feed writes it: ``Tue, 12 Mar 2024 10:00:00 GMT`` (named zones too).
- Epoch seconds (or milliseconds), as a number or a string of digits.
- Written dates in English, Korean and Russian: ``12 March 2024``, ``March 12, 2024``,
  ``2024년 3월 12일``, ``12 марта 2024``, ``March 2024``; numeric ``2024/03/12``, ``2024.03.12``,
  and day-first dotted ``12.03.2024`` (the European and Russian order). Slashed dates with the
  year last follow dateparser's English order (month first).

Written dates go to dateparser (pinned in pyproject.toml; it needs no network), with relative
expressions ("yesterday", "3 hours ago") off: a published date that depends on when it is read
is not a date. A written date without its year in four digits is not read: dateparser would
take the current year (wrong for every backlog), or read "March 12" as March 2012.

Fallbacks: the URL (``/2024/03/12/``, ``/2024-03-12-slug``, ``/20240312/``, an id that opens with
its day such as ``/view/20240312120911728`` or ``?ud=20240312050720``, and ``/2024/03/`` for a
month), and the top of the text (``DATELINE_CHARS``): a dateline or byline date in any of the
written forms above, or numeric (``2024-03-12``, ``2024.03.12``, ``12.03.2024``), or a text that
opens with a year and month (``2024-03``). Measured on the real-news set by benchmarks/dates.py
(no ``published`` given): 197 of 248 labelled dates found from URL and text alone (85 of 108 on
the test half), 144 of 248 without the ``date ...`` line the set's gatherer put atop many texts;
most of the rest carry no date in URL or text, or only a dateline without a year (a replay does
not guess its year). The patterns were written against forms seen in that set's dev and test
halves alike, so the test figure is not a held-out one.

Plausible means not before 1990 and not more than a day after now (clocks and time zones of
publishers drift; a date further ahead is a typo or a scheduled post).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

from pipeline.errors import UnreadableDate
from pipeline.models import DatePrecision

DateSource = Literal["feed", "input", "page", "url", "dateline", "fetched"]

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
LANGUAGES = ("en", "ko", "ru")
# How far into the text a dateline may start, in characters: "SEOUL, March 12 (Yonhap) --" opens
# the first paragraph; a date further down is an event in the story, not its date.
DATELINE_CHARS = 160
MAX_VALUE_CHARS = 100


@dataclass(frozen=True)
class DateReading:
    """A publication date, how precise it is and where it came from."""

    at: datetime
    precision: DatePrecision
    source: str


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _truncate(value: datetime, precision: DatePrecision) -> datetime:
    """A month-precise date is the first of its month at midnight UTC; a year-precise one, 1 January."""
    if precision == "year":
        return datetime(value.year, 1, 1, tzinfo=UTC)
    if precision == "month":
        return datetime(value.year, value.month, 1, tzinfo=UTC)
    return value


def plausible(value: datetime, now: datetime) -> bool:
    return EARLIEST <= value <= now + FUTURE_SLACK


# --- one value -------------------------------------------------------------------------------------

_ISO_REDUCED = re.compile(r"(\d{4})(?:-(\d{2}))?")
_ISO_LIKE = re.compile(r"\d{4}-\d{1,2}(?:-\d{1,2})?(?:[T ].*)?")
_ISO_BASIC = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{2}:?\d{2})?)?")
_RFC_2822 = re.compile(
    r"(?P<date>(?:[A-Za-z]{3,9},?\s*)?\d{1,2}\s+(?P<month>[A-Za-z]{3,9})\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?)"
    r"(?:\s*(?P<zone>[+-]\d{4}|[A-Za-z]{1,5}))?"
)
# Zone names of RFC 822 §5.1 and the ones news feeds of the watched countries write instead of an
# offset. A name not here (an ambiguous one, like IST) goes to dateparser.
_ZONES = {
    "UT": "+0000", "UTC": "+0000", "GMT": "+0000", "Z": "+0000",
    "EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
    "MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
    "KST": "+0900", "JST": "+0900", "MSK": "+0300", "CET": "+0100", "CEST": "+0200",
    "BST": "+0100", "EET": "+0200", "EEST": "+0300", "HKT": "+0800", "SGT": "+0800",
}  # fmt: skip
_DOTTED_DAY_FIRST = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})(?:\s*(?:г\.?|год[а]?))?")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def _iso(text: str) -> tuple[datetime, DatePrecision] | None:
    """ISO 8601: reduced (year, year-month), basic (20240312) or extended; None when it is not ISO."""
    if m := _ISO_REDUCED.fullmatch(text):
        year, month = int(m.group(1)), m.group(2)
        if month is None:
            return datetime(year, 1, 1, tzinfo=UTC), "year"
        return datetime(year, int(month), 1, tzinfo=UTC), "month"
    if m := _ISO_BASIC.fullmatch(text):
        y, mo, d, hh, mm, ss, tz = m.groups()
        value = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=UTC)
        if tz and tz != "Z":
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            value -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return value, "day"
    if _ISO_LIKE.fullmatch(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")), "day"
    return None


def _epoch(number: float) -> datetime:
    if number > 1e11:  # milliseconds: 1e11 seconds is the year 5138
        number /= 1000
    return datetime.fromtimestamp(number, UTC)


@lru_cache(maxsize=1)
def _parser() -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=list(LANGUAGES),
        settings={
            "TIMEZONE": "UTC",
            "TO_TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "RETURN_TIME_AS_PERIOD": True,
            "PREFER_DAY_OF_MONTH": "first",
            "PREFER_MONTH_OF_YEAR": "first",
            "REQUIRE_PARTS": ["year"],
            # no relative dates ("yesterday"): their meaning depends on when they are read
            "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
        },
    )


_PERIODS: dict[str, DatePrecision] = {
    "time": "day",
    "day": "day",
    "week": "day",
    "month": "month",
    "year": "year",
}


def _written(text: str) -> tuple[datetime, DatePrecision] | None:
    found = _parser().get_date_data(text)
    if found.date_obj is None or str(found.date_obj.year) not in text:
        return None  # "March 12" is not March 2012: the year must be written, in four digits
    return _aware(found.date_obj), _PERIODS.get(found.period or "day", "day")


def _offset(zone: str | None) -> str | None:
    """A numeric offset for an RFC 822 zone: none is UTC, a name must be one we know."""
    if zone is None:
        return "+0000"
    return zone if zone[0] in "+-" else _ZONES.get(zone.upper())


@lru_cache(maxsize=4096)  # a feed or a backlog writes the same few dates again and again
def _read_text(text: str) -> tuple[datetime, DatePrecision] | None:
    if _DIGITS.fullmatch(text):
        if len(text) in (4, 8):  # 2024, 20240312
            return _iso(text)
        if len(text.split(".")[0]) in (9, 10, 12, 13):  # epoch seconds or milliseconds
            return _epoch(float(text)), "day"
        return None  # "0", "99": a number that is no date
    if found := _iso(text):
        return found
    m = _RFC_2822.fullmatch(text)
    if m and m["month"].lower() in _EN_MONTHS and (zone := _offset(m["zone"])):
        return parsedate_to_datetime(f"{m['date']} {zone}"), "day"
    if m := _DOTTED_DAY_FIRST.fullmatch(text):
        return datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)), tzinfo=UTC), "day"
    for pattern in _DATELINES:  # the usual written days, without dateparser's cost (milliseconds each)
        m = pattern.fullmatch(text.removesuffix(" г.").removesuffix(" г"))
        if m and m["year"] and not (m["month"][0].islower() and m["month"] in _EN_MONTHS):
            return datetime(int(m["year"]), _month_number(m["month"]), int(m["day"]), tzinfo=UTC), "day"
    return _written(text)


def _shown(value: object) -> str:
    """A value as a warning quotes it: the text as written (cut short), a datetime in ISO 8601."""
    if isinstance(value, DateReading):
        value = value.at
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return repr(" ".join(value.split())[:MAX_VALUE_CHARS])
    return repr(value)


def read_date(
    value: object,
    *,
    source: str,
    now: datetime | None = None,
    precision: DatePrecision | None = None,
) -> DateReading | None:
    """One claimed date: None when nothing is claimed, a reading, or ``UnreadableDate`` saying why not.

    ``value`` is a string in any form above, a number of epoch seconds, a datetime (of the given
    ``precision``, day by default) or a ``DateReading`` (its precision kept, its source replaced).
    """
    now = now or datetime.now(UTC)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found: tuple[datetime, DatePrecision] | None
    try:
        if isinstance(value, DateReading):
            found = value.at, value.precision
        elif isinstance(value, datetime):
            found = value, precision or "day"
        elif isinstance(value, date):
            found = datetime(value.year, value.month, value.day, tzinfo=UTC), precision or "day"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found = _epoch(float(value)), "day"
        elif isinstance(value, str):
            text = " ".join(value.split())
            found = _read_text(text) if len(text) <= MAX_VALUE_CHARS else None
        else:
            found = None
    except (ValueError, OverflowError, OSError):
        found = None  # an impossible calendar date (2024-13-01), a timestamp out of range
    shown = _shown(value)
    if found is None:
        raise UnreadableDate(f"cannot read {shown} as a date")
    at, level = _aware(found[0]), found[1]
    if not plausible(at, now):
        when = "before 1990" if at < EARLIEST else "in the future"
        raise UnreadableDate(f"{shown} is {when}")
    return DateReading(at=_truncate(at, level), precision=level, source=source)


# --- fallbacks: the URL, the dateline ------------------------------------------------------------------

_URL_DAY = (
    re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?=/|$|[-_.])"),  # /2024/03/12/
    re.compile(r"(?<![\d])((?:19|20)\d{2})-(\d{2})-(\d{2})(?![\d])"),  # /2024-03-12-slug
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})(?=/|$|[-_.])"),  # /20240312/
)
# An article id that starts with the day it was filed, as most Korean outlets and the agencies
# write them (/view/20240312120911728, ?ud=20241015050720, AKR20240312001200315): eight digits of
# a real, plausible date followed by four to twelve more, in the path or the query.
_URL_STAMP = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})\d{4,12}(?!\d)")
_URL_MONTH = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})(?=/)")  # /2024/03/slug


def date_from_url(url: str | None, *, now: datetime) -> DateReading | None:
    """The date a URL gives (day, or month for /2024/03/slug), when it is a real, plausible one."""
    if not url:
        return None
    parts = urlsplit(url)
    path = parts.path
    for pattern, where in [*((p, path) for p in _URL_DAY), (_URL_STAMP, f"{path}?{parts.query}")]:
        for m in pattern.finditer(where):
            found = _plausible_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), now)
            if found:
                return DateReading(at=found, precision="day", source="url")
    for m in _URL_MONTH.finditer(path):
        found = _plausible_date(int(m.group(1)), int(m.group(2)), 1, now)
        if found:
            return DateReading(at=found, precision="month", source="url")
    return None


def _plausible_date(year: int, month: int, day: int, now: datetime) -> datetime | None:
    try:
        value = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None
    return value if plausible(value, now) else None


_EN_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        1,
    )
    for name in names
}
# Russian month names in the genitive, as a date writes them ("12 марта 2024")
_RU_MONTHS = {
    name: i
    for i, name in enumerate(
        (
            "января",
            "февраля",
            "марта",
            "апреля",
            "мая",
            "июня",
            "июля",
            "августа",
            "сентября",
            "октября",
            "ноября",
            "декабря",
        ),
        1,
    )
}
_EN_MONTH = "|".join(sorted(_EN_MONTHS, key=len, reverse=True))
_RU_MONTH = "|".join(_RU_MONTHS)
_DATELINES = (
    # March 12, 2024 / SEOUL, March 12 (Yonhap) -- / Mar. 12
    re.compile(
        rf"\b(?P<month>{_EN_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}})\b)?",
        re.I,
    ),
    # 12 March 2024 / 26th June 2020 / 22nd Jun, 2023
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_EN_MONTH})\.?(?:,?\s+(?P<year>\d{{4}})\b)?",
        re.I,
    ),
    # 12 марта 2024 (г.)
    re.compile(rf"(?<!\d)(?P<day>\d{{1,2}})\s+(?P<month>{_RU_MONTH})(?:\s+(?P<year>\d{{4}}))?", re.I),
    # 2024년 3월 12일, and the same in Chinese and Japanese: 2024年3月12日
    re.compile(r"(?P<year>\d{4})\s*[년年]\s*(?P<month>\d{1,2})\s*[월月]\s*(?P<day>\d{1,2})\s*[일日]"),
    # the numeric dates of bylines: 2024-03-12, 2024.03.12, 2024. 3. 12., 2024/03/12
    re.compile(
        r"(?<!\d)(?P<year>(?:19|20)\d{2})(?:-|\.\s?|/)(?P<month>\d{1,2})(?:-|\.\s?|/)(?P<day>\d{1,2})(?!\d)"
    ),
    # 12.03.2024, day first (Russian and European bylines)
    re.compile(r"(?<![\d.])(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>(?:19|20)\d{2})(?!\d)"),
)
# A text that opens with a year and a month, perhaps after a label ("date 2024-10", "Updated:
# 2024-10"): the text's own date, to the month.
_DATELINE_MONTH = re.compile(r"\s*(?:[^\W\d]+:?\s+)?(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})(?![-\d])")


def _month_number(name: str) -> int:
    name = name.lower().rstrip(".")
    return int(name) if name.isdigit() else _EN_MONTHS.get(name) or _RU_MONTHS[name]


def date_from_dateline(
    text: str | None, *, now: datetime, year: int | None = None, guess_year: bool = True
) -> DateReading | None:
    """The date at the top of the text ("SEOUL, March 12 (Yonhap) --", "12 марта 2024", "2024년 3월 12일").

    A dateline without a year takes ``year`` when one is known (the URL's), else, with
    ``guess_year``, the most recent such day not after ``now``; else it is not read.
    """
    if not text:
        return None
    head = text[:DATELINE_CHARS]
    best: tuple[int, DateReading] | None = None
    for pattern in _DATELINES:
        for m in pattern.finditer(head):
            if best is not None and m.start() >= best[0]:
                break
            name = m.group("month")
            if name[0].islower() and name in _EN_MONTHS:
                continue  # "may" the verb, "mar" the verb: an English month name is capitalized
            found = _dateline_date(
                int(m.group("year")) if m.group("year") else year,
                _month_number(name),
                int(m.group("day")),
                now,
                guess_year=guess_year,
            )
            if found is not None:
                best = (m.start(), DateReading(at=found, precision="day", source="dateline"))
                break
    if best is None and (opening := _DATELINE_MONTH.match(head)):
        found = _plausible_date(int(opening["year"]), int(opening["month"]), 1, now)
        return DateReading(at=found, precision="month", source="dateline") if found else None
    return best[1] if best else None


def _dateline_date(
    year: int | None, month: int, day: int, now: datetime, *, guess_year: bool
) -> datetime | None:
    if year is not None:
        return _plausible_date(year, month, day, now)
    if not guess_year:
        return None
    for guess in (now.year, now.year - 1):  # the most recent such day, not after now
        found = _plausible_date(guess, month, day, now)
        if found is not None:
            return found
    return None


# --- the entry point ---------------------------------------------------------------------------------


def published_date(
    claims: Sequence[tuple[str, object]],
    *,
    url: str | None,
    text: str | None,
    fetched_at: datetime,
    now: datetime | None = None,
    live: bool = True,
) -> tuple[DateReading, tuple[str, ...]]:
    """When an article was published, its precision and where that came from, with warnings.

    ``claims`` are (source, value) pairs in order of trust: the feed entry's or the replayed
    line's date, then the page's markup. The first readable, plausible one wins; each one that
    cannot be read is a warning ("published_at from feed: cannot read 'soon' as a date").
    Without one: the URL's date, then the dateline's, then ``fetched_at`` (source ``fetched``).
    A dateline without a year is read only when the URL gives the year or the article was
    fetched ``live`` (from a feed, so its year is the fetch's); a replayed backlog may be years old.
    """
    now = now or datetime.now(UTC)
    warnings: list[str] = []
    for source, value in claims:
        try:
            found = read_date(value, source=source, now=now)
        except UnreadableDate as exc:
            warnings.append(f"published_at from {source}: {exc}")
            continue
        if found is not None:
            return found, tuple(warnings)
    from_url = date_from_url(url, now=now)
    if from_url is not None and from_url.precision == "day":
        return from_url, tuple(warnings)
    year = from_url.at.year if from_url else None
    dateline = date_from_dateline(text, now=now, year=year, guess_year=live)
    if dateline is not None:
        return dateline, tuple(warnings)
    if from_url is not None:
        return from_url, tuple(warnings)
    return DateReading(at=_aware(fetched_at), precision="day", source="fetched"), tuple(warnings)
