"""Feed bytes -> entries (feedparser), with each entry's identity fixed once.

feedparser reads almost anything (RSS 0.9x-2.0, Atom, RDF, broken XML); what
it cannot read is a ``ParseError``; what it reads with complaints ("bozo")
is used, and the complaint is kept for the feed's status.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser

from pipeline.errors import ParseError
from pipeline.models import FeedEntry, Frozen
from pipeline.urls import canonical_url, digest


class ParsedFeed(Frozen):
    title: str | None = None
    entries: tuple[FeedEntry, ...] = ()
    ttl_s: int | None = None
    problem: str | None = None


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


def parse_feed(
    data: bytes,
    *,
    feed_id: str,
    base_url: str | None = None,
    language: str | None = None,
    content_type: str | None = None,
) -> ParsedFeed:
    """Entries of one feed document; raises ParseError when nothing usable is in it."""
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(data, response_headers=headers, resolve_relative_uris=True, sanitize_html=True)
    problem = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        problem = f"{type(exc).__name__}: {exc}" if exc else "malformed feed"
    if not parsed.entries and not parsed.feed:
        raise ParseError(f"not a feed: {problem or 'no feed element found'}")
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for raw in parsed.entries:
        link = raw.get("link") or ""
        if not link:
            for alt in raw.get("links", []):
                if alt.get("href"):
                    link = alt["href"]
                    break
        if base_url and link and "://" not in link:
            link = urljoin(base_url, link)
        if not link.startswith(("http://", "https://")):
            continue  # nothing to fetch and nothing to point a user to
        when = _when(raw)
        guid = raw.get("id") or None
        entry_id = entry_identity(feed_id, guid, link, raw.get("title"), when)
        if entry_id in seen:
            continue
        seen.add(entry_id)
        authors = tuple(a.get("name", "").strip() for a in raw.get("authors", []) if a.get("name"))
        entries.append(
            FeedEntry(
                feed_id=feed_id,
                entry_id=entry_id,
                url=link,
                guid=guid,
                title=(raw.get("title") or None),
                summary=(raw.get("summary") or None),
                published_at=when,
                authors=authors,
                language=language or parsed.feed.get("language") or None,
            )
        )
    ttl = parsed.feed.get("ttl")
    ttl_s = int(ttl) * 60 if isinstance(ttl, str) and ttl.strip().isdigit() else None
    return ParsedFeed(title=parsed.feed.get("title"), entries=tuple(entries), ttl_s=ttl_s, problem=problem)
