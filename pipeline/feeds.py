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
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from pipeline.errors import ParseError
from pipeline.models import FeedEntry, Frozen
from pipeline.urls import canonical_url, digest

# enough for the prefilter and the record's fallback; some feeds carry whole books in a summary
MAX_SUMMARY_CHARS = 4000


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


def _when(entry: feedparser.FeedParserDict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


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


def _iso(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


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
        when: datetime | None,
        authors: tuple[str, ...],
        summary: str | None,
    ) -> None:
        if not link and guid and guid.startswith(("http://", "https://")):
            link = guid  # RSS <guid isPermaLink="true">, an Atom id or a JSON Feed id that is a URL
        if not link.startswith(("http://", "https://")):
            self.skipped += 1  # nothing to fetch and nothing to point a user to
            return
        entry_id = entry_identity(self.feed_id, guid, link, title, when)
        if entry_id in self._seen:
            return
        self._seen.add(entry_id)
        self.entries.append(
            FeedEntry(
                feed_id=self.feed_id,
                entry_id=entry_id,
                url=link,
                guid=guid,
                title=title,
                summary=summary[:MAX_SUMMARY_CHARS] if summary else None,
                published_at=when,
                authors=authors,
                language=self.language,
            )
        )


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
            when=_iso(item.get("date_published")) or _iso(item.get("date_modified")),
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
