"""Feed bytes -> entries (feedparser, plus JSON Feed), with each entry's identity fixed once.

feedparser reads almost anything XML (RSS 0.9x-2.0, Atom, RDF, broken XML);
JSON Feed (https://jsonfeed.org/version/1.1, which miniflux and FreshRSS also
read) is parsed here. What cannot be read is a ``ParseError`` with a readable
reason; what is read with complaints ("bozo") is used, and the complaint is
kept for the feed's status. A well-formed feed with no items is a valid, empty
feed, not an error.
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from pipeline.dates import DateReading, read_date
from pipeline.errors import ParseError, UnreadableDate
from pipeline.models import FeedEntry, Frozen
from pipeline.sanitize import sanitize_entry
from pipeline.urls import canonical_url, digest

# enough for the prefilter and the record's fallback; some feeds carry whole books in a summary
MAX_SUMMARY_CHARS = 4000
# Caps on an entry's fields. A headline or a name past these is not one (pipeline.clean drops
# titles over 400 and names over 120 characters anyway); a link or GUID past MAX_ID_CHARS is garbage.
MAX_TITLE_CHARS = 1000
MAX_AUTHOR_CHARS = 200
MAX_AUTHORS = 20
MAX_ID_CHARS = 2048
# feedparser looks for an e-mail address in every author name with a regular expression that is
# quadratic in the name's length (120,000 characters cost 53 s). Names are cut to this many bytes
# in the raw XML, before feedparser sees them; the time limit in workers.guard covers the rest.
MAX_RAW_AUTHOR_BYTES = 1024
_AUTHOR_ELEMENT = re.compile(
    rb"(<(?:[\w.-]+:)?(?:author|creator|managingEditor|webMaster|name|email|contributor|publisher)\b[^<>]*>"
    rb"\s*(?:<!\[CDATA\[)?)([^<\]]{%d}[\x80-\xbf]{0,3})[^<\]]*" % MAX_RAW_AUTHOR_BYTES
)


class ParsedFeed(Frozen):
    title: str | None = None
    entries: tuple[FeedEntry, ...] = ()
    ttl_s: int | None = None
    problem: str | None = None
    skipped: int = 0  # entries without a usable link: nothing to fetch, nothing to point a user to
    format: str = ""


def body_hash(data: bytes) -> str:
    """What a poll compares when a server sends no validators: unchanged bytes are not parsed again."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def link_key(url: str) -> str:
    """An entry's link identity: a feed that rewrites GUIDs for the same link is still the same entry."""
    return digest(canonical_url(url), 24)


def _dated(fields: list[tuple[str, object, object]]) -> tuple[DateReading | None, tuple[str, ...]]:
    """An entry's date: the first of its date fields (name, text, feedparser's parse) that reads.

    The text goes through pipeline.dates (every common form, with its precision); feedparser's
    own parse is the fallback for the odd forms it knows and dateparser does not. A field that
    reads neither way is a warning on the entry.
    """
    warnings: list[str] = []
    tried: set[object] = set()
    for name, text, parsed in fields:
        if text is not None and text in tried:
            continue  # feedparser gives an RSS pubDate as both "published" and "updated"
        tried.add(text)
        try:
            found = read_date(text, source="feed")
        except UnreadableDate as exc:
            found = None
            if parsed is None:
                warnings.append(f"{name}: {exc}")
        if found is None and parsed is not None:
            try:
                found = read_date(datetime.fromtimestamp(calendar.timegm(parsed), UTC), source="feed")  # type: ignore[arg-type]
            except (OverflowError, ValueError, TypeError, UnreadableDate) as exc:
                warnings.append(f"{name}: {exc}")
        if found is not None:
            return found, tuple(warnings)
    return None, tuple(warnings)


def _when(entry: feedparser.FeedParserDict) -> tuple[DateReading | None, tuple[str, ...]]:
    keys = ("published", "updated", "created")
    return _dated([(key, entry.get(key), entry.get(f"{key}_parsed")) for key in keys])


def entry_identity(feed_id: str, guid: str | None, link: str | None, title: str | None, when: object) -> str:
    """GUID, else canonical link, else title+date (miniflux's order), hashed with the feed's id."""
    if guid and guid.strip():
        basis = f"guid:{guid.strip()}"
    elif link:
        basis = f"link:{canonical_url(link)}"
    else:
        basis = f"title:{(title or '').strip()}|{when}"
    return digest(f"{feed_id}\n{basis}", 24)


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _absolute(link: str, base_url: str | None) -> str:
    link = link.strip()
    if base_url and link and "://" not in link:
        link = urljoin(base_url, link)
    return link


def _looks_like_json(data: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type.lower():
        return True
    head = data[:64]
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            head = head[len(bom) :].decode(enc, errors="ignore").encode()
            break
    return head.lstrip().startswith(b"{")


def _decode_json(data: bytes) -> Any:
    # RFC 8259 §8.1: UTF-8, but UTF-16/32 with a BOM are met in the wild (json.loads detects them on bytes)
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not a feed: invalid JSON ({exc})") from None


class _Collector:
    """Entries of one feed, each identified once; entries with nothing to fetch are counted."""

    def __init__(self, feed_id: str, language: str | None) -> None:
        self.feed_id = feed_id
        self.language = language
        self.entries: list[FeedEntry] = []
        self.skipped = 0
        self._seen: set[str] = set()

    def add(
        self,
        *,
        link: str,
        guid: str | None,
        title: str | None,
        when: tuple[DateReading | None, tuple[str, ...]],
        authors: tuple[str, ...],
        summary: str | None,
    ) -> None:
        reading, warnings = when
        if not link and guid and guid.startswith(("http://", "https://")):
            link = guid  # RSS <guid isPermaLink="true">, an Atom id or a JSON Feed id that is a URL
        if not link.startswith(("http://", "https://")) or len(link) > MAX_ID_CHARS:
            self.skipped += 1  # nothing to fetch and nothing to point a user to
            return
        entry_id = entry_identity(self.feed_id, guid, link, title, reading.at if reading else None)
        if entry_id in self._seen:
            return
        self._seen.add(entry_id)
        entry = FeedEntry(
            feed_id=self.feed_id,
            entry_id=entry_id,
            url=link,
            guid=guid[:MAX_ID_CHARS] if guid else None,
            title=title[:MAX_TITLE_CHARS] if title else None,
            summary=summary[:MAX_SUMMARY_CHARS] if summary else None,
            published_at=reading.at if reading else None,
            published_precision=reading.precision if reading else "day",
            warnings=warnings,
            authors=tuple(a[:MAX_AUTHOR_CHARS] for a in authors[:MAX_AUTHORS]),
            language=self.language[:35] if self.language else None,  # BCP 47 tags are short
        )
        self.entries.append(sanitize_entry(entry))  # markup and control characters out, whatever the format


def _parse_json_feed(data: bytes, *, feed_id: str, base_url: str | None, language: str | None) -> ParsedFeed:
    doc = _decode_json(data)
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise ParseError("not a feed: JSON without an 'items' list (not a JSON Feed)")
    version = str(doc.get("version", ""))
    problem = None if "jsonfeed.org/version/" in version else f"unknown JSON Feed version {version!r}"
    base = _text(doc.get("home_page_url")) or base_url
    found = _Collector(feed_id, language or _text(doc.get("language")))
    for item in doc["items"]:
        if not isinstance(item, dict):
            found.skipped += 1
            continue
        people = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        found.add(
            link=_absolute(_text(item.get("url")) or _text(item.get("external_url")) or "", base),
            guid=_text(str(item["id"])) if item.get("id") is not None else None,
            title=_text(item.get("title")),
            when=_dated([(key, item.get(key), None) for key in ("date_published", "date_modified")]),
            authors=tuple(p["name"].strip() for p in people if isinstance(p, dict) and _text(p.get("name"))),
            summary=next(
                (t for k in ("summary", "content_text", "content_html") if (t := _text(item.get(k)))), None
            ),
        )
    return ParsedFeed(
        title=_text(doc.get("title")),
        entries=tuple(found.entries),
        problem=problem,
        skipped=found.skipped,
        format="json",
    )


def parse_feed(
    data: bytes,
    *,
    feed_id: str,
    base_url: str | None = None,
    language: str | None = None,
    content_type: str | None = None,
) -> ParsedFeed:
    """Entries of one feed document; raises ParseError when nothing usable is in it."""
    if not data.strip():
        raise ParseError("not a feed: empty body")
    if _looks_like_json(data, content_type):
        return _parse_json_feed(data, feed_id=feed_id, base_url=base_url, language=language)
    data = _AUTHOR_ELEMENT.sub(rb"\1\2", data)
    headers: dict[str, str] = {}
    if content_type:
        headers["content-type"] = content_type
    if base_url:
        headers["content-location"] = base_url  # feedparser resolves relative links against it
    parsed = feedparser.parse(data, response_headers=headers, resolve_relative_uris=True, sanitize_html=True)
    problem = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        problem = f"{type(exc).__name__}: {exc}" if exc else "malformed feed"
    if not parsed.entries and not parsed.get("version"):
        # no entries and no RSS/Atom/RDF root element: an HTML page, an error page, garbage
        raise ParseError(f"not a feed: {problem or 'no RSS, Atom or RDF root element'}")
    found = _Collector(feed_id, language or parsed.feed.get("language") or None)
    for raw in parsed.entries:
        link = raw.get("link") or next((alt["href"] for alt in raw.get("links", []) if alt.get("href")), "")
        found.add(
            link=_absolute(link, base_url) if link else "",
            guid=_text(raw.get("id")),
            title=_text(raw.get("title")),
            when=_when(raw),
            authors=tuple(a.get("name", "").strip() for a in raw.get("authors", []) if a.get("name")),
            summary=_text(raw.get("summary")),
        )
    ttl = parsed.feed.get("ttl")
    # RSS 2.0 <ttl>: minutes the channel may be cached (https://www.rssboard.org/rss-specification#ltttlgtSubelementOfLtchannelgt)
    ttl_s = int(ttl) * 60 if isinstance(ttl, str) and ttl.strip().isdigit() else None
    return ParsedFeed(
        title=_text(parsed.feed.get("title")),
        entries=tuple(found.entries),
        ttl_s=ttl_s,
        problem=problem,
        skipped=found.skipped,
        format=str(parsed.get("version") or ""),
    )
