"""Replaying a backlog through the same stages as live polling.

Inputs: JSONL (one object a line: ``url``, and ``html`` or ``text``; optional
``title``, ``published`` (any form pipeline.dates reads), ``source``, ``language``),
folders of ``.html`` files, and WARC files (``.warc``, ``.warc.gz``: their HTML responses).

Each item is parked in Redis under an id derived from its content and sent, a few
items a ``process_items`` message; workers (in this process, or ``newswatch
worker`` anywhere on the same Redis) take them. Replaying the same input again
is harmless: the store answers "unchanged". A replay killed halfway and started
again sends every item again and so finishes what was left. Alerts are off
unless asked for.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from pipeline import sanitize
from pipeline.clean import RawHtml, decode_html
from pipeline.dates import read_date
from pipeline.errors import BadInput, UnreadableDate, Unusable
from pipeline.models import Page
from pipeline.urls import digest
from workers.app import App

log = structlog.get_logger(__name__)

DEFAULT_MAX_BYTES = 15 * 1024 * 1024  # NEWSWATCH_HTTP_MAX_BYTES's default; replay() passes the setting
MAX_IN_FLIGHT = 500
# Items a message carries: a worker thread cleans one page of it while it stores the page before
# (workers.actors.process_items), so its cleaner process does not wait for Redis between pages. The
# last SINGLE_AT_END items of an input go one a message, so that no thread is left alone at the end
# with a whole message to do.
BATCH_ITEMS = 4
SINGLE_AT_END = 8
LOST_AFTER_S = 30.0
# how often a replay looks whether its items are done: near the end every WAIT_POLL_S (it returns that
# soon after), at most LONGEST_POLL_S apart while much is left (its progress moves that often)
WAIT_POLL_S = 0.02
LONGEST_POLL_S = 0.25
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
    outcome: str = "error"  # of an item that never reaches a worker: "error", or "rejected" (too large)


@dataclass
class ReplayResult:
    run_id: str
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str]] = field(default_factory=list)
    alerts_waiting: int = 0  # alert deliveries that failed once and wait for a retry

    def summary(self) -> dict[str, Any]:
        return {"run_id": self.run_id, **{k: self.counts.get(k, 0) for k in SUMMARY_KEYS}}


def _published(value: Any) -> tuple[str | None, str, str | None]:
    """A line's ``published`` in any form pipeline.dates reads: (ISO date, precision, warning).

    A date that cannot be read is a warning: the line is still replayed, and dated from its
    URL, its dateline or the time of the replay.
    """
    try:
        found = read_date(value, source="input")
    except UnreadableDate as exc:
        return None, "day", f"published: {exc}"
    return (found.at.isoformat(), found.precision, None) if found else (None, "day", None)


def item_from_object(obj: Any, where: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """A JSONL object as a work item payload; raises BadInput saying what is wrong, or Unusable
    (``too_large``) for an ``html`` or ``text`` over the size cap.

    Every field is sanitized as it enters (pipeline.sanitize): an optional field of the wrong type
    (a title given as a number) is dropped with a warning kept on the item's outcome, lone
    surrogates and control characters are dropped.
    """
    if not isinstance(obj, dict):
        raise BadInput(f"{where}: expected a JSON object, got {type(obj).__name__}")
    url = obj.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise BadInput(f"{where}: 'url' is missing or not an http(s) URL")
    url = sanitize.drop_controls(url)
    published, precision, date_warning = _published(obj.get("published"))
    warnings: list[str] = [date_warning] if date_warning else []
    fields: dict[str, str | None] = {}
    for name in ("title", "source", "language"):
        fields[name], warning = sanitize.optional_text(obj.get(name), name)
        if warning:
            warnings.append(warning)
    for name in ("html", "text"):
        if obj.get(name) is not None and not isinstance(obj[name], str):
            raise BadInput(f"{where}: '{name}' must be text, got {type(obj[name]).__name__}")
    html, text = obj.get("html"), obj.get("text")
    if isinstance(html, str) and html.strip():
        sanitize.check_size(html, max_bytes, "html")
        page = Page(url=url, html=sanitize.drop_controls(html), source=fields["source"], origin="replay")
        data = page.model_dump(mode="json")
        if fields["title"] or published:
            # the line's own title and date play the feed entry's part: they win over the page's
            data["entry"] = {
                "feed_id": "replay",
                "entry_id": digest(url, 24),
                "url": url,
                "title": fields["title"],
                "published_at": published,
                "published_precision": precision,
                "language": fields["language"],
            }
        payload: dict[str, Any] = {"kind": "page", "page": data}
    elif isinstance(text, str) and text.strip():
        sanitize.check_size(text, max_bytes, "text")
        payload = {
            "kind": "article",
            "article": {
                "url": url,
                "text": sanitize.drop_controls(text),
                "title": fields["title"],
                "published_at": published,
                "published_precision": precision,
                "source": fields["source"],
                "language": fields["language"],
            },
        }
    else:
        raise BadInput(f"{where}: needs a non-empty 'html' or 'text'")
    if warnings:
        payload["warnings"] = warnings
    return payload


def read_jsonl(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """Items of a JSONL file. A line is read up to a bound (twice the size cap, room for JSON's
    escapes): a longer one is skipped without being held in memory, and rejected as too large."""
    line_cap = 2 * max_bytes + 65536
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        n = 0
        while raw := fh.readline(line_cap + 1):
            n += 1
            where = f"{path}:{n}"
            if len(raw) > line_cap and not raw.endswith(b"\n"):
                while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                problem = f"{where}: too_large: line is over {line_cap} bytes (size cap {max_bytes})"
                yield Item(where, error=problem, outcome="rejected")
                continue
            line = raw.decode("utf-8", errors="replace")
            if not line.strip():
                continue
            try:
                yield Item(where, item_from_object(json.loads(line), where, max_bytes=max_bytes))
            except json.JSONDecodeError as exc:
                yield Item(where, error=f"{where}: not JSON: {exc.msg} at column {exc.colno}")
            except Unusable as exc:
                yield Item(where, error=f"{where}: {exc.code}: {exc}", outcome="rejected")
            except BadInput as exc:
                yield Item(where, error=str(exc))


CANONICAL_MARKERS = (b'rel="canonical" href="', b'property="og:url" content="')
UNPACK_STEP = 64 * 1024


def _link(buf: bytes, marker: bytes) -> bytes | None:
    at = buf.find(marker)
    end = buf.find(b'"', at + len(marker)) if at >= 0 else -1
    return buf[at + len(marker) : end] if end >= 0 else None


def _canonical(buf: bytes) -> bytes | None:
    """The page's first canonical link that is an http(s) URL, else its og:url; None: neither."""
    links = (_link(buf, marker) for marker in CANONICAL_MARKERS)
    return next((link for link in links if link and link.startswith((b"http://", b"https://"))), None)


def _page_url(data: bytes, gz: bool) -> str | None:
    """The page's URL as its file's bytes give it (``_canonical``), "" when it has none. A .gz file
    is unpacked only as far as its canonical link (in the page's head). None when the bytes must be
    decoded to be read (UTF-16 or UTF-32, or a link that is not ASCII)."""
    head = data
    if gz:
        inflater, head, rest, step = zlib.decompressobj(16 + zlib.MAX_WBITS), b"", data, UNPACK_STEP
        while rest and _link(head, CANONICAL_MARKERS[0]) is None:
            head += inflater.decompress(rest, step)
            rest, step = inflater.unconsumed_tail, step * 2
        if _link(head, CANONICAL_MARKERS[0]) is None:
            head = gzip.decompress(data)  # no canonical link: the og:url may be anywhere
    if head[:200].count(0) or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    link = _canonical(head)
    if link is None:
        return ""
    return link.decode("ascii") if link.isascii() else None


def read_html_file(path: Path) -> Item:
    """A page from a file (.html, .htm, .html.gz), its URL its canonical link (else its og:url). Its
    bytes are queued as they are (``raw``), to be unpacked and decoded in a worker's cleaner process."""
    data = path.read_bytes()
    gz = path.suffix == ".gz"
    try:
        url = _page_url(data, gz)
        if url is None:  # the page must be decoded to be read: it is, here, and queued as text
            html = decode_html(gzip.decompress(data) if gz else data)
            link = _canonical(html.encode("utf-8", "surrogatepass"))
            url = link.decode("utf-8", "replace") if link else f"https://replay.invalid/{path.name}"
            page = Page(url=url, html=html, origin="replay")
            return Item(str(path), {"kind": "page", "page": page.model_dump(mode="json")})
    except (zlib.error, EOFError, OSError) as exc:
        return Item(str(path), error=f"{path}: damaged gzip file: {exc}")
    page = Page(url=url or f"https://replay.invalid/{path.name}", html="", origin="replay")
    payload = {"kind": "page", "page": {**page.model_dump(mode="json"), "html": data}, "raw": {"gzip": gz}}
    return Item(str(path), payload)


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


def _capped(item: Item, max_bytes: int) -> Item:
    """A page item over the size cap is rejected here, before it is parked in Redis (a .gz file by
    the size its gzip trailer gives; the cleaner process holds it to the cap as it unpacks it)."""
    if item.payload and item.payload.get("kind") == "page":
        try:
            if (raw := page_bytes(item.payload)) is None:
                sanitize.check_size(item.payload["page"]["html"], max_bytes, "html")
            elif (int.from_bytes(raw.data[-4:], "little") if raw.gzip else len(raw.data)) > max_bytes:
                raw.unpacked(max_bytes)  # a damaged file's trailer may say anything: unpack it to be sure
        except Unusable as exc:
            return Item(item.where, error=f"{item.where}: {exc.code}: {exc}", outcome="rejected")
    return item


def read_inputs(paths: list[Path], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item]:
    for path in paths:
        if not path.exists():
            yield Item(str(path), error=f"{path}: no such file or folder")
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.name.endswith((".html", ".htm", ".html.gz")):
                    yield _capped(read_html_file(child), max_bytes)
        elif path.name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
            yield from read_jsonl(path, max_bytes=max_bytes)
        elif path.name.endswith((".warc", ".warc.gz")):
            yield from (_capped(item, max_bytes) for item in read_warc(path))
        elif path.name.endswith((".html", ".htm", ".html.gz")):
            yield _capped(read_html_file(path), max_bytes)
        else:
            yield Item(str(path), error=f"{path}: not JSONL, HTML or WARC (by its name)")


def serialized(payload: dict[str, Any]) -> tuple[str, bytes | None]:
    """An item's stored form, the one both its id and the stored item are made from: its JSON and,
    kept apart, its page's HTML as bytes (UTF-8 text, or a file's own bytes: ``raw``). Escaping a
    whole page into JSON, and reading it back, would cost a worker more than decoding the page."""
    page = payload.get("page") if payload.get("kind") == "page" else None
    if not isinstance(page, dict) or not isinstance(page.get("html"), str | bytes):
        return json.dumps(payload, sort_keys=True), None
    html = page["html"]
    body = html.encode("utf-8", "surrogatepass") if isinstance(html, str) else html
    return json.dumps({**payload, "page": {**page, "html": ""}}, sort_keys=True), body


def restored(raw: str | bytes, body: bytes | None) -> dict[str, Any]:
    """The item ``serialized`` made this stored form of: its page's HTML back in place (text, or the
    file's bytes when the item is ``raw``)."""
    payload: dict[str, Any] = json.loads(raw)
    if body is not None and payload.get("kind") == "page":
        payload["page"]["html"] = body if "raw" in payload else body.decode("utf-8", "surrogatepass")
    return payload


def page_bytes(payload: dict[str, Any]) -> RawHtml | None:
    """A page item's file bytes, to be unpacked and decoded in a cleaner process; None when the item
    holds its page as text (or holds no page)."""
    packed = payload.get("raw")
    if payload.get("kind") != "page" or not isinstance(packed, dict):
        return None
    return RawHtml(bytes(payload["page"]["html"]), packed.get("charset"), bool(packed.get("gzip")))


def item_id(raw: str, body: bytes | None = None) -> str:
    """An item's id from its stored form (``serialized``): the same input gives the same id, so a
    restarted replay re-sends the same items."""
    if body is None:
        return digest(raw, 24)
    return hashlib.blake2b(raw.encode() + b"\x00" + body, digest_size=12).hexdigest()


def failed_items(app: App) -> Iterator[Item]:
    """The items whose last outcome was an error, as work items again (``replay --retry-errors``):
    replayed lines with their input as it was read, feed entries by their id (fetched again)."""
    for failure in app.store.failures(outcome="error", limit=1_000_000):
        kind, _, ident = failure["key"].partition(":")
        where = failure.get("where") or failure["key"]
        if kind == "entry":
            yield Item(where, {"kind": "entry", "entry_id": ident})
        elif kind == "item" and (payload := app.store.failed_payload(failure["key"])) is not None:
            yield Item(where, payload)
        # bad input lines ("input:") cannot run again: only a fixed file can; the file says where


def wait_for_deliveries(app: App, timeout_s: float) -> int:
    """Wait until every alert delivery raised so far was attempted at least once (workers in this
    process must not stop with deliveries still queued); returns how many wait for a retry."""
    from workers.notify import undelivered

    deadline = time.monotonic() + timeout_s
    while undelivered(app, states=("pending",)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return len(undelivered(app))


def replay(
    app: App,
    paths: list[Path],
    *,
    alerts: bool = False,
    progress: Callable[[int, int], None] | None = None,
    timeout_s: float = 24 * 3600,
    items: Iterable[Item] | None = None,
    wait_alerts_s: float | None = None,
) -> ReplayResult:
    """Enqueue every item of the inputs (or the ``items`` given) and wait for the workers to finish
    them; count the outcomes. ``wait_alerts_s``: with workers in this process, also wait (that
    long at most) until the alerts raised were each sent once, so none is left queued at exit."""
    result = ReplayResult(run_id=uuid.uuid4().hex[:12])
    started = time.monotonic()
    structlog.contextvars.bind_contextvars(run_id=result.run_id)
    sent = done = 0
    held: list[str] = []  # items stored and not yet sent: the last ones go one a message
    where_of: dict[str, str] = {}  # item id -> where it was read, in input order
    inputs = items if items is not None else read_inputs(paths, max_bytes=app.settings.http_max_bytes)
    for item in inputs:
        result.counts["read"] += 1
        if item.error or item.payload is None:
            result.counts[OUTCOME_TO_KEY.get(item.outcome, "errors")] += 1
            result.problems.append((item.where, item.error or "unreadable"))
            log.warning("replay_bad_input", where=item.where, error=item.error)
            key = f"input:{digest(item.where, 24)}"
            app.store.note_outcome(key, item.outcome, _coded(item.error or "unreadable"), where=item.where)
            continue
        raw, body = serialized(item.payload)  # made once, for its id and the store
        iid = item_id(raw, body)
        if iid in where_of:  # the same item twice in one input: its outcome is the first one's
            result.counts["unchanged"] += 1
            continue
        where_of[iid] = item.where
        app.store.put_item(result.run_id, iid, raw, app.settings.page_ttl_s, body)
        held.append(iid)
        if len(held) < BATCH_ITEMS + SINGLE_AT_END:
            continue
        app.send("process_items", item_ids=held[:BATCH_ITEMS], run_id=result.run_id, alerts=alerts)
        del held[:BATCH_ITEMS]
        sent += BATCH_ITEMS
        if sent - done > MAX_IN_FLIGHT:  # asked only when the last answer no longer allows another
            while sent - (done := app.store.run_done(result.run_id)) > MAX_IN_FLIGHT:
                time.sleep(WAIT_POLL_S)
                if progress:
                    progress(done, sent)
    for iid in held:  # the last items one a message: the threads finish them together
        app.send("process_items", item_ids=[iid], run_id=result.run_id, alerts=alerts)
        sent += 1
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
        time.sleep(_poll_wait(sent - done, time.monotonic() - started, done))
    if progress:
        progress(sent, sent)
    outcomes = app.store.run_outcomes(result.run_id)
    places = {}
    for iid, where in where_of.items():
        out = outcomes.get(iid, {"outcome": "error", "detail": "lost: no worker recorded an outcome"})
        result.counts[OUTCOME_TO_KEY.get(out["outcome"], "errors")] += 1
        result.counts["alerts"] += int(out.get("alerts", 0))
        if out["outcome"] in ("error", "rejected"):
            result.problems.append((where, out["detail"]))
            places[f"item:{iid}"] = where
    app.store.note_where(places)
    if alerts and wait_alerts_s:
        result.alerts_waiting = wait_for_deliveries(app, wait_alerts_s)
    log.info("replay_finished", **result.summary(), alerts_waiting=result.alerts_waiting)
    return result


def _poll_wait(left: int, elapsed_s: float, done: int) -> float:
    """How long to wait before looking again: a quarter of the time the items left should take at the
    pace so far, between WAIT_POLL_S and LONGEST_POLL_S (each look costs the workers' Redis a little)."""
    per_item_s = elapsed_s / done if done else LONGEST_POLL_S
    return min(LONGEST_POLL_S, max(WAIT_POLL_S, left * per_item_s / 4))


def _coded(problem: str) -> str:
    """A bad line's problem as "code: message" (the code the errors list and stats count it by)."""
    message = problem.split(": ", 1)[1] if ": " in problem else problem
    if message.startswith("too_large:"):
        return message
    return f"bad_input: {message}"
