"""Boilerplate around article text: what trafilatura leaves in, and how we take it out.

Pure functions, no I/O. Every removal is reported as ``(text, reason)`` so a user
can see what was cut and why. Three stages, used by ``pipeline.clean.extract_text``:

1. ``prune_tree``: before extraction, drop HTML nodes that are never article text:
   hidden nodes, containers whose class/id names a related-links, newsletter,
   share or promo box, and paragraphs that are a single link in capitals.
2. ``merge_extractions``: trafilatura run twice on the same tree, once as is and
   once with ``favor_precision``. The precision run cuts the page furniture that
   sits before and after the article (headline, standfirst, link lists) but also,
   now and then, a sub-heading or a link's words in the middle. So we keep the
   default run's lines from the first to the last line the precision run agrees
   with: the precision run decides where the article starts and ends, the default
   run what is inside.
3. ``strip_boilerplate``: line rules for shapes that are boilerplate wherever they
   appear (share/subscribe/newsletter/cookie lines, "Related:" link blocks, date
   and update lines, reprint notices, contact and credit lines at the end, the
   headline repeated at the top). Each rule matches a whole short line, so a
   paragraph that merely mentions a newsletter or a related story stays.

Calibrated on the extraction benchmark: see benchmarks/extraction.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

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


def _box_reason(el: HtmlElement) -> str | None:
    if el.get("hidden") is not None:
        return "hidden element"
    style = el.get("style")
    if style and _HIDDEN_STYLE.search(style.lower()):
        return "hidden element"
    attrs = f"{el.get('class', '')} {el.get('id', '')}".lower()
    if not attrs.strip():
        return None
    words = set(_SPLIT_ATTR.split(attrs))
    if words & _EMBED_WORDS:
        return None
    # compound words survive the split only through the hyphenated forms above
    words |= {w.replace("-", "") for w in attrs.split()}
    hit = words & _BOX_WORDS
    if hit:
        return f"{sorted(hit)[0]} box (class/id)"
    return None


def prune_tree(tree: HtmlElement) -> list[Removal]:
    """Remove never-article boxes from ``tree`` in place; returns what went and why.

    A box is kept when it holds most of the page's paragraphs: a class name like
    "social" on the article's own wrapper must not take the article with it.
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
        if total_p and len(el.findall(".//p")) * 2 > total_p:
            continue
        if el.find(".//blockquote") is not None:
            continue
        text = " ".join(el.text_content().split())
        el.drop_tree()
        gone.add(el)
        if text:
            removed.append((text, reason))
    for el in list(tree.iter("p", "h2", "h3", "h4")):
        if el.getparent() is not None and _is_shouted_link(el):
            removed.append((" ".join(el.text_content().split()), "link to another story in capitals"))
            el.drop_tree()
    return removed


def _is_shouted_link(el: HtmlElement) -> bool:
    """A paragraph that is one link in capitals: a tabloid's pointer to another story."""
    links = el.findall(".//a")
    if len(links) != 1:
        return False
    text = " ".join(el.text_content().split())
    if len(text.split()) < 4 or " ".join(links[0].text_content().split()) != text:
        return False
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.9 * len(letters)


def page_titles(tree: HtmlElement) -> list[str]:
    """The page's own headlines (og:title, twitter:title, <title>, first <h1>), for spotting a repeat."""
    found: list[str] = []
    for xpath in (
        '//meta[@property="og:title"]/@content',
        '//meta[@name="twitter:title"]/@content',
        "//head/title//text()",
        "(//h1)[1]//text()",
    ):
        value = " ".join(str(v) for v in tree.xpath(xpath)).strip()
        if value:
            found.append(value)
    return found


# --------------------------------------------------------------------------- merge


# Calibrated on the extraction benchmark: headline, standfirst and link lists rarely
# make up 40% of a page's text, so a precision run that keeps less has lost the article.
MIN_PRECISE_RATIO = 0.6


def precision_run_failed(default: str, precise: str, *, min_ratio: float = MIN_PRECISE_RATIO) -> bool:
    """True when the precision run kept so little of the default run that it lost the article."""
    return not precise.strip() or len(precise) < min_ratio * len(default)


def merge_extractions(
    default: str, precise: str, *, min_ratio: float = MIN_PRECISE_RATIO
) -> tuple[str, list[Removal]]:
    """The default run's text, trimmed to the span the precision run agrees with.

    When the precision run failed (see ``precision_run_failed``) the default run is
    returned whole.
    """
    if precision_run_failed(default, precise, min_ratio=min_ratio):
        return default, []
    lines = default.split("\n")
    keys = set()
    heads = set()
    for line in precise.split("\n"):
        key = _key(line)
        if key:
            keys.add(key)
            heads.add(" ".join(key.split()[:5]))

    def agreed(line: str) -> bool:
        key = _key(line)
        if not key:
            return False
        if key in keys:
            return True
        # the precision run sometimes drops a link's words inside a paragraph
        words = key.split()
        return len(words) >= 5 and " ".join(words[:5]) in heads

    hits = [i for i, line in enumerate(lines) if agreed(line)]
    if not hits:
        return precise, [(default, "precision run found none of it")]
    first, last = hits[0], hits[-1]
    removed = [(line, "before the article (precision run)") for line in lines[:first] if line.strip()]
    removed += [(line, "after the article (precision run)") for line in lines[last + 1 :] if line.strip()]
    return "\n".join(lines[first : last + 1]), removed


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
        "newsletter/subscribe prompt",
        re.compile(r"(?i)^.{0,120}\b(?:newsletter|subscribe|subscription)[.!:]?$"),
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
        "app promotion",
        re.compile(
            r"(?i)^(?:click|tap) (?:here )?to (?:get|download) .{0,60}\bapp\b.*$|^get .{0,40} on the go\b.*$"
        ),
    ),
    (
        "related-links line",
        re.compile(
            r"(?i)^\[?(?:related(?: stories| articles| posts| content| coverage| news| links| reading)?"
            r"|more (?:stories|news|coverage)|read more|see more|see also|more|also on [\w.]+"
            r"|also read|read also|don'?t miss"
            r"|you may also like|you might also like|recommended|most (?:popular|read)(?: in .{0,40})?"
            r"|more from .{0,40}|trending(?: now)?|leggi anche|veja também|lesen sie auch|lire aussi"
            r"|à lire aussi|lee también|read next|up next)\b\s*(?::.*|\.\.\.|…)?\]?$"
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
            r"(?i)^(?:[-•*]\s*)?(?:updated|published|posted|modified|last updated|first published)"
            r"(?: on| at)?\s*:?\s*.{0,40}\d.{0,40}$"
        ),
    ),
    (
        "comments/tags label",
        re.compile(
            r"(?i)^\s*(?:\d+\s+)?(?:comments?|tags|tags:.*|share|print article|order reprints"
            r"|[-•*]\s*(?:print article|order reprints))\s*$"
        ),
    ),
    ("copyright line", re.compile(r"(?i)^\s*(?:copyright\b|©|\(c\)\s*\d{4}).{0,200}$")),
    (
        "share/follow prompt",
        re.compile(r"(?i)^.{0,200}\bfollow (?:him|her|us|them|me) on (?:twitter|facebook|instagram)\b.*$"),
    ),
    ("share/follow prompt", re.compile(r"(?i)^follow .{0,60}\bcoverage\b.{0,80}\bat https?://\S+$")),
    ("label and link", re.compile(r"(?i)^[\w' .+-]{1,40}:\s*https?://\S+$")),
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
        "form message",
        re.compile(
            r"(?i)^(?:an error has occurred|something went wrong)[,.!]? please try again(?: later)?[.!]?$"
        ),
    ),
    (
        "support appeal",
        re.compile(
            r"(?i)^if you (?:enjoyed|liked|value|appreciate|appreciated) (?:this|our) (?:article|story|piece|"
            r"journalism|reporting)\b.{0,200}\b(?:join|subscribe|support|donate|become a member)\b.*$"
        ),
    ),
    (
        "cookie notice",
        re.compile(
            r"(?i)^(?:this (?:web)?site uses cookies|we use cookies|by (?:using|continuing to use|browsing) "
            r"(?:our|this) (?:web)?site\b.{0,40}\bcookies?)\b.*$"
        ),
    ),
    (
        "feedback address",
        re.compile(
            r"(?i)^please (?:direct|send|address|email) (?:your |any )?(?:questions|comments|queries|"
            r"feedback|corrections)\b.*$"
        ),
    ),
    (
        # "By Name Surname, senior staff writer": capitalised names, no sentence end, so
        # "By Monday, the ministry had said nothing." stays
        "byline",
        re.compile(r"^By (?:[A-Z][\w'.-]*\s?){1,4}(?:(?:,|and|&)\s?[^.!?\"”]{0,60})?$"),
    ),
    (
        "page control text",
        re.compile(r"(?i)^.{0,30}\bbutton (?:that|to|for)\b.{0,80}$"),
    ),
    (
        "byline/metadata line",
        re.compile(
            r"(?i)^(?=.{0,160}$)(?=.*\b(?:posted|published|publicado|publié|"
            r"veröffentlicht|pubblicato) (?:by|por|par|von|da)\b)"
            r"(?=.*\b(?:category|categoria|categoría|catégorie|kategorie|tags?)\b).*$"
        ),
    ),
]

# A line that is nothing but a date (and time): weekday and month names, numbers,
# and the small words that join them.
_DATE_WORDS = _words(
    """
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat
    sun january february march april may june july august september october november december jan
    feb mar apr jun jul aug sep sept oct nov dec segunda terça quarta quinta sexta sábado domingo
    feira janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro
    lunes martes miércoles jueves viernes enero febrero marzo mayo junio julio septiembre octubre
    noviembre diciembre am pm a m p at on de às as of the le el um utc gmt est edt pst pdt cet cest
    bst ist h updated published posted modified
    """
)


_DATE_NAMES = _DATE_WORDS - _words(
    "am pm a m p at on de às as of the le el um utc gmt est edt pst pdt cet cest bst ist h"
    " updated published posted modified"
)


def _is_date_line(line: str) -> bool:
    if len(line) > 80:
        return False
    words = _WORD.findall(line.lower())
    # one date, with its month or weekday spelled out: a time or a phone number alone is not one
    if sum(1 for w in words if w.isdigit() and len(w) == 4) != 1:
        return False
    if not any(w in _DATE_NAMES for w in words):
        return False
    return all(
        w.isdigit() or w in _DATE_WORDS or (w[:-2].isdigit() and w[-2:] in ("st", "nd", "rd", "th"))
        for w in words
    )


# Credit lines that are boilerplate only at the end of the text.
_TAIL_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "reporting credit",
        re.compile(
            r"(?i)^\(?\s*(?:reporting by|additional reporting by|editing by|writing by|compiled by)\b.*$"
            r"|^.{0,200}\bcontributed (?:reporting )?to this (?:report|story)\.?$"
        ),
    ),
]

_RELATED_HEAD = next(rule for name, rule in _LINE_RULES if name == "related-links line")
_LIST_ITEM = re.compile(r"^\s*[-•*]\s+\S")


def _looks_like_link_item(line: str) -> bool:
    """A line in a list of links: a bullet item, or a short line with no sentence end."""
    stripped = line.strip()
    if not stripped:
        return True
    if _LIST_ITEM.match(stripped):
        return True
    return len(stripped) < 120 and not stripped.endswith((".", "?", "!", ":", '"', "”"))


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
    keep = [True] * len(lines)
    removed: dict[int, str] = {}

    # the headline repeated as the first line(s)
    for i, line in enumerate(lines[:3]):
        if _is_title(line, titles):
            keep[i] = False
            removed[i] = "headline repeated"

    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not keep[i] or not line:
            i += 1
            continue
        if len(line) <= _SHORT:
            for reason, rule in _LINE_RULES:
                if rule.match(line):
                    keep[i] = False
                    removed[i] = reason
                    break
            if keep[i] and _is_date_line(line):
                keep[i] = False
                removed[i] = "date line"
            if not keep[i] and _RELATED_HEAD.match(line) and not line.rstrip().endswith((".", "?", "!")):
                # a "Related" heading takes the link list under it along
                j = i + 1
                while j < len(lines) and _looks_like_link_item(lines[j]) and lines[j].strip():
                    keep[j] = False
                    removed[j] = "related-links list"
                    j += 1
                i = j
                continue
        i += 1

    # credit lines at the end
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i].strip()
        if not line or not keep[i]:
            continue
        hit = next((reason for reason, rule in _TAIL_RULES if rule.match(line)), None)
        if hit is None:
            break
        keep[i] = False
        removed[i] = hit

    out = "\n".join(line for line, k in zip(lines, keep, strict=True) if k)
    return out.strip(), [(lines[i].strip(), removed[i]) for i in sorted(removed) if lines[i].strip()]
