"""Page -> Article: article text and metadata out of raw HTML.

trafilatura does the extraction; around it we add what a monitor needs: a
size cap before parsing, metadata taken from the feed entry first (the
publisher's own claim) and from the page second, with the source of each field
recorded, dates checked for sanity, and the language identified.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import lxml.html
import py3langid
import trafilatura
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
)
from trafilatura.settings import Document
from trafilatura.utils import decode_file, repair_faulty_html

from pipeline import boilerplate, byline, dates
from pipeline.dedup import content_key
from pipeline.errors import Unusable
from pipeline.models import Article, DatePrecision, Page, Removal
from pipeline.templates import SiteTemplates, strip_template_lines
from pipeline.urls import canonical_url, digest, host_of, page_canonical

# The options every extraction uses, live and in benchmarks (so "bare trafilatura
# with the same options" in benchmarks/replay.py means exactly these).
EXTRACT_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "with_metadata": True,
}

MAX_HTML_BYTES = 5 * 1024 * 1024
# A news page has a few thousand elements; past this many, parsing alone takes seconds and
# nothing in it is one article (a log dump, a generated list, a hostile page).
MAX_TAGS = 150_000
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


class RawHtml(NamedTuple):
    """A page's bytes as they were read (``gzip``: as a .gz file holds them), to be decoded where it
    is cleaned: a worker's threads share one process, its cleaner processes have a core each."""

    data: bytes
    charset: str | None = None
    gzip: bool = False

    def unpacked(self, max_bytes: int) -> bytes:
        """The bytes, unpacked; Unusable ``too_large`` past ``max_bytes`` (a small file may unpack
        to gigabytes: it is never unpacked further), ``undecodable`` when the gzip stream is damaged."""
        if not self.gzip:
            if len(self.data) > max_bytes:
                raise Unusable(
                    f"page is {len(self.data)} bytes, over the {max_bytes}-byte cap", code="too_large"
                )
            return self.data
        out, rest = bytearray(), self.data
        try:
            while rest and len(out) <= max_bytes:  # a .gz file may hold several members, one after another
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                out += inflater.decompress(rest, max_bytes + 1 - len(out))
                if inflater.unconsumed_tail:  # stopped at the cap
                    break
                if not inflater.eof:
                    raise Unusable("the gzip file ends before its data does", code="undecodable")
                rest = inflater.unused_data
        except zlib.error as exc:
            raise Unusable(f"the gzip file is damaged: {exc}", code="undecodable") from None
        if len(out) > max_bytes:
            raise Unusable(f"page unpacks to over the {max_bytes}-byte cap", code="too_large")
        return bytes(out)

    def text(self, max_bytes: int) -> str:
        return decode_html(self.unpacked(max_bytes), self.charset)


def extract(html: str, url: str | None = None) -> Document | None:
    """Bare trafilatura, with the pipeline's options."""
    result = trafilatura.bare_extraction(html, url=url, **EXTRACT_OPTIONS)
    return result if isinstance(result, Document) else None


def _extracted_text(tree: Any, url: str | None, **options: Any) -> str:
    result = trafilatura.bare_extraction(tree, url=url, **options)
    return (result.text or "") if isinstance(result, Document) else ""


# trafilatura without metadata (pipeline.clean reads it itself, from the same parse): first
# without its comparison with readability and justext (``fast``), which costs a third of a run
# and changes the text of few pages; then with the full cascade only when the fast run has likely
# missed the article: it kept less than FULL_RUN_BELOW_CHARS, or its text is mostly the page's own
# link texts (LINK_DUMP_SHARE: a menu or a list of links taken for the article; the full run's
# text is kept only when it is not).
FAST_OPTIONS: dict[str, Any] = {**EXTRACT_OPTIONS, "with_metadata": False, "fast": True}
FULL_OPTIONS: dict[str, Any] = {**EXTRACT_OPTIONS, "with_metadata": False}
FULL_RUN_BELOW_CHARS = 500
LINK_DUMP_SHARE = 0.5


def _clean_text(tree: HtmlElement, url: str | None) -> tuple[str, list[tuple[str, str]]]:
    """Our article text out of a parsed page (the tree is pruned in place), and what was cut."""
    titles = boilerplate.page_titles(tree)
    removed = boilerplate.prune_tree(tree)
    links, headlines = boilerplate.link_texts(tree), boilerplate.headline_keys(tree)
    parts = boilerplate.body_parts(tree)
    boilerplate.mark_repeated_text(tree)
    headings = boilerplate.inner_headings(tree)
    text = _extracted_text(tree, url, **FAST_OPTIONS)
    if len(text) < FULL_RUN_BELOW_CHARS:
        text = _extracted_text(tree, url, **FULL_OPTIONS) or text
    elif boilerplate.is_link_dump(text, links, share=LINK_DUMP_SHARE):
        full = _extracted_text(tree, url, **FULL_OPTIONS)
        if full and not boilerplate.is_link_dump(full, links, share=LINK_DUMP_SHARE):
            text = full
    text = boilerplate.restore_headings(text, headings)
    text = boilerplate.continue_article(boilerplate.unmark(text), parts)
    text, cut = boilerplate.trim_link_lines(text, links, headlines=headlines)
    removed += cut
    text, cut = boilerplate.strip_boilerplate(text, titles=titles)
    return normalize_text(text), removed + cut


# trafilatura's own parser, with lxml's C-level element class lookup instead of lxml.html's
# Python one: every element the extraction touches gets its proxy without a Python call
# (about 4% of an extraction on the extraction benchmark). The classes are the same HtmlElement.
_PARSER = HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)


def parse_html(html: str) -> HtmlElement | None:
    """The page as a tree, as trafilatura.utils.load_html parses it (same repairs and checks)."""
    beginning = html[:50].lower()
    html = repair_faulty_html(html, beginning)
    tree = None
    try:
        tree = lxml.html.fromstring(html, parser=_PARSER)
    except ValueError:  # a string with an encoding declaration: parse its bytes
        pass
    except etree.LxmlError:
        return None
    if tree is None or len(tree) < 1:
        try:
            tree = lxml.html.fromstring(html.encode("utf8", "surrogatepass"), parser=_PARSER)
        except (ValueError, etree.LxmlError):
            return None
    if "html" not in beginning and len(tree) < 2:  # not an HTML document at all
        return None
    return tree


def extract_text_with_removals(html: str, url: str | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Article text with the boilerplate taken out, and what was taken out and why.

    The page is parsed once; never-article boxes are pruned from the tree and repeated
    paragraphs marked, trafilatura runs on it once without its external comparison (again with
    it only when that run kept too little or mostly link text: see FULL_RUN_BELOW_CHARS and
    LINK_DUMP_SHARE), the subheadings it dropped between two of its paragraphs go back in
    place, and pipeline.boilerplate cuts the leading run of
    link lines (measured on the page's own links) and the boilerplate lines. Measured on
    both extraction benchmarks: see benchmarks/extraction.py.
    """
    tree = parse_html(html)
    if tree is None:
        return "", []
    return _clean_text(tree, url)


@dataclass
class PageExtraction:
    """What one page gives: cleaned text, what was cut, and the page's own metadata."""

    text: str = ""
    removed: list[tuple[str, str]] = field(default_factory=list)
    title: str | None = None
    date: str | None = None
    author: str | None = None
    sitename: str | None = None
    language: str | None = None


def _date_params(now: datetime) -> dict[str, Any]:
    # htmldate without its extensive search: the page's markup (meta tags, JSON-LD, <time>)
    # and no scan of the free text, which costs a third of a bare extraction on the
    # extraction benchmark and only serves pages whose feed gave no date anyway.
    return {
        "extensive_search": False,
        "original_date": True,
        "outputformat": "%Y-%m-%dT%H:%M:%S%z",
        "max_date": now.strftime("%Y-%m-%d"),
    }


def extract_page(
    html: str,
    url: str | None = None,
    *,
    need_title: bool = True,
    need_date: bool = True,
    need_author: bool = True,
    now: datetime | None = None,
) -> PageExtraction:
    """Text (as extract_text_with_removals) and metadata out of one parse of the page.

    Metadata is read from the untouched tree before boilerplate pruning (which edits the
    tree), and only what the caller still needs is looked for: a feed entry that gave a
    title, a date and authors spares the page searches.
    """
    tree = parse_html(html)
    if tree is None:
        return PageExtraction()
    meta = examine_meta(tree)
    with contextlib.suppress(Exception):  # trafilatura's JSON-LD reader raises on odd markup
        meta = extract_meta_json(tree, meta)
    out = PageExtraction(sitename=meta.sitename or None, language=_html_lang(tree))
    if meta.sitename is None:
        out.sitename = extract_sitename(tree)
    if need_title:
        out.title = meta.title or extract_title(tree)
    if need_date:
        # the page's markup only: a date in the URL is pipeline.dates' fallback, where it keeps
        # its precision (/2024/03/ is a month) and says it came from the URL ("" stops htmldate
        # from reading the URL, or the canonical link's)
        out.date = find_date(tree, url="", **_date_params(now or datetime.now(UTC)))
    author = meta.author if meta.author and " " in meta.author else None
    out.text, out.removed = _clean_text(tree, url)
    if need_author and author is None:
        found = byline.find_byline(tree)  # trafilatura's byline search, at a third of its cost
        author = normalize_authors(None, boilerplate.unmark(found)) if found else None
    out.author = author
    return out


def _html_lang(tree: HtmlElement) -> str | None:
    value = tree.get("lang") or tree.get("xml:lang")
    return value.strip() or None if value else None


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


_WS = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """NFC, one space between words, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text)
    lines = [_WS.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code: the publisher's hint when it agrees with the script, else a classifier's guess."""
    sample = text[:1000]  # py3langid is linear in the sample; 1000 characters settle it
    guess: str | None = None
    if len(sample) >= 20:
        guess = str(py3langid.classify(sample)[0])
    if hint:
        primary = hint.strip().lower().replace("_", "-").split("-")[0]
        if len(primary) == 2 and (guess is None or guess == primary or len(sample) < 200):
            return primary
    return guess


MAX_TITLE_CHARS = 400
MAX_AUTHOR_CHARS = 120


def _sane_title(value: str | None) -> str | None:
    """A headline we believe: some words, not a URL, not a page's worth of text."""
    if not value:
        return None
    value = " ".join(value.split())
    if not value or len(value) > MAX_TITLE_CHARS or value.startswith(("http://", "https://")):
        return None
    return value if any(c.isalnum() for c in value) else None


def _sane_authors(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    names = (" ".join(v.split()) for v in values)
    return tuple(n for n in names if n and len(n) <= MAX_AUTHOR_CHARS and any(c.isalpha() for c in n))


def clean(
    page: Page,
    *,
    now: datetime | None = None,
    max_html_bytes: int = MAX_HTML_BYTES,
    templates: SiteTemplates | None = None,
) -> Article:
    """Extract one article from a page; raises Unusable when there is no article in it.

    Title, date and authors come from the feed entry when it has sane ones, else from the
    page; ``field_sources`` says which. ``templates`` are the source's learned template
    lines (pipeline.templates), stripped after the line rules; ``removed`` lists every cut.
    """
    now = now or datetime.now(UTC)
    size = len(page.html.encode("utf-8", "ignore"))
    if size > max_html_bytes:
        raise Unusable(f"page is {size} bytes, over the {max_html_bytes}-byte cap", code="too_large")
    tags = page.html.count("<")
    if tags > MAX_TAGS:
        raise Unusable(f"page has about {tags} tags, over the {MAX_TAGS} cap", code="too_complex")
    url = page.final_url or page.url
    entry = page.entry
    # a replayed line's own title and date play the feed entry's part; they are its input's
    claimed_by = "input" if page.origin == "replay" and entry and entry.feed_id == "replay" else "feed"
    title = _sane_title(entry.title) if entry else None
    entry_date = (
        dates.DateReading(entry.published_at, entry.published_precision, claimed_by)
        if entry and entry.published_at
        else None
    )
    authors = _sane_authors(entry.authors) if entry else ()
    warnings = [*page.warnings, *(entry.warnings if entry else ())]
    if entry and len(authors) < len(entry.authors):
        warnings.append(f"authors from {claimed_by}: dropped names that are not names: {entry.authors!r}")
    sources: dict[str, str] = {}
    for name, value in (("title", title), ("authors", authors)):
        if value:
            sources[name] = claimed_by

    need_date = entry_date is None or not dates.plausible(entry_date.at, now)
    doc = extract_page(
        page.html, url, need_title=not title, need_date=need_date, need_author=not authors, now=now
    )
    text, cut = strip_template_lines(doc.text, templates)
    if len(text) < MIN_TEXT_CHARS:
        raise Unusable(f"no article text found ({len(text)} characters)", code="no_text")

    if not title and (title := _sane_title(doc.title)):
        sources["title"] = "page"
    published, date_warnings = dates.published_date(
        [(claimed_by, entry_date), ("page", doc.date)],
        url=url,
        text=text,
        fetched_at=page.fetched_at,
        now=now,
        live=page.origin == "feed",
    )
    sources["published_at"] = published.source
    warnings.extend(date_warnings)
    if not authors and doc.author and (authors := _sane_authors(doc.author.split(";"))):
        sources["authors"] = "page"

    return Article(
        url=page.url,
        canonical_url=canonical_url(page_canonical(page.html, url) or url),
        source=page.source or host_of(url),
        title=title,
        text=text,
        published_at=None if published.source == "fetched" else published.at,
        published_precision=published.precision,
        authors=authors,
        language=detect_language(text, (entry.language if entry else None) or doc.language),
        site_name=doc.sitename or None,
        feed_id=page.feed_id,
        entry_id=entry.entry_id if entry else None,
        fetched_at=page.fetched_at,
        origin=page.origin,
        removed=tuple(Removal(text=t, reason=r) for t, r in [*doc.removed, *cut]),
        page_hash=digest(content_key(doc.text), 32),
        field_sources=sources,
        warnings=tuple(warnings),
    )


def article_from_text(
    *,
    url: str,
    text: str,
    title: str | None = None,
    published_at: object = None,
    source: str | None = None,
    language: str | None = None,
    now: datetime | None = None,
    published_precision: DatePrecision | None = None,
    warnings: tuple[str, ...] | list[str] = (),
) -> Article:
    """An Article from text that is already clean (a replayed backlog line with ``text``).

    ``published_at`` is a datetime (of ``published_precision``) or any form pipeline.dates reads;
    without a readable one, the date comes from the URL, the dateline or the time of reading.
    """
    now = now or datetime.now(UTC)
    text = normalize_text(text)
    if len(text) < MIN_TEXT_CHARS:
        raise Unusable(f"article text too short ({len(text)} characters)", code="no_text")
    claimed = (
        dates.DateReading(published_at, published_precision or "day", "input")
        if isinstance(published_at, datetime)
        else published_at
    )
    published, date_warnings = dates.published_date(
        [("input", claimed)], url=url, text=text, fetched_at=now, now=now, live=False
    )
    return Article(
        url=url,
        canonical_url=canonical_url(url),
        source=source or host_of(url),
        title=title,
        text=text,
        published_at=None if published.source == "fetched" else published.at,
        published_precision=published.precision,
        language=detect_language(text, language),
        origin="replay",
        fetched_at=now,
        field_sources={**({"title": "input"} if title else {}), "published_at": published.source},
        warnings=(*warnings, *date_warnings),
    )
