"""Page -> Article: article text and metadata out of raw HTML.

trafilatura does the extraction; around it we add what a monitor needs: a
size cap before parsing, metadata taken from the feed entry first (the
publisher's own claim) and from the page second, with the source of each field
recorded, dates checked for sanity, and the language identified.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import py3langid
import trafilatura
from trafilatura.settings import Document
from trafilatura.utils import decode_file

from pipeline.errors import Unusable
from pipeline.models import Article, Page
from pipeline.urls import canonical_url, host_of

# The options every extraction uses, live and in benchmarks (so "bare trafilatura
# with the same options" in benchmarks/replay.py means exactly these).
EXTRACT_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "with_metadata": True,
}

MAX_HTML_BYTES = 5 * 1024 * 1024
MIN_TEXT_CHARS = 80
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


def decode_html(body: bytes, charset: str | None = None) -> str:
    """Bytes of a page as text: the declared charset when it decodes cleanly, else a detected one."""
    if charset:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_file(body)


def extract(html: str, url: str | None = None) -> Document | None:
    """Bare trafilatura, with the pipeline's options."""
    result = trafilatura.bare_extraction(html, url=url, **EXTRACT_OPTIONS)
    return result if isinstance(result, Document) else None


def _extracted_text(tree: Any, url: str | None, **options: Any) -> str:
    result = trafilatura.bare_extraction(tree, url=url, **options)
    return (result.text or "") if isinstance(result, Document) else ""


def extract_text_with_removals(html: str, url: str | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Article text with the boilerplate taken out, and what was taken out and why.

    The page is parsed once; trafilatura runs on it as is and with favor_precision
    (without metadata and without its own fallbacks, which is what pays for the second
    run), and pipeline.boilerplate merges the two and strips boilerplate lines. When
    the precision run lost the article, trafilatura's full fallback chain decides instead.
    Calibrated on the extraction benchmark: see benchmarks/extraction.py.
    """
    from trafilatura.utils import load_html

    from pipeline import boilerplate

    tree = load_html(html)
    if tree is None:
        return "", []
    removed = boilerplate.prune_tree(tree)
    options = {**EXTRACT_OPTIONS, "with_metadata": False, "fast": True}
    default = _extracted_text(tree, url, **options)
    precise = _extracted_text(tree, url, **options, favor_precision=True)
    if boilerplate.precision_run_failed(default, precise):
        text = _extracted_text(tree, url, **{**options, "fast": False})
    else:
        text, cut = boilerplate.merge_extractions(default, precise)
        removed += cut
    text, cut = boilerplate.strip_boilerplate(text, titles=boilerplate.page_titles(tree))
    return normalize_text(text), removed + cut


def extract_text(html: str, url: str | None = None) -> str:
    """Our cleaned article text (see extract_text_with_removals); "" when there is none."""
    return extract_text_with_removals(html, url)[0]


def sane_date(value: datetime | None, *, now: datetime) -> datetime | None:
    """A publication date we believe: aware UTC, not before 1990, not in the future."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value < EARLIEST or value > now + FUTURE_SLACK:
        return None
    return value


def _page_date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


_WS = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """NFC, one space between words, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text)
    lines = [_WS.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code: the publisher's hint when it agrees with the script, else a classifier's guess."""
    sample = text[:2000]
    guess: str | None = None
    if len(sample) >= 20:
        guess = str(py3langid.classify(sample)[0])
    if hint:
        primary = hint.strip().lower().replace("_", "-").split("-")[0]
        if len(primary) == 2 and (guess is None or guess == primary or len(sample) < 200):
            return primary
    return guess


def clean(page: Page, *, now: datetime | None = None, max_html_bytes: int = MAX_HTML_BYTES) -> Article:
    """Extract one article from a page; raises Unusable when there is no article in it."""
    now = now or datetime.now(UTC)
    size = len(page.html.encode("utf-8", "ignore"))
    if size > max_html_bytes:
        raise Unusable(f"page is {size} bytes, over the {max_html_bytes}-byte cap", code="too_large")
    url = page.final_url or page.url
    doc = extract(page.html, url)
    text = normalize_text(doc.text or "") if doc else ""
    if len(text) < MIN_TEXT_CHARS:
        raise Unusable(f"no article text found ({len(text)} characters)", code="no_text")
    assert doc is not None
    entry = page.entry
    sources: dict[str, str] = {}

    title = entry.title.strip() if entry and entry.title and entry.title.strip() else None
    sources["title"] = "feed" if title else "page"
    title = title or (doc.title or None)

    published = sane_date(entry.published_at, now=now) if entry else None
    if published:
        sources["published_at"] = "feed"
    else:
        published = sane_date(_page_date(doc.date), now=now)
        if published:
            sources["published_at"] = "page"

    authors: tuple[str, ...] = entry.authors if entry and entry.authors else ()
    if authors:
        sources["authors"] = "feed"
    elif doc.author:
        authors = tuple(a.strip() for a in doc.author.split(";") if a.strip())
        sources["authors"] = "page"

    return Article(
        url=page.url,
        canonical_url=canonical_url(url),
        source=page.source or host_of(url),
        title=title,
        text=text,
        published_at=published,
        authors=authors,
        language=detect_language(text, (entry.language if entry else None) or doc.language),
        site_name=doc.sitename or None,
        feed_id=page.feed_id,
        entry_id=entry.entry_id if entry else None,
        fetched_at=page.fetched_at,
        origin=page.origin,
        field_sources=sources,
    )


def article_from_text(
    *,
    url: str,
    text: str,
    title: str | None = None,
    published_at: datetime | None = None,
    source: str | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> Article:
    """An Article from text that is already clean (a replayed backlog line with ``text``)."""
    now = now or datetime.now(UTC)
    text = normalize_text(text)
    if len(text) < MIN_TEXT_CHARS:
        raise Unusable(f"article text too short ({len(text)} characters)", code="no_text")
    published = sane_date(published_at, now=now)
    return Article(
        url=url,
        canonical_url=canonical_url(url),
        source=source or host_of(url),
        title=title,
        text=text,
        published_at=published,
        language=detect_language(text, language),
        origin="replay",
        fetched_at=now,
        field_sources={k: "input" for k, v in (("title", title), ("published_at", published)) if v},
    )
