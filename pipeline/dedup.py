"""Article -> fingerprints; fingerprints + what the store already holds -> DedupVerdict.

Pure: the store reads the claims and the near-duplicate candidates under a
WATCH, hands them here, and writes the verdict with the record in the same
transaction (``workers.store``), so two workers racing on two copies of one
article store one unique record and one near-duplicate, never two uniques.

Three levels, cheapest first:

1. the same canonical URL: the same article (``unchanged``), or a ``revision`` if its text changed;
2. the same body under another URL (``content_key``: case, punctuation and short lines such as
   headlines, captions and bylines ignored): an exact ``duplicate``;
3. MinHash LSH over word shingles of the body: candidates from Redis buckets, then checked
   exactly: a ``near_duplicate`` when the bodies overlap (Jaccard >= NEAR_JACCARD) *and* so do their
   leads (the first LEAD_WORDS words, where a news story says what is new). Two different stories
   that share background paragraphs (wire copy often repeats three of them) share shingles but not
   their leads, so they stay apart.

Shingles, threshold and bands were chosen by measurement (``python benchmarks/dedup.py
--calibrate``, 300 synthetic pairs of each kind, 5-word shingles): reprints under another outlet's
header and footer measure body Jaccard 0.96-0.98, one edited sentence 0.95-0.98, a reprint cut to
its first two thirds 0.48-0.78 (lead 1.0); different stories sharing three background paragraphs
0.10-0.29 with lead overlap 0, unrelated articles below 0.10. NEAR_JACCARD = 0.5 with NEAR_LEAD = 0.5
separates them (all reprints and edits, 299 of 300 shortened reprints, no false pair). 16 bands of
4 rows put the LSH threshold at (1/16)^(1/4) = 0.50: a pair at Jaccard 0.7 becomes a candidate with
probability 0.988, at 0.9 with 1.0, at 0.3 with 0.12 (then dropped by the exact check).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import rensa

from pipeline.models import Article, DedupVerdict, Fingerprints
from pipeline.urls import article_id, digest

_NON_WORD = re.compile(r"\W+", re.UNICODE)

BODY_LINE_WORDS = 8  # shorter lines are headlines, captions, bylines: what a republisher changes
SHINGLE_WORDS = 5
BANDS, ROWS = 16, 4
MINHASH_SEED = 20240313
NEAR_JACCARD = 0.5
LEAD_WORDS = 80
NEAR_LEAD = 0.5
# a reprint cut short, or under an intro of its own: most of the shorter body lies inside the longer,
# and so does one of the two leads (stories sharing background paragraphs share neither lead)
NEAR_CONTAINED = 0.4
NEAR_LEAD_INSIDE = 0.35
MIN_CONTAINED_SHINGLES = 20
ANCHOR_SENTENCES = 6  # the first body sentences, each a bucket of its own: reprints keep them verbatim
ANCHOR_WORDS = 8
BUCKET_SHARD_HEX = 4  # buckets are fields of 16^4 hashes per band: compact in Redis at any size


def body_lines(text: str) -> list[str]:
    """The body as normalized lines: case, spacing and punctuation dropped, short lines left out."""
    lines = [_NON_WORD.sub(" ", line.casefold()).strip() for line in text.splitlines()]
    body = [line for line in lines if line.count(" ") + 1 >= BODY_LINE_WORDS]
    return body or [line for line in lines if line]


def content_key(text: str) -> str:
    """The body reduced to what a reader would call 'the same words' (for the exact-copy claim)."""
    return "\n".join(body_lines(text))


def shingles(words: list[str], size: int = SHINGLE_WORDS) -> set[str]:
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


@dataclass(frozen=True)
class Body:
    """What near-duplicate checks compare: all shingles of the body and those of its lead."""

    all: frozenset[str]
    lead: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Body:
        return cls.of_lines(body_lines(text))

    @classmethod
    def of_lines(cls, lines: list[str]) -> Body:
        words = " ".join(lines).split()
        return cls(all=frozenset(shingles(words)), lead=frozenset(shingles(words[:LEAD_WORDS])))


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


_SENTENCE = re.compile(r"(?<=[.!?。])\s+")


def anchors(text: str) -> tuple[str, ...]:
    """Buckets for the first sentences of the body, each as it reads (``s:{hash}``): a reprint that
    shares little of its body by Jaccard (cut short, a new intro) still shares these verbatim."""
    out: list[str] = []
    for line in text.splitlines():
        for sentence in _SENTENCE.split(line):
            words = _NON_WORD.sub(" ", sentence.casefold()).split()
            if len(words) >= ANCHOR_WORDS:
                out.append(f"s:{digest(' '.join(words), 16)}")
                if len(out) == ANCHOR_SENTENCES:
                    return tuple(dict.fromkeys(out))
    return tuple(dict.fromkeys(out))


def lsh_bands(body: Body) -> tuple[str, ...]:
    """One bucket per band: ``{band}:{hash of the band's rows}``."""
    if not body.all:
        return ()
    mh = rensa.RMinHash(num_perm=BANDS * ROWS, seed=MINHASH_SEED)
    mh.update(sorted(body.all))
    sig = mh.digest()
    return tuple(
        f"{band}:{digest(','.join(map(str, sig[band * ROWS : (band + 1) * ROWS])), 12)}"
        for band in range(BANDS)
    )


def fingerprint(article: Article) -> Fingerprints:
    lines = body_lines(article.text)  # once, for the exact-copy claim and the LSH buckets alike
    content_hash = digest("\n".join(lines), 32)  # = content_key(article.text)
    return Fingerprints(
        article_id=article_id(article.canonical_url),
        url_hash=digest(article.canonical_url, 32),
        content_hash=content_hash,
        revision_hash=article.page_hash or content_hash,
        bands=lsh_bands(Body.of_lines(lines)) + anchors(article.text),
    )


@dataclass(frozen=True)
class Similarity:
    candidate_id: str
    jaccard: float
    lead: float
    contained: float = 0.0  # share of the shorter body's shingles inside the longer
    lead_inside: float = 0.0  # share of one lead's shingles inside the other body (the larger way)

    @property
    def near(self) -> bool:
        if self.jaccard >= NEAR_JACCARD and self.lead >= NEAR_LEAD:
            return True
        return self.contained >= NEAR_CONTAINED and self.lead_inside >= NEAR_LEAD_INSIDE

    @property
    def reason(self) -> str:
        if self.jaccard >= NEAR_JACCARD and self.lead >= NEAR_LEAD:
            return f"body overlap {self.jaccard:.2f}, lead overlap {self.lead:.2f}"
        return (
            f"{self.contained:.2f} of the shorter body inside the other, lead {self.lead_inside:.2f} inside"
        )


def _inside(part: frozenset[str], whole: frozenset[str]) -> float:
    return len(part & whole) / len(part) if part else 0.0


def similarity(cid: str, mine: Body, other: Body) -> Similarity:
    shorter, longer = (mine.all, other.all) if len(mine.all) <= len(other.all) else (other.all, mine.all)
    contained = _inside(shorter, longer) if len(shorter) >= MIN_CONTAINED_SHINGLES else 0.0
    return Similarity(
        cid,
        round(jaccard(mine.all, other.all), 3),
        round(jaccard(mine.lead, other.lead), 3),
        round(contained, 3),
        round(max(_inside(mine.lead, other.all), _inside(other.lead, mine.all)), 3),
    )


def compare(text: str, candidates: dict[str, str]) -> list[Similarity]:
    """Exact similarity of a body to each candidate body (by id), nearest first."""
    mine = Body.of(text)
    out = [similarity(cid, mine, Body.of(other)) for cid, other in candidates.items()]
    return sorted(out, key=lambda s: (not s.near, -s.jaccard, -s.contained, s.candidate_id))


def decide(
    fps: Fingerprints,
    *,
    same_url_content_hash: str | None,
    same_content_owner: str | None,
    similar: list[Similarity] | None = None,
) -> DedupVerdict:
    """The verdict for an article given the claims already held and its near-duplicate candidates.

    ``same_url_content_hash``: the revision hash of the record already stored under this canonical
    URL, if any (the page's own text, before learned template lines were stripped).
    ``same_content_owner``: id of the record that claimed this content hash, if any.
    ``similar``: exact similarities to the LSH candidates (see ``compare``).
    """
    if same_url_content_hash is not None:
        if same_url_content_hash in (fps.revision_hash, fps.content_hash):
            return DedupVerdict(status="unchanged", duplicate_of=fps.article_id, reason="same URL, same text")
        return DedupVerdict(status="revision", duplicate_of=fps.article_id, reason="same URL, text changed")
    if same_content_owner is not None and same_content_owner != fps.article_id:
        return DedupVerdict(
            status="duplicate", duplicate_of=same_content_owner, reason="same text, other URL"
        )
    for sim in similar or []:
        if sim.candidate_id != fps.article_id and sim.near:
            return DedupVerdict(
                status="near_duplicate",
                duplicate_of=sim.candidate_id,
                similarity=sim.jaccard,
                reason=sim.reason,
            )
    return DedupVerdict(status="unique")
