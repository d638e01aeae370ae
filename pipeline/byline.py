"""A page's byline, found as trafilatura finds it, in one pass over the page in Python.

trafilatura looks for an author by pruning the page of comment boxes, sidebars, dates and figures
(``AUTHOR_DISCARD_XPATHS``), then running three XPath searches in turn over the whole page
(``AUTHOR_XPATHS``: specific, generic, last resort); the first element of the first search that
finds one with a short text gives the byline. Its regular expressions run as Python callbacks
for every element, so each search costs about as much as a tenth of an extraction; a page without
an author in its metadata paid for all three and the pruning (about 7 ms a page on the extraction
benchmark). This module reads each element's attributes once and tests the same conditions,
without changing the tree: the same byline, text and order (tests/pipeline/test_byline.py holds
it to trafilatura's own search).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from lxml.html import HtmlElement

MAX_CHARS = 120  # a longer byline is a paragraph, not a name (exclusive, as trafilatura's len_limit)

# AUTHOR_DISCARD_XPATHS: boxes whose text is never the byline (removed with what they hold)
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    r"|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
_ALWAYS_DISCARDED = frozenset({"time", "figure"})

# AUTHOR_XPATHS, in their order
_SPECIFIC_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_SPECIFIC_CLASS = re.compile(r"author-?name|AuthorName|authorName")
_GENERIC_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_GENERIC_CLASSES = frozenset({"byline", "username", "byl", "BBL"})
_GENERIC_ID = re.compile(r"author|zuozhe|bianji|xiaobian")
_GENERIC_CLASS = re.compile(
    r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_LAST_ID = re.compile(r"[Aa]uthor")
_LAST_CLASS = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")


_NO_ATTRS: dict[str, str] = {}


def _discarded(tag: str, attrs: dict[str, str]) -> bool:
    if tag in _ALWAYS_DISCARDED:
        return True
    if tag not in _DISCARD_TAGS or not attrs:
        return False
    ident, cls = attrs.get("id"), attrs.get("class")
    return (
        ident == "comments"
        or cls in ("comments", "title", "date")
        or (ident is not None and _DISCARD_ID.search(ident) is not None)
        or (cls is not None and _DISCARD_CLASS.search(cls) is not None)
        or "Figure" in attrs.get("data-component", "")
    )


def _search(el: HtmlElement, tag: str, attrs: dict[str, str], with_rel: set[HtmlElement]) -> int | None:
    """Which of trafilatura's three searches finds this element first (0, 1, 2), or None."""
    if tag == "author":
        return 0
    ident, cls, itemprop = attrs.get("id"), attrs.get("class"), attrs.get("itemprop")
    if tag in _SPECIFIC_TAGS and (
        attrs.get("rel") == "author"
        or ident == "author"
        or cls == "author"
        or itemprop == "author name"
        or attrs.get("data-testid") in ("AuthorCard", "AuthorURL")
        or (cls is not None and _SPECIFIC_CLASS.search(cls) is not None)
        or (el in with_rel and any(r.text_content() == "me" for r in el.iterchildren("rel")))  # rel='me'
    ):
        return 0
    if not attrs:
        return None
    author_prop = itemprop is not None and "author" in itemprop
    if tag in _GENERIC_TAGS and (
        cls in _GENERIC_CLASSES
        or author_prop
        or (ident is not None and _GENERIC_ID.search(ident) is not None)
        or (cls is not None and _GENERIC_CLASS.search(cls) is not None)
    ):
        return 1
    if (
        "Byline" in attrs.get("data-component", "")
        or author_prop
        or (ident is not None and _LAST_ID.search(ident) is not None)
        or (cls is not None and _LAST_CLASS.search(cls) is not None)
    ):
        return 2
    return None


def _pieces(el: HtmlElement, gone: set[HtmlElement]) -> Iterator[str]:
    """``el.itertext()`` as it reads once the discarded elements are cut out, their tails kept
    (joined to the text before them, as trafilatura's delete_element joins them)."""
    run = el.text or ""
    for child in el:
        if child in gone:
            run += child.tail or ""
            continue
        yield run
        if isinstance(child.tag, str):  # not a comment or processing instruction, whose text is not read
            yield from _pieces(child, gone)
        run = child.tail or ""
    yield run


def find_byline(tree: HtmlElement) -> str | None:
    """The byline trafilatura's author search would find in ``tree`` (which is left as it is)."""
    gone: set[HtmlElement] = set()  # discarded elements (their subtrees are skipped whole)
    found: list[list[HtmlElement]] = [[], [], []]
    with_rel = {rel.getparent() for rel in tree.iter("rel")}  # a <rel> child: XPath's rel='me'
    walk = etree.iterwalk(tree, events=("start",))
    for _, el in walk:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        items = el.items()
        attrs = dict(items) if items else _NO_ATTRS
        if el is not tree and _discarded(tag, attrs):
            gone.add(el)
            walk.skip_subtree()
        elif (search := _search(el, tag, attrs, with_rel)) is not None:
            found[search].append(el)
    for candidates in found:
        for el in candidates:
            content = " ".join(" ".join(_pieces(el, gone)).split())
            if content and 2 < len(content) < MAX_CHARS:
                return content
    return None
