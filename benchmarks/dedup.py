"""Deduplication at scale: time per dedup decision and Redis memory per article at 10k, 100k, 1M.

    python benchmarks/dedup.py [--sizes 10000,100000,1000000] [--probes 400] [--json]
    python benchmarks/dedup.py --calibrate

The corpus is synthetic and generated here: articles of 8-14 paragraphs drawn from a
vocabulary of 20,000 made-up words, with controlled near-duplicates among them (one in ten is
a reprint of an earlier article with another outlet's header and footer, or with one sentence
edited). It lives in a redis-server of its own, started for the run in a temporary folder, so
that the memory figures are the corpus's alone.

The corpus grows to each size in turn through the store's own write path (the same keys and
layout as live ingestion, pipelined in bulk); at each size, --probes dedup decisions are timed
through ``RedisStore.save`` itself (WATCH, claims, LSH candidates, exact check, MULTI): a third
new articles, a third reprints of stored ones, a third the same URL again, each also placed in its
story (candidates through the names it shares, related ones linked). Printed: median and
p95 milliseconds per decision, and bytes per article in Redis, in all and for the dedup index
alone (claims and LSH buckets), with the ratios of the largest size to the smallest.

--calibrate prints the body and lead overlap (Jaccard over 5-word shingles) of pairs of each
kind, which is how NEAR_JACCARD, NEAR_LEAD and the 16x4 bands in pipeline/dedup.py were chosen.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn  # noqa: E402
from rich.table import Table  # noqa: E402

from pipeline.clean import article_from_text  # noqa: E402
from pipeline.dedup import compare, fingerprint  # noqa: E402
from pipeline.models import DedupVerdict, Enrichment  # noqa: E402
from pipeline.record import build_record  # noqa: E402
from pipeline.stories import StoryProfile  # noqa: E402
from workers.logs import configure  # noqa: E402
from workers.redis_server import EmbeddedRedis  # noqa: E402
from workers.store import RedisStore  # noqa: E402

out = Console(width=None if sys.stdout.isatty() else 130)
err = Console(stderr=True)
ENRICHMENT = Enrichment(relevance=0.9, on_topic=True, relevance_reason="benchmark")
# Stories: every synthetic article is on topic, dated one minute after the one before (1M articles
# span two years), and names three people or places out of 20,000 (a few common, most rare), so the
# story decision reads real candidate lists through the store's indexes.
START = datetime(2023, 1, 1, tzinfo=UTC)
NAMES = 20_000


def profile_for(i: int, seed: int = 0) -> StoryProfile:
    rng = random.Random(i * 7919 + seed)
    names = {f"name{int(NAMES * rng.random() ** 3)}" for _ in range(3)}  # a few names common, most rare
    lead = frozenset(f"w{rng.randrange(5000)}" for _ in range(12))
    at = START + timedelta(minutes=i)
    return StoryProfile(
        keys=dict.fromkeys(sorted(names), 1.0),
        lead=lead,
        entities=frozenset(),
        events=frozenset({"detention"}),
        statuses=frozenset(),
        at=at.timestamp(),
    )


class Corpus:
    """Deterministic synthetic news: article i is the same text in every run."""

    def __init__(self, seed: int = 7) -> None:
        rng = random.Random(seed)
        letters = "abcdefghijklmnopqrstuvwxyz"
        self.vocab = ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(20_000)]
        self.background = [self.paragraph(random.Random(seed * 1000 + i)) for i in range(50)]

    def paragraph(self, rng: random.Random) -> str:
        sentences = []
        for _ in range(rng.randint(2, 4)):
            words = rng.choices(self.vocab, k=rng.randint(12, 24))
            sentences.append(" ".join(words).capitalize() + ".")
        return " ".join(sentences)

    def article(self, i: int) -> str:
        rng = random.Random(i)
        own = [self.paragraph(rng) for _ in range(rng.randint(5, 9))]
        shared = rng.sample(self.background, k=3)  # wire copy repeats background paragraphs
        return "\n".join(own + shared)

    @staticmethod
    def reprint(text: str, outlet: int) -> str:
        return (
            f"Outlet {outlet} world desk wire copy\n{text}\n"
            f"This article was distributed by a wire agency; outlet {outlet} republishes it under licence."
        )

    @staticmethod
    def edit(text: str) -> str:
        first, _, rest = text.partition(". ")
        return first + ". An added clause changes this sentence slightly. " + rest


def variant(corpus: Corpus, i: int) -> tuple[str, str]:
    """URL and text of corpus article i: one in ten is a near copy of an earlier one."""
    if i % 10 == 9 and i > 10:
        source = random.Random(i).randrange(0, i - 1)
        base = corpus.article(source)
        text = corpus.reprint(base, i) if i % 20 == 19 else corpus.edit(base)
        return f"https://outlet{i % 97}.example/copy/{i}", text
    return f"https://wire{i % 13}.example/news/{i}", corpus.article(i)


def grow(store: RedisStore, corpus: Corpus, start: int, stop: int, progress: Progress) -> None:
    """Write articles start..stop-1 through the store's own write path, in bulk pipelines.

    Each LSH bucket keeps its earlier members (read first, as live ingestion does under WATCH).
    """
    task = progress.add_task(f"corpus {start:,}->{stop:,}", total=stop - start)
    batch = 500
    for lo in range(start, stop, batch):
        items = []
        for i in range(lo, min(stop, lo + batch)):
            url, text = variant(corpus, i)
            when = START + timedelta(minutes=i)
            article = article_from_text(url=url, text=text, title=f"Article {i}", published_at=when)
            fps = fingerprint(article)
            items.append((article, fps, i))
        reads = store.r.pipeline(transaction=False)
        for _, fps, _ in items:
            for band in fps.bands:
                reads.hget(*store.k.shard("lsh", band))
        current = iter(reads.execute())
        pipe = store.r.pipeline(transaction=False)
        pending: dict[tuple[str, str], str | None] = {}
        for article, fps, i in items:
            buckets = {}
            for band in fps.bands:
                key = store.k.shard("lsh", band)
                value = next(current)
                buckets[key] = pending.get(key, value)
            record = build_record(article, fps, DedupVerdict(status="unique"), ENRICHMENT, None)
            record = record.model_copy(update={"story_id": record.id})
            store._write(pipe, record, fps, None, buckets)
            store._write_story(pipe, record, replace(profile_for(i), story=record.id))
            for key, value in buckets.items():
                pending[key] = f"{value or ''} {record.id}".strip()
        pipe.execute()
        progress.update(task, advance=len(items))


def probe(store: RedisStore, corpus: Corpus, size: int, n: int, seed: int) -> list[float]:
    """Time n dedup decisions through RedisStore.save: new articles, reprints, and repeated URLs."""
    rng = random.Random(seed)
    timings = []
    for k in range(n):
        kind = k % 3
        if kind == 0:
            i = 10_000_000 + seed * 10_000 + k
            url, text = f"https://new.example/{i}", corpus.article(i)
        elif kind == 1:
            i = rng.randrange(0, size)
            url, text = f"https://probe.example/{seed}/{k}", corpus.reprint(variant(corpus, i)[1], 999)
        else:
            i = rng.randrange(0, size)
            url, text = variant(corpus, i)
        when = START + timedelta(minutes=rng.randrange(0, size))
        article = article_from_text(url=url, text=text, title="probe", published_at=when)
        profile = profile_for(int((when - START).total_seconds() // 60), seed=k + 1)
        started = time.perf_counter()
        fps = fingerprint(article)
        store.save(article, fps, lambda v, p, a=article, f=fps: build_record(a, f, v, ENRICHMENT, p), profile)
        timings.append(time.perf_counter() - started)
    return timings


def memory(store: RedisStore, size: int) -> dict[str, float]:
    info = store.r.info("memory")
    used = info["used_memory"] - info.get("used_memory_startup", 0)
    sample = [
        store.k.article(k.rsplit(":", 1)[1])
        for k in store.r.scan_iter(match=store.k("article", "*"), count=1000)
    ]
    sample = sample[:2000]
    record_bytes = statistics.mean(store.r.memory_usage(key) or 0 for key in sample)
    index_bytes = 0
    for pattern in ("url:*", "content:*", "lsh:*"):
        for key in store.r.scan_iter(match=store.k(pattern), count=5000):
            index_bytes += store.r.memory_usage(key, samples=0) or 0
    return {
        "bytes_per_article": used / size,
        "record_bytes": record_bytes,
        "dedup_index_bytes_per_article": index_bytes / size,
        "other_bytes_per_article": used / size - record_bytes - index_bytes / size,
    }


def calibrate(corpus: Corpus) -> None:
    kinds: dict[str, list[tuple[float, float]]] = {
        "reprint": [],
        "edit": [],
        "shortened reprint": [],
        "cut to a third": [],
        "new intro": [],
        "shared background": [],
        "unrelated": [],
    }
    for i in range(300):
        a = corpus.article(i)
        kinds["reprint"].append(_sim(corpus.reprint(a, 5), a))
        kinds["edit"].append(_sim(corpus.edit(a), a))
        paragraphs = a.splitlines()
        kinds["shortened reprint"].append(_sim("\n".join(paragraphs[: max(3, len(paragraphs) * 2 // 3)]), a))
        kinds["cut to a third"].append(_sim("\n".join(paragraphs[: max(2, len(paragraphs) // 3)]), a))
        b = corpus.article(i + 5000)
        intro = b.splitlines()[0]  # a paragraph of its own before the wire's text
        kinds["new intro"].append(_sim("\n".join([intro, *paragraphs]), a))
        shared = "\n".join(b.splitlines()[:-3] + a.splitlines()[-3:])
        kinds["shared background"].append(_sim(shared, a))
        kinds["unrelated"].append(_sim(b, a))
    table = Table(title="body and lead overlap by kind of pair (300 pairs each)")
    for col in ("pair", "body min", "body median", "body max", "lead min", "lead median", "lead max", "near"):
        table.add_column(col, justify="right")
    for kind, sims in kinds.items():
        body = [s[0] for s in sims]
        lead = [s[1] for s in sims]
        near = sum(1 for s in sims if s[2])
        table.add_row(
            kind,
            f"{min(body):.2f}",
            f"{statistics.median(body):.2f}",
            f"{max(body):.2f}",
            f"{min(lead):.2f}",
            f"{statistics.median(lead):.2f}",
            f"{max(lead):.2f}",
            f"{near}/300",
        )
    out.print(table)
    site = ROOT / "workers" / "demo" / "site"
    if site.exists():
        from pipeline.clean import clean
        from pipeline.models import Page

        def text(path: str) -> str:
            html = (site / path).read_text().replace("{base}", "https://example.org")
            return clean(Page(url=f"https://example.org/{path}", html=html)).text

        wire = text("eastwire/2024/03/baek-consular-access.html")
        pairs = {
            "demo: wire story / its reprint": text(
                "harbortimes/2024/03/wire-russia-consular-access-south-korean.html"
            ),
            "demo: wire story / analysis of the same arrest": text(
                "seoulledger/2024/03/baek-detention-pressure-ukraine-arms.html"
            ),
        }
        for name, other in pairs.items():
            body, lead, near = _sim(other, wire)
            out.print(f"{name}: body {body:.2f}, lead {lead:.2f}, near duplicate: {near}")


def _sim(a: str, b: str) -> tuple[float, float, bool]:
    s = compare(a, {"b": b})[0]
    return s.jaccard, s.lead, s.near


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--probes", type=int, default=400)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    corpus = Corpus()
    if args.calibrate:
        calibrate(corpus)
        return 0
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="newswatch-dedup-bench-") as tmp:
        server = EmbeddedRedis(Path(tmp))
        url = server.start()
        try:
            client = redis.Redis.from_url(url, decode_responses=True)
            client.config_set("appendonly", "no")  # measuring memory and decisions, not the disk
            store = RedisStore(client, "bench")
            built = 0
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err,
            ) as progress:
                for size in sizes:
                    grow(store, corpus, built, size, progress)
                    built = size
                    mem = memory(store, size)
                    timings = probe(store, corpus, size, args.probes, seed=size)
                    ms = sorted(t * 1000 for t in timings)
                    results.append(
                        {
                            "size": size,
                            "median_ms": statistics.median(ms),
                            "p95_ms": ms[int(0.95 * (len(ms) - 1))],
                            **mem,
                        }
                    )
            client.close()
        finally:
            server.stop()
    table = Table(title="dedup decision time and Redis memory by corpus size")
    for col in (
        "articles",
        "median ms/decision",
        "p95 ms",
        "bytes/article (all)",
        "record",
        "dedup index",
        "other indexes",
    ):
        table.add_column(col, justify="right")
    for r in results:
        table.add_row(
            f"{r['size']:,}",
            f"{r['median_ms']:.3f}",
            f"{r['p95_ms']:.3f}",
            f"{r['bytes_per_article']:.0f}",
            f"{r['record_bytes']:.0f}",
            f"{r['dedup_index_bytes_per_article']:.0f}",
            f"{r['other_bytes_per_article']:.0f}",
        )
    out.print(table)
    first, last = results[0], results[-1]
    ratios = {
        "time_ratio": last["median_ms"] / first["median_ms"],
        "p95_ratio": last["p95_ms"] / first["p95_ms"],
        "index_memory_ratio": last["dedup_index_bytes_per_article"] / first["dedup_index_bytes_per_article"],
    }
    out.print(
        f"{last['size']:,} vs {first['size']:,}: median time per decision x{ratios['time_ratio']:.2f} "
        f"(target <= 1.5), p95 x{ratios['p95_ratio']:.2f}, dedup index memory per article "
        f"x{ratios['index_memory_ratio']:.2f} ({last['dedup_index_bytes_per_article']:.0f} bytes; aim < 1024)"
    )
    if args.json:
        print(json.dumps({"results": results, **ratios}))
    return 0


if __name__ == "__main__":
    configure("WARNING")  # the table, not every story merge
    sys.exit(main())
