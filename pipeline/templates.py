"""Site templates: lines an outlet prints in every article, learned from its own articles.

Pure functions, no I/O (the counts live in Redis: see workers/templates.py). A
line is reduced to a fingerprint (a short hash of its lower-case words, so
spacing, punctuation and case do not matter); for each source we count in how
many *distinct* articles each fingerprint appeared. A line is template when it
appeared in at least ``MIN_ARTICLES`` articles of that source and in at least
``MIN_SHARE`` of that source's articles seen since it was first counted (so a
template introduced by a redesign is learned as fast as an old one): a footer or a
"button that moves to the original article" line recurs in nearly every article,
while a quote an outlet repeats in two or three stories never gets there.

Lines too short to mean anything alone ("More", "Share") are left to the line
rules of pipeline.boilerplate; lines too long to be furniture (a paragraph) are
never counted, so a long paragraph repeated across a series is never stripped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.models import Article

# A template line recurs across many articles; a repeated quote across two or three.
MIN_ARTICLES = 6
MIN_SHARE = 0.5
# Lines longer than this are paragraphs of news, whatever their count.
MAX_LINE_CHARS = 240
MIN_LINE_WORDS = 2
# Never strip more than this share of an article's lines: a source whose articles are all
# alike (or one article replayed under many URLs) must not be emptied.
MAX_STRIP_SHARE = 0.5
REASON = "site template"

_WORD = re.compile(r"\w+")


def fingerprint(line: str) -> str | None:
    """A line's fingerprint, or None when the line is not a candidate (too short or too long)."""
    line = line.strip()
    if not line or len(line) > MAX_LINE_CHARS:
        return None
    words = _WORD.findall(line.lower())
    if len(words) < MIN_LINE_WORDS:
        return None
    return hashlib.blake2b(" ".join(words).encode(), digest_size=8).hexdigest()


def fingerprints(lines: Iterable[str]) -> list[str]:
    """The distinct fingerprints of some lines, in order of first appearance."""
    seen: dict[str, None] = {}
    for line in lines:
        fp = fingerprint(line)
        if fp is not None:
            seen.setdefault(fp)
    return list(seen)


def learnable_lines(article: Article) -> list[str]:
    """The lines of an article as cleaned before template stripping: what the counts learn from.

    They are the article's text plus the lines taken out as site template (taking those out
    must not make them look rarer), so no extra field on Article is needed.
    """
    lines = article.text.split("\n")
    lines += [r.text for r in article.removed if r.reason.startswith(REASON)]
    return lines


@dataclass(frozen=True)
class LineCount:
    """In how many distinct articles a line appeared, out of the source's articles since its first."""

    articles: int
    span: int


@dataclass(frozen=True)
class SiteTemplates:
    """What is known of one source's template: line counts over its distinct articles."""

    source: str
    lines: dict[str, LineCount] = field(default_factory=dict)
    min_articles: int = MIN_ARTICLES
    min_share: float = MIN_SHARE

    def count(self, fp: str) -> int:
        hit = self.lines.get(fp)
        return hit.articles if hit else 0

    def is_template(self, fp: str) -> bool:
        hit = self.lines.get(fp)
        if hit is None:
            return False
        return hit.articles >= self.min_articles and hit.articles >= self.min_share * max(1, hit.span)


def strip_template_lines(text: str, templates: SiteTemplates | None) -> tuple[str, list[tuple[str, str]]]:
    """Text without the source's template lines, and what was removed (text, reason)."""
    if templates is None or not templates.lines:
        return text, []
    lines = text.split("\n")
    hits = []
    for i, line in enumerate(lines):
        fp = fingerprint(line)
        if fp is not None and templates.is_template(fp):
            hits.append(i)
    content = sum(1 for line in lines if line.strip())
    if not hits or len(hits) > MAX_STRIP_SHARE * content:
        return text, []
    drop = set(hits)
    removed = [
        (
            lines[i].strip(),
            f"{REASON} (in {templates.count(fingerprint(lines[i]) or '')} articles of {templates.source})",
        )
        for i in hits
    ]
    kept = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    return kept.strip(), removed
