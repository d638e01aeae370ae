"""Search terms of a record: the words a text query is answered from, through an index, never a scan.

A record is indexed under the words of its title and its lead (the first ``LEAD_CHARS`` characters
of its text) and under the names and spellings of the entities it names, casefolded; a query
matches the records indexed under every one of its words. Korean attaches particles to a word
("러시아에서", "in Russia"), so a Hangul word is indexed under its leading parts too ("러시아").
Words of one letter, numbers under three digits and a few very common words are left out: they
would make the largest index entries and narrow nothing.
"""

from __future__ import annotations

import re

from pipeline.models import Record

LEAD_CHARS = 300
MAX_TERMS = 96  # bounds the index writes of one record
_WORD = re.compile(r"\w+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
STOPWORDS = frozenset(
    "the a an and or of in on at to for by with from as is are was were be been has have had it its "
    "this that these those not but he she they we you his her their our said says will would over "
    "и в во на с со по к о об от за из у не что как это для до а но же ли".split()
)


def words(text: str) -> list[str]:
    """The query words of a text, casefolded, in order, each once."""
    out: dict[str, None] = {}
    for word in _WORD.findall(text.casefold()):
        if word in STOPWORDS or len(word) < 2 or (word.isdigit() and len(word) < 3):
            continue
        out[word] = None
    return list(out)


def terms(record: Record) -> list[str]:
    """Every index term of a record (at most ``MAX_TERMS``)."""
    names = " ".join(n for e in record.entities for n in (e.name, *e.variants))
    found: dict[str, None] = {}
    for word in words(f"{names} {record.title or ''} {record.text[:LEAD_CHARS]}"):
        found[word] = None
        if _HANGUL.match(word):
            for end in range(2, len(word)):
                found[word[:end]] = None
    return list(found)[:MAX_TERMS]
