"""Replaying a backlog through the same stages as live polling.

Inputs: JSONL (one object a line: ``url``, and ``html`` or ``text``; optional
``title``, ``published``, ``source``, ``language``), folders of ``.html`` files,
and WARC files (``.warc``, ``.warc.gz``: their HTML responses).

Each item is parked in Redis under an id derived from its content and a
``process_item`` message is sent; workers (in this process, or ``newswatch
worker`` anywhere on the same Redis) take them. Replaying the same input again
is harmless: the store answers "unchanged". A replay killed halfway and started
again sends every item again and so finishes what was left. Alerts are off
unless asked for.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from pipeline.clean import decode_html
from pipeline.errors import BadInput
from pipeline.models import Page
from pipeline.urls import digest
from workers.app import App

log = structlog.get_logger(__name__)

MAX_IN_FLIGHT = 500
LOST_AFTER_S = 30.0
SUMMARY_KEYS = (
    "read",
    "stored",
    "duplicates",
    "near_duplicates",
    "off_topic",
    "rejected",
    "errors",
    "alerts",
    "revisions",
    "unchanged",
)
OUTCOME_TO_KEY = {
    "stored": "stored",
    "duplicate": "duplicates",
    "near_duplicate": "near_duplicates",
    "off_topic": "off_topic",
    "rejected": "rejected",
    "error": "errors",
    "revision": "revisions",
    "unchanged": "unchanged",
}


@dataclass
class Item:
    where: str
    payload: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class ReplayResult:
    run_id: str
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"run_id": self.run_id, **{k: self.counts.get(k, 0) for k in SUMMARY_KEYS}}


def _parse_time(value: Any, where: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise BadInput(f"{where}: 'published' is not an ISO 8601 date: {value!r}") from None


def item_from_object(obj: Any, where: str) -> dict[str, Any]:
    """A JSONL object as a work item payload; raises BadInput saying what is wrong."""
    if not isinstance(obj, dict):
        raise BadInput(f"{where}: expected a JSON object, got {type(obj).__name__}")
    url = obj.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise BadInput(f"{where}: 'url' is missing or not an http(s) URL")
    published = _parse_time(obj.get("published"), where)
    source = obj.get("source") if isinstance(obj.get("source"), str) else None
    if isinstance(obj.get("html"), str) and obj["html"].strip():
        page = Page(url=url, html=obj["html"], source=source, origin="replay")
        data = page.model_dump(mode="json")
        if obj.get("title") or published:
            # the line's own title and date play the feed entry's part: they win over the page's
            data["entry"] = {
                "feed_id": "replay",
                "entry_id": digest(url, 24),
                "url": url,
                "title": obj.get("title"),
                "published_at": published,
            }
        return {"kind": "page", "page": data}
    if isinstance(obj.get("text"), str) and obj["text"].strip():
        return {
            "kind": "article",
            "article": {
                "url": url,
                "text": obj["text"],
                "title": obj.get("title"),
                "published_at": published,
                "source": source,
                "language": obj.get("language"),
            },
        }
    raise BadInput(f"{where}: needs a non-empty 'html' or 'text'")


def read_jsonl(path: Path) -> Iterator[Item]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                yield Item(where, item_from_object(json.loads(line), where))
            except json.JSONDecodeError as exc:
                yield Item(where, error=f"{where}: not JSON: {exc.msg} at column {exc.colno}")
            except BadInput as exc:
                yield Item(where, error=str(exc))


def read_html_file(path: Path) -> Item:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    html = decode_html(raw)
    url = f"https://replay.invalid/{path.name}"
    for marker in ('rel="canonical" href="', 'property="og:url" content="'):
        at = html.find(marker)
        if at >= 0:
            candidate = html[at + len(marker) : html.find('"', at + len(marker))]
            if candidate.startswith(("http://", "https://")):
                url = candidate
                break
    return Item(
        str(path), {"kind": "page", "page": Page(url=url, html=html, origin="replay").model_dump(mode="json")}
    )


def read_warc(path: Path) -> Iterator[Item]:
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as fh:
        try:
            for n, record in enumerate(ArchiveIterator(fh), 1):
                if record.rec_type != "response" or not record.http_headers:
                    continue
                ctype = record.http_headers.get_header("Content-Type") or ""
                if "html" not in ctype:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                where = f"{path}#{n}"
                body = record.content_stream().read()
                charset = ctype.split("charset=")[-1].strip() if "charset=" in ctype else None
                page = Page(url=url, html=decode_html(body, charset), origin="replay")
                yield Item(where, {"kind": "page", "page": page.model_dump(mode="json")})
        except Exception as exc:  # warcio raises plain exceptions on a damaged archive
            yield Item(str(path), error=f"{path}: damaged WARC: {exc}")


def read_inputs(paths: list[Path]) -> Iterator[Item]:
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.name.endswith((".html", ".htm", ".html.gz")):
                    yield read_html_file(child)
        elif path.name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
            yield from read_jsonl(path)
        elif path.name.endswith((".warc", ".warc.gz")):
            yield from read_warc(path)
        elif path.name.endswith((".html", ".htm", ".html.gz")):
            yield read_html_file(path)
        elif not path.exists():
            yield Item(str(path), error=f"{path}: no such file or folder")
        else:
            yield Item(str(path), error=f"{path}: not JSONL, HTML or WARC (by its name)")


def item_id(payload: dict[str, Any]) -> str:
    """The same input gives the same id, so a restarted replay re-sends the same items."""
    return digest(json.dumps(payload, sort_keys=True), 24)


def replay(
    app: App,
    paths: list[Path],
    *,
    alerts: bool = False,
    progress: Callable[[int, int], None] | None = None,
    timeout_s: float = 24 * 3600,
) -> ReplayResult:
    """Enqueue every item of the inputs and wait for the workers to finish them; count the outcomes."""
    result = ReplayResult(run_id=uuid.uuid4().hex[:12])
    structlog.contextvars.bind_contextvars(run_id=result.run_id)
    sent = 0
    where_of: dict[str, str] = {}  # item id -> where it was read, in input order
    for item in read_inputs(paths):
        result.counts["read"] += 1
        if item.error or item.payload is None:
            result.counts["errors"] += 1
            result.problems.append((item.where, item.error or "unreadable"))
            log.warning("replay_bad_input", where=item.where, error=item.error)
            continue
        iid = item_id(item.payload)
        if iid in where_of:  # the same item twice in one input: its outcome is the first one's
            result.counts["unchanged"] += 1
            continue
        where_of[iid] = item.where
        app.store.put_item(result.run_id, iid, item.payload, app.settings.page_ttl_s)
        app.send("process_item", item_id=iid, run_id=result.run_id, alerts=alerts)
        sent += 1
        while sent - app.store.run_done(result.run_id) > MAX_IN_FLIGHT:
            time.sleep(0.05)
            if progress:
                progress(app.store.run_done(result.run_id), sent)
    deadline = time.monotonic() + timeout_s
    idle_since: float | None = None
    while (done := app.store.run_done(result.run_id)) < sent:
        if progress:
            progress(done, sent)
        if time.monotonic() > deadline:
            raise TimeoutError(f"replay {result.run_id}: {sent - done} items not finished in {timeout_s} s")
        # Nothing queued, in flight or waiting for a retry, yet outcomes missing: those messages
        # were lost (dead-lettered by hand, a flushed queue). Say so instead of waiting forever.
        if app.broker.do_qsize("articles") == 0:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > LOST_AFTER_S:
                break
        else:
            idle_since = None
        time.sleep(0.05)
    if progress:
        progress(sent, sent)
    outcomes = app.store.run_outcomes(result.run_id)
    for iid, where in where_of.items():
        out = outcomes.get(iid, {"outcome": "error", "detail": "lost: no worker recorded an outcome"})
        result.counts[OUTCOME_TO_KEY.get(out["outcome"], "errors")] += 1
        result.counts["alerts"] += int(out.get("alerts", 0))
        if out["outcome"] in ("error", "rejected"):
            result.problems.append((where, out["detail"]))
    log.info("replay_finished", **result.summary())
    return result
