"""OPML 2.0 import and export of the feed list (http://opml.org/spec2.opml), as FreshRSS and miniflux do.

Import reads every ``<outline>`` with an ``xmlUrl`` at any depth (folders are
flattened; the folder name is kept in the feed's name only when the outline
has no text) and appends the feeds not yet in feeds.toml to it, leaving what
is there (comments included) untouched. Export writes one ``type="rss"``
outline per feed, with its language.

XML safety: the standard library's expat (2.4.1 and later, bundled with
Python 3.11) refuses entity-expansion bombs and never fetches external
entities, so a hostile OPML file cannot blow up memory or reach the network.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import format_datetime

from config.feeds import FeedConfig, feed_id_for
from pipeline.errors import BadInput


def read_opml(data: bytes, *, prefilter: bool = False) -> list[FeedConfig]:
    """The feeds an OPML document lists; raises BadInput naming the problem."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise BadInput(f"not valid OPML (XML error: {exc})") from None
    if root.tag.lower() != "opml":
        raise BadInput(f"not OPML: the root element is <{root.tag}>")
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url or not url.startswith(("http://", "https://")):
            continue
        fid = feed_id_for(url)
        if fid in seen:
            continue
        seen.add(fid)
        name = (outline.get("text") or outline.get("title") or url).strip()
        language = (outline.get("language") or "").strip() or None
        feeds.append(FeedConfig(url=url, name=name, language=language, prefilter=prefilter))
    return feeds


def write_opml(feeds: list[FeedConfig], *, title: str = "newswatch feeds") -> str:
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    body = ET.SubElement(opml, "body")
    for feed in feeds:
        attrs = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.language:
            attrs["language"] = feed.language
        ET.SubElement(body, "outline", attrs)
    ET.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def toml_tables(feeds: list[FeedConfig]) -> str:
    """``[[feeds]]`` tables for feeds.toml."""
    out = []
    for feed in feeds:
        lines = ["[[feeds]]", f"name = {_toml_str(feed.name)}", f"url = {_toml_str(feed.url)}"]
        if feed.language:
            lines.append(f"language = {_toml_str(feed.language)}")
        lines.append(f"prefilter = {'true' if feed.prefilter else 'false'}")
        out.append("\n".join(lines))
    return "\n\n".join(out) + ("\n" if out else "")
