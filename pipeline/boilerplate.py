"""Boilerplate around article text: what trafilatura leaves in, and how we take it out.

Pure functions, no I/O. Every removal is reported as ``(text, reason)`` so a user
can see what was cut and why. Three stages, used by ``pipeline.clean``, around
trafilatura's extraction:

1. ``prune_tree``: before extraction, drop HTML nodes that are never article text:
   hidden nodes, containers whose class/id names a related-links, newsletter,
   share or promo box, and paragraphs that are a single link in capitals; and mark
   each repeat of a long text (``mark_repeated_text``) so that trafilatura keeps a
   paragraph the page prints twice instead of taking it for its own double take.
2. ``continue_article``: after extraction, the later parts of an article body cut by ads
   into same-kind containers (``body_parts``), when the extraction kept only the first.
   ``trim_link_lines``: the lines at the top of the text that are
   (almost) all link text on this page (``link_texts``): a strip of teasers and
   section links that the extraction took for the article's start. Measured on the
   page itself, so no list of phrases is needed; lists of links inside the article
   stay (only the leading run is cut).
3. ``strip_boilerplate``: line rules for shapes that are boilerplate wherever they
   appear (share/subscribe/newsletter lines, date and update lines, reprint notices,
   contact lines, the page's declared title repeated at the top, wire credits at the
   end). Each rule matches a whole short line, so a paragraph that merely mentions a
   newsletter stays.

Each stage and rule is kept only if it raises F1 on both extraction benchmarks, or on
one while leaving the other's unchanged: benchmarks/ablation.py measures what each earns on each
(and benchmarks/extraction.py on each half of each). One exception: a line that is the page's own
<h1> ends the leading link lines (``headline_keys``); it changes F1 by less than 0.0001 on either
benchmark and keeps two pages of the second from falling below bare trafilatura.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from lxml import etree
from lxml.html import HtmlElement


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


Removal = tuple[str, str]
"""(removed text, reason)"""

_WORD = re.compile(r"\w+")


def _key(line: str) -> str:
    """A line reduced to its lower-case words: what the comparisons below look at."""
    return " ".join(_WORD.findall(line.lower()))


# --------------------------------------------------------------------------- tree


# Class/id words that name a box which is never the article. Matched against whole
# words of the attribute (split on anything not a letter or digit), so "share"
# matches "share-bar" and "social share" but not "shared" or "timeshare".
_BOX_WORDS = _words(
    """
    related relatedposts related-posts recommended recommendations popular mostpopular most-popular
    mostread most-read trending newsletter newsletters signup sign-up subscribe subscription share
    sharing sharebar social socialbar social-share promo promotion outbrain taboola readmore
    read-more also-read more-stories morestories nativead sponsored
    """
)
# Embedded posts (a quoted tweet) sit in boxes named "social" too, and they are quotes.
_EMBED_WORDS = frozenset({"embed", "embedded", "tweet", "twitter-tweet", "instagram-media", "blockquote"})
_SPLIT_ATTR = re.compile(r"[^a-z0-9]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
_CANDIDATE_TAGS = ("div", "aside", "section", "ul", "nav", "form", "span", "p", "figure")
_CANDIDATE_ATTRS = frozenset({"class", "id", "style", "hidden"})


def _candidates(tree: HtmlElement) -> list[HtmlElement]:
    # tree.iter by tag is a C loop, several times faster than the equivalent XPath on big pages
    return [el for el in tree.iter(*_CANDIDATE_TAGS) if not _CANDIDATE_ATTRS.isdisjoint(el.attrib)]


def _spaced_text(el: HtmlElement) -> str:
    """An element's text as a reader sees it: its words, one space between them."""
    return " ".join(el.text_content().split())


def _box_reason(el: HtmlElement) -> str | None:
    if el.get("hidden") is not None:
        return "hidden element"
    style = el.get("style")
    if style and _HIDDEN_STYLE.search(style.lower()):
        return "hidden element"
    hit, in_class = _box_words(el.get("class", ""), el.get("id", ""))
    if not hit or (not in_class and _is_text_anchor(el)):
        return None
    return f"{hit} box (class/id)"


@functools.lru_cache(maxsize=8192)
def _box_words(cls: str, ident: str) -> tuple[str | None, bool]:
    """The box word a class/id names (the first in order, or None), and whether the class names one.

    Cached: a page repeats the same few class names on thousands of elements."""
    attrs = f"{cls} {ident}".lower()
    if not attrs.strip():
        return None, False
    words = set(_SPLIT_ATTR.split(attrs))
    if words & _EMBED_WORDS:
        return None, False
    # compound words survive the split only through the hyphenated forms above
    words |= {w.replace("-", "") for w in attrs.split()}
    hit = words & _BOX_WORDS
    if not hit:
        return None, False
    cls_words = set(_SPLIT_ATTR.split(cls.lower())) | {w.replace("-", "") for w in cls.lower().split()}
    return sorted(hit)[0], bool(hit & cls_words)


def _is_text_anchor(el: HtmlElement) -> bool:
    """An id made of the element's own words (a heading's anchor: "Promotion_controversy") names
    its text, not a box; the box words it holds do not count when the class has none."""
    ident = el.get("id")
    if not ident:
        return False
    own = set(_WORD.findall(el.text_content().lower()))
    return bool(own) and set(_WORD.findall(ident.lower().replace("_", " "))) <= own


def prune_tree(tree: HtmlElement) -> list[Removal]:
    """Remove never-article boxes from ``tree`` in place; returns what went and why.

    A box is kept when it holds most of the page's paragraphs: a class name like
    "social" on the article's own wrapper must not take the article with it; a hidden
    box too, unless visible paragraphs sit beside it (``HIDDEN_BESIDE_CHARS``).
    """
    removed: list[Removal] = []
    body = tree.find("body")
    total_p = len(body.findall(".//p")) if body is not None else 0
    gone: set[HtmlElement] = set()
    for el in _candidates(tree):
        reason = _box_reason(el)
        if reason is None or el.getparent() is None:
            continue
        if gone and any(a in gone for a in el.iterancestors()):
            continue
        if total_p and len(el.findall(".//p")) * 2 > total_p and not _hidden_beside_text(el, reason):
            continue
        if el.find(".//blockquote") is not None:
            continue
        text = _spaced_text(el)
        el.drop_tree()
        gone.add(el)
        if text:
            removed.append((text, reason))
    for el in list(tree.iter("p", "h2", "h3", "h4")):
        if el.getparent() is not None and _is_shouted_link(el):
            removed.append((_spaced_text(el), "link to another story in capitals"))
            el.drop_tree()
    return removed


# A text the page prints twice (a paragraph repeated further down, a heading over each of two
# identical sections) is two paragraphs of the article, but trafilatura drops an element whose
# text equals the one before it, past this many characters (its guard against the same element
# taken twice). A repeat in the source is told apart by an invisible mark appended to its text
# before extraction, taken out again after (``unmark``).
REPEAT_MIN_CHARS = 50
REPEAT_MARK = "\u2063"  # INVISIBLE SEPARATOR: no page prints it in its text


# the long text nodes of the body, found in C
_LONG_TEXTS = etree.XPath(f"//body//text()[string-length() >= {REPEAT_MIN_CHARS}]")


def mark_repeated_text(tree: HtmlElement) -> int:
    """Make each repeat of a long text in ``tree`` differ invisibly from the first; how many."""
    seen: dict[str, int] = {}
    marked = 0
    for node in _LONG_TEXTS(tree):
        if not node.is_text:  # a tail: its element's text is another node
            continue
        el = node.getparent()
        if el.tag in ("script", "style"):
            continue
        text = str(node)
        key = " ".join(text.split())
        if len(key) < REPEAT_MIN_CHARS:
            continue
        count = seen.get(key, 0)
        if count:
            el.text = text + REPEAT_MARK * count
            marked += 1
        seen[key] = count + 1
    return marked


# An article body cut into parts by ads or embeds often sits in several containers of the same
# kind (same tag and class), and trafilatura takes the first. Parts are containers holding at
# least BODY_PART_MIN_PARAGRAPHS paragraphs (direct <p> children) of BODY_PART_MIN_CHARS in all.
BODY_PART_MIN_PARAGRAPHS = 2
BODY_PART_MIN_CHARS = 200
_PART_KEY_CHARS = 60


_PARAGRAPH_CONTAINERS = etree.XPath(
    " | ".join(f"//{tag}[@class][p[{BODY_PART_MIN_PARAGRAPHS}]]" for tag in ("div", "section", "article"))
)


def body_parts(tree: HtmlElement) -> list[list[list[str]]]:
    """Groups of two or more same-kind containers of paragraphs, each part its paragraphs' texts."""
    groups: dict[tuple[str, str], list[list[str]]] = {}
    for el in _PARAGRAPH_CONTAINERS(tree):
        cls = el.get("class", "")
        paragraphs = [c for c in el if c.tag == "p"]
        texts = [t for t in (_spaced_text(c) for c in paragraphs) if t]
        if len(texts) >= BODY_PART_MIN_PARAGRAPHS and sum(map(len, texts)) >= BODY_PART_MIN_CHARS:
            groups.setdefault((str(el.tag), " ".join(cls.split())), []).append(texts)
    return [parts for parts in groups.values() if len(parts) > 1]


def continue_article(text: str, groups: Sequence[Sequence[Sequence[str]]]) -> str:
    """The text with the later parts of its article body that the extraction left out.

    Only for a group whose first part the text holds (at least half its paragraphs): its later
    parts of which the text holds no paragraph are appended, in page order.
    """
    if not groups:
        return text
    flat = " ".join(text.split())

    def held(part: Sequence[str]) -> int:
        return sum(1 for t in part if t[:_PART_KEY_CHARS] in flat)

    added: list[str] = []
    for parts in groups:
        if 2 * held(parts[0]) < len(parts[0]):
            continue
        for part in parts[1:]:
            if not held(part):
                added.extend(part)
    return "\n".join([text, *added]) if added else text


# A subheading between two paragraphs of the article is part of it, but trafilatura's fast run
# drops the headings of a page whose paragraphs sit loose in the body (it recovers only paragraph
# shapes there). Each heading (h2-h6) is kept with the paragraphs just before and after it; where
# the text has those two as consecutive lines, the heading goes back between them. Headings are
# placed in page order, each after the last, so repeated paragraphs still give one place each.
_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
_FLOW = ("p", *_HEADINGS)
_EDGE_CHARS = 40

Heading = tuple[str, str, str]
"""(end of the paragraph before, the heading, start of the paragraph after); the two ends
without white space or repeat marks, which the extraction may change."""


def _bare(text: str) -> str:
    return "".join(text.split()).replace(REPEAT_MARK, "")


def _has_text(el: HtmlElement) -> bool:
    return bool(el.text_content().strip())


def _next_in_flow(heading: HtmlElement) -> HtmlElement | None:
    """The paragraph next after ``heading`` in the same parent, with no paragraph or heading between
    (an image, a figure or a rule may be)."""
    for el in heading.itersiblings():
        if el.tag == "p" and _has_text(el):
            return el
        if any(_has_text(inner) for inner in el.iter(*_FLOW)):
            return None
    return None


def _previous_in_flow(heading: HtmlElement) -> HtmlElement | None:
    """The paragraph or heading with text just before ``heading`` in page order."""
    node: HtmlElement | None = heading
    while node is not None:
        for el in node.itersiblings(preceding=True):
            for inner in reversed(list(el.iter(*_FLOW))):
                if _has_text(inner):
                    return inner
        node = node.getparent()
    return None


def inner_headings(tree: HtmlElement) -> list[Heading]:
    """The headings of ``tree`` that stand between two paragraphs (the second in their parent)."""
    found = []
    for el in tree.iter(*_HEADINGS):
        if not _has_text(el) or (after := _next_in_flow(el)) is None:
            continue
        before = _previous_in_flow(el)
        if before is not None and before.tag == "p":
            found.append(
                (
                    _bare(before.text_content())[-_EDGE_CHARS:],
                    _spaced_text(el),
                    _bare(after.text_content())[:_EDGE_CHARS],
                )
            )
    return found


def restore_headings(text: str, headings: Sequence[Heading]) -> str:
    """The text with each heading the extraction dropped put back between its two paragraphs."""
    if not headings:
        return text
    lines = text.split("\n")
    bare = [_bare(line) for line in lines]
    held = {" ".join(line.split()) for line in lines}
    inserts: dict[int, str] = {}
    start = 0
    for prev, heading, nxt in headings:
        if heading in held:
            continue
        for i in range(start, len(bare) - 1):
            if bare[i].endswith(prev) and bare[i + 1].startswith(nxt):
                inserts[i + 1] = heading
                start = i + 1
                break
    if not inserts:
        return text
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in inserts:
            out.append(inserts[i])
        out.append(line)
    return "\n".join(out)


def unmark(text: str) -> str:
    """Extracted text without the marks of ``mark_repeated_text``."""
    return text.replace(REPEAT_MARK, "") if REPEAT_MARK in text else text


# A hidden box that holds most of the page's paragraphs is the article itself when the page reveals
# it by script; it is not when visible paragraphs of this many characters sit beside it in the same
# container (the page's article is there, the hidden box is an alternative or a leftover).
HIDDEN_BESIDE_CHARS = 160


def _hidden_beside_text(el: HtmlElement, reason: str) -> bool:
    parent = el.getparent()
    if reason != "hidden element" or parent is None:
        return False
    inside = set(el.iter("p"))
    beside = sum(len(_spaced_text(p)) for p in parent.iter("p") if p not in inside)
    return beside >= HIDDEN_BESIDE_CHARS


def _is_shouted_link(el: HtmlElement) -> bool:
    """A paragraph that is one link in capitals: a tabloid's pointer to another story."""
    links = el.findall(".//a")
    if len(links) != 1:
        return False
    text = _spaced_text(el)
    if len(text.split()) < 4 or _spaced_text(links[0]) != text:
        return False
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.9 * len(letters)


def page_titles(tree: HtmlElement) -> list[str]:
    """The page's declared headlines (og:title, twitter:title, <title>), for spotting a repeat.

    Not the first <h1>: the first line of the text is often that <h1>, and matching it
    against itself would cut a heading the page never declared as its title (measured:
    it made 7 pages of the second extraction benchmark worse and helped neither).
    """
    found: list[str] = []
    for xpath in (
        '//meta[@property="og:title"]/@content',
        '//meta[@name="twitter:title"]/@content',
        "//head/title//text()",
    ):
        value = " ".join(str(v) for v in tree.xpath(xpath)).strip()
        if value:
            found.append(value)
    return found


# --------------------------------------------------------------------------- links

# A line is link text when links make up this share of its words' characters.
LINK_LINE_SHARE = 0.7
# Link texts shorter than this (in characters, after reducing to words) are ignored: "a", "1".
_MIN_LINK_KEY = 4


def link_texts(tree: HtmlElement) -> frozenset[str]:
    """The distinct texts of the page's links, reduced as lines are (``_key``)."""
    found = set()
    for a in tree.iter("a"):
        key = _key(a.text_content())
        if len(key) >= _MIN_LINK_KEY:
            found.add(key)
    return frozenset(found)


def headline_keys(tree: HtmlElement) -> frozenset[str]:
    """The page's own headings (<h1>), reduced as lines are: a line that is one of them is never a
    teaser link (``trim_link_lines``), even when a breadcrumb or a language menu links it."""
    return frozenset(key for h in tree.iter("h1") if (key := _key(h.text_content())))


def link_share(line: str, links: frozenset[str]) -> float:
    """How much of a line is the text of the page's links (0 to 1)."""
    key = _key(line)
    if not key:
        return 0.0
    if key in links:
        return 1.0
    covered = sum(len(link) for link in links if len(link) < len(key) and link in key)
    return min(1.0, covered / len(key))


def is_link_dump(text: str, links: frozenset[str], *, share: float = 0.5) -> bool:
    """Whether lines of link text (``LINK_LINE_SHARE``) make up ``share`` or more of a text's characters.

    On a whole extraction: the extractor took a menu or a list of links for the article. Lines are
    looked at longest first and the answer is given as soon as it is known, so an article (whose
    long paragraphs are not link text) costs a few lines' look-ups.
    """
    lines = sorted((line.strip() for line in text.split("\n")), key=len, reverse=True)
    total = sum(len(line) for line in lines)
    if not total:
        return False
    need = share * total
    linked = 0
    unlinked = 0
    # a line whose words are mostly not words of any link text cannot be covered by link texts:
    # told without looking for every link text in it
    link_words = {w for link in links for w in link.split()}
    for line in lines:
        if not line:
            break
        words = _key(line).split()
        in_links = sum(len(w) + 1 for w in words if w in link_words)
        if in_links >= LINK_LINE_SHARE * sum(len(w) + 1 for w in words) and (
            link_share(line, links) >= LINK_LINE_SHARE
        ):
            linked += len(line)
            if linked >= need:
                return True
        else:
            unlinked += len(line)
            if unlinked > total - need:
                return False
    return linked >= need


def trim_link_lines(
    text: str,
    links: frozenset[str],
    *,
    min_share: float = LINK_LINE_SHARE,
    headlines: frozenset[str] = frozenset(),
) -> tuple[str, list[Removal]]:
    """Cut the run of link lines at the top of the text (teasers, section links).

    Only the leading run goes: a list of links inside the article is content. Nothing
    is cut when every line is link text (a page of links is what it is). A line that is one of
    the page's ``headlines`` (``headline_keys``) ends the run: the article starts there. A line
    that only contains a headline among link texts is still a link line.
    """
    lines = text.split("\n")
    cut = 0
    for line in lines:
        if line.strip() and (_key(line) in headlines or link_share(line, links) < min_share):
            break
        cut += 1
    if cut == 0 or cut == len(lines):
        return text, []
    removed = [(line.strip(), "link line before the article") for line in lines[:cut] if line.strip()]
    return "\n".join(lines[cut:]), removed


# --------------------------------------------------------------------------- lines

# Lines that are boilerplate wherever they are. Each pattern must match the whole
# line (they are anchored), and only lines up to _SHORT characters are tested, so a
# paragraph that merely mentions a newsletter or a related story stays.
_SHORT = 300
_LINE_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "newsletter/subscribe prompt",
        re.compile(
            r"(?i)^(?:[-•*]\s*)?(?:subscribe\b"
            r"|(?:sign up|signup)\b.{0,80}\b(?:newsletters?|inbox|alerts|briefing)\b"
            r"|get (?:the|our) .{0,60}newsletter|join (?:our|the) .{0,40}"
            r"newsletter|thanks for signing up|keep an eye on your inbox|there was an error processing"
            r"|get the latest .{0,80}inbox|get the day.s .{0,80}(?:inbox|newsletter))\b.*$"
        ),
    ),
    (
        "share/follow prompt",
        re.compile(
            r"(?i)^(?:[-•*]\s*)?(?:follow (?:us|him|her|them|me)\b|like this story\?"
            r"|follow @?\w+ on (?:twitter|facebook|instagram)"
            r"|(?:click|tap) here to (?:subscribe|sign up|get|download)"
            r" .{0,40}\b(?:app|newsletter)\b|listen to .{0,40} live\b)"
            r".*$"
        ),
    ),
    (
        "contact line",
        re.compile(
            r"(?i)^(?:write to|email|e-mail|contact|reach) .{0,80}\b(?:at|on twitter at)\b\s*\S+@\S+.*$"
            r"|^have a tip\?.*$|^.{0,80}\bmay be reached at\b.*$|^reach the reporters? .*$"
        ),
    ),
    (
        "date/update line",
        re.compile(
            # not when it names the author ("Posted on 3 May by A. Writer."): that is the byline
            r"(?i)^(?:[-•*]\s*)?(?:updated|published|posted|modified|last updated|first published)"
            r"(?: on| at)?\s*:?\s*(?!.*\bby\b).{0,40}\d.{0,40}$"
        ),
    ),
    (
        "comments/tags label",
        re.compile(
            r"(?i)^\s*(?:\d+\s+)?(?:comments?|tags|tags:.*|share|print article|order reprints"
            r"|[-•*]\s*(?:print article|order reprints))\s*$"
        ),
    ),
    ("share/follow prompt", re.compile(r"(?i)^follow .{0,60}\bcoverage\b.{0,80}\bat https?://\S+$")),
    (
        "reading time",
        re.compile(
            r"(?i)^(?:reading time|read time|tempo de leitura|tiempo de lectura|lesezeit)\s*:?.{0,20}$"
            r"|^\d+\s*min(?:ute)?s?\s+read$"
        ),
    ),
    ("related-links line", re.compile(r"(?i)^also on [\w-]+\.[a-z]{2,}\b.*$")),
    (
        "reprint notice",
        re.compile(r"(?i)^this copy is for your personal,? non-?commercial use only\b.*$"),
    ),
    (
        "support appeal",
        re.compile(
            r"(?i)^if you (?:enjoyed|liked|value|appreciate|appreciated) (?:this|our) (?:article|story|piece|"
            r"journalism|reporting)\b.{0,200}\b(?:join|subscribe|support|donate|become a member)\b.*$"
        ),
    ),
    (
        # a page's form answering, printed into the text
        "form message",
        re.compile(
            r"(?i)^(?:an error has occurred|something went wrong)[,.!]? please try again(?: later)?[.!]?$"
        ),
    ),
    (
        # "By Name Surname, senior staff writer": capitalised names, no sentence end, so
        # "By Monday, the ministry had said nothing." stays
        "byline",
        re.compile(r"^By (?:[A-Z][\w'.-]*\s?){1,4}(?:(?:,|and|&)\s?[^.!?\"”]{0,60})?$"),
    ),
]


# Credit lines, boilerplate only at the very end of the text. Only the wire agencies' own
# shape ("Reporting by ...; Editing by ..."): "X contributed to this report" is kept, as the
# second extraction benchmark keeps it as part of the article.
_CREDIT = re.compile(
    r"(?i)^\(?\s*(?:reporting by|additional reporting by|editing by|writing by|compiled by)\b.*$"
)


def _is_title(line: str, titles: Iterable[str]) -> bool:
    key = _key(line)
    if len(key.split()) < 3:
        return False
    for title in titles:
        tkey = _key(title)
        if tkey and (key == tkey or (tkey.startswith(key) and len(key) >= 0.5 * len(tkey))):
            return True
    return False


def strip_boilerplate(text: str, *, titles: Sequence[str] = ()) -> tuple[str, list[Removal]]:
    """Remove boilerplate lines from extracted article text; returns the text and the removals."""
    lines = text.split("\n")
    removed: dict[int, str] = {}
    # the page's declared title repeated as one of the first lines
    for i, line in enumerate(lines[:3]):
        if _is_title(line, titles):
            removed[i] = "headline repeated"
    for i, raw in enumerate(lines):
        line = raw.strip()
        if i in removed or not line or len(line) > _SHORT:
            continue
        reason = next((name for name, rule in _LINE_RULES if rule.match(line)), None)
        if reason is not None:
            removed[i] = reason
    # credit lines at the end
    for i in range(len(lines) - 1, -1, -1):
        if i in removed or not lines[i].strip():
            continue
        if len(lines[i]) > _SHORT or not _CREDIT.match(lines[i].strip()):
            break
        removed[i] = "reporting credit"
    out = "\n".join(line for i, line in enumerate(lines) if i not in removed)
    return out.strip(), [(lines[i].strip(), removed[i]) for i in sorted(removed) if lines[i].strip()]
