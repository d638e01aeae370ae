"""Article -> fingerprints; fingerprints + what the store already holds -> DedupVerdict.

Pure: the store looks up the claims under a WATCH and hands them here, then
writes the verdict and the record in the same transaction (see
``workers.store``), so two workers racing on one article cannot both win.

Exact duplicates only, for now: the same canonical URL (the same article,
maybe revised) or the same normalized text under another URL (a copy).
"""

from __future__ import annotations

import re

from pipeline.models import Article, DedupVerdict, Fingerprints
from pipeline.urls import article_id, digest

_NON_WORD = re.compile(r"\W+", re.UNICODE)


BODY_LINE_WORDS = 8  # shorter lines are headlines, captions, bylines: what a republisher changes


def content_key(text: str) -> str:
    """The body reduced to what a reader would call 'the same words'.

    Case, spacing and punctuation are dropped, and so are short lines (a headline, a photo
    caption, a byline), which an outlet republishing wire copy rewrites while the body stays.
    """
    lines = [_NON_WORD.sub(" ", line.casefold()).strip() for line in text.splitlines()]
    body = [line for line in lines if line.count(" ") + 1 >= BODY_LINE_WORDS]
    return "\n".join(body or lines)


def fingerprint(article: Article) -> Fingerprints:
    return Fingerprints(
        article_id=article_id(article.canonical_url),
        url_hash=digest(article.canonical_url, 32),
        content_hash=digest(content_key(article.text), 32),
    )


def decide(
    fps: Fingerprints, *, same_url_content_hash: str | None, same_content_owner: str | None
) -> DedupVerdict:
    """The verdict for an article given the claims already held.

    ``same_url_content_hash``: content hash of the record already stored under
    this canonical URL, if any. ``same_content_owner``: id of the record that
    claimed this content hash, if any.
    """
    if same_url_content_hash is not None:
        if same_url_content_hash == fps.content_hash:
            return DedupVerdict(status="unchanged", duplicate_of=fps.article_id, reason="same URL, same text")
        return DedupVerdict(status="revision", duplicate_of=fps.article_id, reason="same URL, text changed")
    if same_content_owner is not None and same_content_owner != fps.article_id:
        return DedupVerdict(
            status="duplicate", duplicate_of=same_content_owner, reason="same text, other URL"
        )
    return DedupVerdict(status="unique")
