"""Canonical URLs and the identities derived from them.

The same article reaches us as ``https://www.x.com/a?utm_source=rss``,
``https://m.x.com/a``, ``https://amp.x.com/a/amp`` ...; all of them must map to
one canonical URL, and so to one record id (miniflux fixes an entry's hash at
parse time; we fix it on the canonical URL).
"""

from __future__ import annotations

import hashlib
import re
from html import unescape
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import courlan

# Query parameters that identify a campaign or a click, never the article.
TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|ref|ref_src|"
    r"cmpid|ocid|ito|at_medium|at_campaign|sr_share|share|s_cid|spm|from|ns_\w+|rss|feed|output)$",
    re.IGNORECASE,
)
# Host prefixes of mobile and AMP copies of the same site.
HOST_COPIES = re.compile(r"^(www\d?|m|mobile|amp)\.", re.IGNORECASE)
AMP_PATH = re.compile(r"(/amp/?$|\.amp(?=\.html?$|$)|/amp(?=/))", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """The one URL an article is known by: scheme and host lowercased, copies folded, tracking dropped."""
    url = url.strip()
    try:
        normalized = courlan.normalize_url(url, strict=False)
    except (ValueError, AttributeError):
        normalized = url
    parts = urlsplit(normalized)
    host = (parts.hostname or "").lower()
    while HOST_COPIES.match(host) and host.count(".") >= 2:
        host = HOST_COPIES.sub("", host, count=1)
    port = parts.port
    netloc = host if port is None or port in (80, 443) else f"{host}:{port}"
    path = AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)
    ]
    query.sort()
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def host_of(url: str) -> str:
    """The site an URL belongs to, without www./m./amp."""
    host = (urlsplit(url).hostname or "").lower()
    while HOST_COPIES.match(host) and host.count(".") >= 2:
        host = HOST_COPIES.sub("", host, count=1)
    return host


def digest(text: str, size: int = 16) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size // 2).hexdigest()


def article_id(canonical: str) -> str:
    """A record's stable id: the same article fetched twice maps to the same key."""
    return digest(canonical, 16)


_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_REL_CANONICAL = re.compile(r"""\brel\s*=\s*["']?canonical\b""", re.IGNORECASE)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
HEAD_CHARS = 65536  # a canonical link is in the head: no need to read a whole page for it


def page_canonical(html: str, url: str) -> str | None:
    """The page's own ``<link rel=canonical>``, when it points to the same site (else None).

    A canonical link to another site is a syndication claim we do not take on trust: the
    article keeps its own URL and near-duplicate detection relates it to the original.
    """
    for tag in _LINK_TAG.findall(html[:HEAD_CHARS]):
        if not _REL_CANONICAL.search(tag):
            continue
        match = _HREF.search(tag)
        href = next((g for g in match.groups() if g), "") if match else ""
        target = urljoin(url, unescape(href.strip()))
        if target.startswith(("http://", "https://")) and host_of(target) == host_of(url) and host_of(url):
            return target
        return None
    return None
