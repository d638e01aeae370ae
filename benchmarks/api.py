"""The API and the dashboard at scale: p50 and p95 milliseconds per route at 10k and 100k records.

    python benchmarks/api.py [--sizes 10000,100000] [--requests 200] [--json]

The corpus is synthetic and generated here (records of made-up words from 12 outlets over two
years, a third about the subject with events, named entities in three scripts, stories of one to
four reports, one report in ten a copy, 200 detention cases with their timelines). It is written
through the store's own write path (``RedisStore._write``: the same keys and indexes as live
ingestion, pipelined in bulk) into a redis-server of its own, started for the run in a
temporary folder. ``newswatch serve``'s application then runs on uvicorn on a loopback port and
each route is asked ``--requests`` times over HTTP with varied parameters, one request at a
time; the figures are wall-clock milliseconds seen by the client. The target is p95 <= 100 ms
for search, stories, a case and home at 100k records.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from config.settings import Settings  # noqa: E402
from pipeline.entities import slug  # noqa: E402
from pipeline.models import Case, CaseStep, DedupVerdict, Entity, Event, Fingerprints, Record  # noqa: E402
from workers.app import App  # noqa: E402
from workers.redis_server import EmbeddedRedis  # noqa: E402
from workers.web.server import serving  # noqa: E402

out = Console(width=None if sys.stdout.isatty() else 130)
err = Console(stderr=True)

OUTLETS = [f"Outlet {n}" for n in range(12)]
EVENTS = ["detention", "release", "consular_access", "sanctions", "diplomatic_protest", "arms_supply"]
PEOPLE = [f"Person{n} Example" for n in range(150)] + ["Baek Won-soon", "백원순", "Мария Захарова"]
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_S = 2 * 365 * 86400
CASES = 200


class Corpus:
    """Deterministic synthetic records: record i is the same in every run."""

    def __init__(self, seed: int = 11) -> None:
        rng = random.Random(seed)
        consonants, vowels = "bdfgklmnprstvz", "aeiou"
        self.words = sorted(
            {
                "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
                for _ in range(4000)
            }
        )

    def record(self, i: int) -> Record:
        rng = random.Random(i)
        when = START + timedelta(seconds=rng.randrange(SPAN_S))
        title = " ".join(rng.choices(self.words, k=rng.randint(6, 11))).capitalize()
        text = " ".join(rng.choices(self.words, k=70))
        on_topic = rng.random() < 0.35
        events = tuple(
            Event(type=t, evidence=f"{title}.", confidence=0.8)
            for t in (rng.sample(EVENTS, rng.randint(1, 2)) if on_topic else [])
        )
        names = rng.sample(PEOPLE, rng.randint(0, 3))
        entities = tuple(Entity(id=slug(n), type="person", name=n, variants=(n,), mentions=1) for n in names)
        copy_of = i - 1 if i % 10 == 9 else None
        case_ids = (f"case-{i % CASES}",) if any(e.type == "detention" for e in events) else ()
        return Record(
            id=f"{i:016x}",
            url=f"https://outlet{i % 12}.example/news/{i}",
            canonical_url=f"https://outlet{i % 12}.example/news/{i}",
            source=OUTLETS[i % 12],
            title=title,
            text=text,
            published_at=when,
            fetched_at=when,
            language="en",
            content_hash=f"{i:032x}",
            dedup=DedupVerdict(status="duplicate", duplicate_of=f"{copy_of:016x}")
            if copy_of is not None
            else DedupVerdict(status="unique"),
            story_id=f"s{i // 3:015x}" if on_topic or copy_of is not None else None,
            relevance=0.8 if on_topic else 0.1,
            on_topic=on_topic,
            events=events,
            entities=entities,
            case_ids=case_ids,
        )


def fill(nw: App, corpus: Corpus, start: int, stop: int) -> None:
    """Records start..stop-1 through the store's write path, pipelined; their cases' timelines."""
    store = nw.store
    # a synthetic record's story is given, not found: no story keys (or profile) to file
    no_story_keys: Any = None if "profile" in inspect.signature(store._write_story).parameters else {}
    cases: dict[str, list[Record]] = {}
    for lo in range(start, stop, 1000):
        with nw.redis.pipeline(transaction=False) as pipe:
            for i in range(lo, min(stop, lo + 1000)):
                rec = corpus.record(i)
                fps = Fingerprints(article_id=rec.id, url_hash=f"{i:032x}", content_hash=rec.content_hash)
                store._write(pipe, rec, fps, None, {})
                store._write_story(pipe, rec, no_story_keys)
                for cid in rec.case_ids:
                    cases.setdefault(cid, []).append(rec)
                    pipe.zadd(store.k("case", "records", cid), {rec.id: rec.sort_time.timestamp()})
            pipe.execute()
    with nw.redis.pipeline(transaction=False) as pipe:
        for cid, recs in cases.items():
            raw = nw.redis.get(store.k("case", cid))
            old = Case.model_validate_json(raw) if raw else None
            steps = list(old.steps) if old else []
            for rec in recs[:4]:
                steps.append(
                    CaseStep(
                        case_id=cid,
                        status=random.Random(rec.id).choice(["detained", "charged", "custody_extended"]),
                        date=rec.sort_time.date().isoformat(),
                        evidence=rec.events[0].evidence,
                        record_ids=(rec.id,),
                    )
                )
            steps = steps[-12:]
            case = Case(
                id=cid,
                person=f"Detainee {cid}",
                status=steps[-1].status,
                steps=tuple(steps),
                record_ids=tuple(r for s in steps for r in s.record_ids),
                first_seen=old.first_seen if old else recs[0].sort_time,
                updated_at=recs[-1].sort_time,
            )
            pipe.set(store.k("case", cid), case.model_dump_json())
            pipe.zadd(store.k("case", "idx", "updated"), {cid: recs[-1].sort_time.timestamp()}, gt=True)
        pipe.execute()


def routes(corpus: Corpus, client: httpx.Client, rng: random.Random) -> dict[str, Any]:
    """Each route: a function giving the next request's path and query."""
    word = lambda: rng.choice(corpus.words)  # noqa: E731
    first_page = client.get("/api/v1/records", params={"limit": 20}).json()
    case_ids = [c["id"] for c in client.get("/api/v1/cases", params={"limit": 200}).json()]
    story_ids = [s["id"] for s in client.get("/api/v1/stories", params={"limit": 200}).json()["items"]]
    return {
        "search text": lambda: ("/api/v1/records", {"text": word()}),
        "search 2 words": lambda: ("/api/v1/records", {"text": f"{word()} {word()}"}),
        "search filters": lambda: (
            "/api/v1/records",
            {"event": rng.choice(EVENTS), "source": rng.choice(OUTLETS), "on_topic": "true"},
        ),
        "search page 2": lambda: ("/api/v1/records", {"cursor": first_page["next_cursor"]}),
        "search page": lambda: ("/search", {"q": word()}),
        "stories": lambda: ("/api/v1/stories", {}),
        "stories by event": lambda: ("/api/v1/stories", {"event": rng.choice(EVENTS)}),
        "a story": lambda: (f"/api/v1/stories/{rng.choice(story_ids)}", {}),
        "story page": lambda: (f"/stories/{rng.choice(story_ids)}", {}),
        "a case": lambda: (f"/api/v1/cases/{rng.choice(case_ids)}", {}),
        "case page": lambda: (f"/cases/{rng.choice(case_ids)}", {}),
        "home": lambda: ("/", {}),
        "timeline": lambda: ("/api/v1/timeline", {"days": 30}),
        "stats": lambda: ("/api/v1/stats", {}),
    }


def measure(corpus: Corpus, base: str, requests: int, only: set[str]) -> dict[str, dict[str, float]]:
    rng = random.Random(5)
    figures = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for name, make in routes(corpus, client, rng).items():
            if only and name not in only:
                continue
            times = []
            for n in range(requests + 3):
                path, params = make()
                t0 = time.perf_counter()
                resp = client.get(path, params=params)
                elapsed = (time.perf_counter() - t0) * 1000
                if resp.status_code != 200:
                    raise SystemExit(f"{name}: {path} answered {resp.status_code}: {resp.text[:200]}")
                if n >= 3:  # the first few warm the connection and the caches
                    times.append(elapsed)
            times.sort()
            figures[name] = {
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2),
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes, comma-separated, ascending")
    parser.add_argument("--requests", type=int, default=200, help="requests per route and size")
    parser.add_argument("--routes", default="", help="only these routes (comma-separated names)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    corpus = Corpus()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="nw-bench-api-") as tmp:
        server = EmbeddedRedis(Path(tmp))
        url = server.start()
        try:
            settings = Settings(redis_url=url, key_prefix="nwbench", data_dir=Path(tmp) / "data")
            with App.open(settings) as nw, serving(nw) as base:
                have = 0
                for size in sizes:
                    t0 = time.perf_counter()
                    fill(nw, corpus, have, size)
                    have = size
                    err.print(f"{size:,} records written in {time.perf_counter() - t0:.0f} s; measuring")
                    only = {r for r in args.routes.split(",") if r}
                    results[str(size)] = measure(corpus, base, args.requests, only)
        finally:
            server.stop()
    if args.json:
        print(json.dumps(results))
        return
    table = Table(title=f"newswatch serve: milliseconds per request ({args.requests} per route)")
    table.add_column("route")
    for size in results:
        table.add_column(f"p50 @ {int(size):,}", justify="right")
        table.add_column(f"p95 @ {int(size):,}", justify="right")
    for name in next(iter(results.values())):
        row = [name]
        for figures in results.values():
            row += [f"{figures[name]['p50_ms']:.1f}", f"{figures[name]['p95_ms']:.1f}"]
        table.add_row(*row)
    out.print(table)


if __name__ == "__main__":
    main()
