"""One sanitizing step for every text field that enters a record, whatever its source.

Feed entries, replay lines (JSONL ``title``, ``text``, ``source``, ``language``), a page's
own metadata and cleaned text all pass through :func:`sanitize_article` (or, for a feed
entry, :func:`sanitize_entry`) before anything is derived from them, so no record, event
evidence or alert carries markup a receiver could run:

- entities are decoded and tags stripped, repeatedly until nothing changes (so
  ``&amp;lt;script&amp;gt;`` cannot come back as ``<script>`` after one decode); the
  content of ``<script>``, ``<style>`` and the like is dropped with the tag;
- control characters (C0 and C1, except newline and tab), lone surrogates and Unicode
  noncharacters are dropped: Redis and JSON cannot carry a lone surrogate, and a terminal
  should not receive escape sequences from a feed.

The step is idempotent (``text(text(x)) == text(x)``): a replay of the same input gives the
same record and the same content hash. Plain text without ``<`` or ``&`` takes a fast path
(a regular-expression scan), so cleaned article text costs almost nothing to check.

Values that are not text at all (a title given as a number) are not guessed at:
:func:`optional_text` says what was wrong so the caller can record a warning, and required
fields raise ``BadInput``. Sizes are capped in one place, :func:`check_size`, for page HTML
and article text alike.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from pipeline.errors import BadInput, Unusable
from pipeline.models import Article, FeedEntry

# Elements whose content is code, never words of the article or of a title (an unclosed one
# takes the rest of the value with it, as in a browser; other tags go and their text stays).
_DROP_CONTENT = frozenset({"script", "style", "template"})
_BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})
# C0 controls but tab and newline, DEL and C1, lone surrogates, and the noncharacters U+FDD0..U+FDEF,
# U+FFFE, U+FFFF (the other planes' noncharacters are rare enough to leave to the classifier).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_SUSPECT = re.compile(r"[<&]")
# a tag, a comment, a doctype or processing instruction: what HTMLParser would take as markup
_TAGLIKE = re.compile(r"<[A-Za-z/!?]")
_WS = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")
_MAX_ROUNDS = 4  # each round undoes one level of escaping; more than this is an attack, not a title


class _Text(HTMLParser):
    """Character data of an HTML fragment, without tags, comments or script-like content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _strip_once(value: str) -> str:
    parser = _Text()
    parser.feed(value)
    parser.close()  # an unterminated "<svg onload=..." at the end is dropped, not kept as text
    return "".join(parser.parts)


def strip_markup(value: str) -> str:
    """Tags out and entities decoded, until neither is left (at most a few rounds)."""
    for _ in range(_MAX_ROUNDS):
        if not _SUSPECT.search(value):
            return value
        decoded = html.unescape(value)
        stripped = _strip_once(decoded) if _TAGLIKE.search(decoded) else decoded
        if stripped == value:
            break
        value = stripped
    else:  # escaped deeper than any honest text is: decoded to the end, and no bracket kept
        while (decoded := html.unescape(value)) != value:
            value = decoded
        return value.replace("<", "").replace(">", "")
    # what still looks like the start of a tag (an unterminated "<svg onload=...") loses its bracket
    return _TAGLIKE.sub(lambda m: m.group(0)[1:], value)


def drop_controls(value: str) -> str:
    """Without control characters (but newline and tab), lone surrogates and noncharacters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


def text(value: str, *, multiline: bool = True) -> str:
    """Plain text out of whatever a source gave: markup stripped, entities decoded, controls dropped.

    ``multiline=False`` (titles, names, languages) folds every run of whitespace into one space.
    """
    raw = drop_controls(value)
    value = strip_markup(raw)
    if value is not raw:
        value = drop_controls(value)  # an entity may have decoded to a control character
        if multiline:  # where tags were, spaces and blank lines pile up
            value = _BLANKS.sub("\n\n", "\n".join(_WS.sub(" ", line).strip() for line in value.split("\n")))
    if multiline:
        return value
    return " ".join(value.split())


def optional_text(value: object, field: str, *, multiline: bool = False) -> tuple[str | None, str | None]:
    """(sanitized text or None, a warning or None) for an optional field of unknown type.

    A missing or empty value is simply absent; a value of another type (a number, a list) is
    dropped with a warning that names the field, rather than guessed at or failing the item.
    """
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, f"{field}: expected text, got {type(value).__name__}; ignored"
    cleaned = text(value, multiline=multiline)
    warning = None
    if _CONTROL.search(value.replace("\r", "")):
        warning = f"{field}: control characters or lone surrogates dropped"
    return (cleaned.strip() or None), warning


def required_text(value: object, field: str, *, multiline: bool = True) -> str:
    """Sanitized text of a field an item cannot do without; BadInput when it is not text."""
    if not isinstance(value, str):
        raise BadInput(f"'{field}' must be text, got {type(value).__name__}")
    return text(value, multiline=multiline)


def check_size(value: str, max_bytes: int, field: str) -> None:
    """The one size cap for page HTML and article text: Unusable (``too_large``) past ``max_bytes``."""
    if len(value) * 4 <= max_bytes:  # no UTF-8 character is longer than four bytes: no need to encode
        return
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise Unusable(f"{field} is {size} bytes, over the {max_bytes}-byte cap", code="too_large")


def _one_line(value: str | None) -> str | None:
    if value is None:
        return None
    return text(value, multiline=False) or None


def sanitize_article(article: Article) -> Article:
    """The article with every text field sanitized; the same object when nothing needed it."""
    update = {
        "title": _one_line(article.title),
        "text": text(article.text).strip(),
        "source": _one_line(article.source) or article.source,
        "site_name": _one_line(article.site_name),
        "language": _one_line(article.language),
        "authors": tuple(a for a in (_one_line(a) for a in article.authors) if a),
        "url": drop_controls(article.url),
        "canonical_url": drop_controls(article.canonical_url),
    }
    changed = {k: v for k, v in update.items() if getattr(article, k) != v}
    return article.model_copy(update=changed) if changed else article


def sanitize_entry(entry: FeedEntry) -> FeedEntry:
    """A feed entry with its text fields sanitized (title, summary, authors, language)."""
    update = {
        "title": _one_line(entry.title),
        "summary": text(entry.summary).strip() or None if entry.summary is not None else None,
        "authors": tuple(a for a in (_one_line(a) for a in entry.authors) if a),
        "language": _one_line(entry.language),
        "url": drop_controls(entry.url),
        "guid": drop_controls(entry.guid) if entry.guid is not None else None,
    }
    changed = {k: v for k, v in update.items() if getattr(entry, k) != v}
    return entry.model_copy(update=changed) if changed else entry
