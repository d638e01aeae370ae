"""Enrichment quality and cost: events per type, on_topic, hard negatives, and time against cleaning.

    python benchmarks/events.py [--json] [--data benchmarks/data/events.jsonl]

The labelled set (benchmarks/data/events.jsonl) holds short articles written in our own
words on facts from public reporting (English, Korean, Russian), each labelled with
``on_topic``, the event types it *reports* (``events``) and those it only recalls
(``background``). Hard negatives carry a ``group`` (hn_us_journalist, hn_nk_missile,
hn_korea_japan, hn_background, hn_ru_nk_no_seoul, hn_ru_nk_with_seoul). Scoring is per
article and event type: a type is predicted when enrichment reports at least one event of it.

Cost: ``enrich()`` per article against ``pipeline.clean.clean()`` on the same pages in the
same run (the extraction benchmark pages when present, else the demo site's pages); the
ratio must stay at most 0.10.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from config.loader import load_config  # noqa: E402
from pipeline.clean import clean  # noqa: E402
from pipeline.enrich import enrich  # noqa: E402
from pipeline.models import Article, Page  # noqa: E402

TYPES = (
    "detention",
    "release",
    "consular_access",
    "sanctions",
    "diplomatic_protest",
    "military_cooperation",
    "arms_supply",
)
GATED = ("detention", "sanctions", "diplomatic_protest")
TARGET = 0.9
COST_TARGET = 0.10
EXTRACTION = ROOT.parent / "shared" / "datasets" / "extraction" / "html"
DEMO = ROOT / "workers" / "demo" / "site"


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(rows: list[dict], topic) -> dict:  # type: ignore[no-untyped-def]
    counts = {t: Counter() for t in (*TYPES, "on_topic")}
    false_pos: list[dict] = []
    false_neg: list[dict] = []
    confusion: dict[str, Counter] = defaultdict(Counter)
    background_hits = Counter()
    for row in rows:
        published = datetime.fromisoformat(row["published"]).replace(tzinfo=UTC)
        url = f"https://bench.example/{row['id']}"
        article = Article(
            url=url,
            canonical_url=url,
            source="bench",
            text=row["text"],
            title=row["title"],
            published_at=published,
            language=row["lang"],
        )
        result = enrich(article, topic)
        predicted = {e.type for e in result.events}
        gold = set(row["events"])
        for t in TYPES:
            if t in predicted and t in gold:
                counts[t]["tp"] += 1
            elif t in predicted:
                counts[t]["fp"] += 1
                ev = next(e for e in result.events if e.type == t)
                false_pos.append({"id": row["id"], "type": t, "evidence": ev.evidence})
            elif t in gold:
                counts[t]["fn"] += 1
                false_neg.append({"id": row["id"], "type": t, "title": row["title"]})
        g, p = row["on_topic"], result.on_topic
        counts["on_topic"]["tp" if g and p else "fp" if p else "fn" if g else "tn"] += 1
        if p and not g:
            false_pos.append({"id": row["id"], "type": "on_topic", "evidence": result.relevance_reason})
        if g and not p:
            false_neg.append({"id": row["id"], "type": "on_topic", "title": result.relevance_reason})
        if row["group"] != "positive":
            confusion[row["group"]]["articles"] += 1
            confusion[row["group"]]["on_topic: gold"] += int(g)
            confusion[row["group"]]["on_topic: predicted"] += int(p)
            confusion[row["group"]]["on_topic: wrong"] += int(g != p)
            confusion[row["group"]]["event types: false"] += len(predicted - gold)
        for t in row.get("background", []):
            background_hits["labelled"] += 1
            if t in {e.type for e in result.mentions}:
                background_hits["found as background"] += 1
            if t in predicted and t not in gold:
                background_hits["reported as new (wrong)"] += 1
    table = {}
    for t, c in counts.items():
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        table[t] = {
            "precision": round(p, 3),
            "recall": round(r, 3),
            "f1": round(f, 3),
            "support": c["tp"] + c["fn"],
            "tp": c["tp"],
            "fp": c["fp"],
            "fn": c["fn"],
        }
    return {
        "articles": len(rows),
        "languages": dict(Counter(r["lang"] for r in rows)),
        "per_type": table,
        "hard_negatives": {k: dict(v) for k, v in sorted(confusion.items())},
        "background": dict(background_hits),
        "false_positives": false_pos,
        "false_negatives": false_neg,
    }


def _pages() -> tuple[str, list[Page]]:
    if EXTRACTION.is_dir() and any(EXTRACTION.glob("*.html.gz")):
        files = sorted(EXTRACTION.glob("*.html.gz"))
        pages = [
            Page(
                url=f"https://bench.example/{f.name}",
                html=gzip.decompress(f.read_bytes()).decode("utf-8", "replace"),
            )
            for f in files
        ]
        return f"extraction benchmark pages ({EXTRACTION})", pages
    files = sorted(DEMO.rglob("*.html"))
    return "demo site pages", [Page(url=f"https://demo.example/{f.name}", html=f.read_text()) for f in files]


def cost(topic, repeat: int = 3) -> dict:  # type: ignore[no-untyped-def]
    """Per-article time of enrich() and of clean() on the same pages, best of ``repeat`` passes."""
    where, pages = _pages()
    articles = []
    for page in pages:
        try:
            articles.append((page, clean(page)))
        except Exception:  # pages with no article are skipped for both stages alike
            continue
    clean_s = enrich_s = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for page, _article in articles:
            clean(page)
        t1 = time.perf_counter()
        for _page, article in articles:
            enrich(article, topic)
        t2 = time.perf_counter()
        clean_s, enrich_s = min(clean_s, t1 - t0), min(enrich_s, t2 - t1)
    n = max(1, len(articles))
    return {
        "pages": where,
        "articles": len(articles),
        "clean_ms_per_article": round(1000 * clean_s / n, 3),
        "enrich_ms_per_article": round(1000 * enrich_s / n, 3),
        "ratio": round(enrich_s / clean_s, 4) if clean_s else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "data" / "events.jsonl")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    parser.add_argument("--no-cost", action="store_true", help="skip the timing against clean()")
    args = parser.parse_args(argv)
    topic = load_config(ROOT / "config").topic
    rows = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    result = evaluate(rows, topic)
    if not args.no_cost:
        result["cost"] = cost(topic)
    gates = {t: result["per_type"][t] for t in (*GATED, "on_topic")}
    ok = all(v["precision"] >= TARGET and v["recall"] >= TARGET for v in gates.values())
    if "cost" in result:
        ok = ok and (result["cost"]["ratio"] or 0) <= COST_TARGET
    result["pass"] = ok
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0 if ok else 1
    console = Console()
    langs = ", ".join(f"{k} {v}" for k, v in result["languages"].items())
    t = Table(title=f"events on {result['articles']} labelled articles ({langs})")
    for col in ("type", "precision", "recall", "F1", "support", "TP", "FP", "FN"):
        t.add_column(col, justify="left" if col == "type" else "right")
    for name, v in result["per_type"].items():
        gated = name in GATED or name == "on_topic"
        style = "" if not gated else ("green" if min(v["precision"], v["recall"]) >= TARGET else "red")
        t.add_row(
            name + (" *" if gated else ""),
            f"{v['precision']:.3f}",
            f"{v['recall']:.3f}",
            f"{v['f1']:.3f}",
            str(v["support"]),
            str(v["tp"]),
            str(v["fp"]),
            str(v["fn"]),
            style=style,
        )
    console.print(t)
    console.print(f"* gated: precision and recall at least {TARGET}")
    h = Table(title="hard negatives")
    h.add_column("group")
    keys = ["articles", "on_topic: gold", "on_topic: predicted", "on_topic: wrong", "event types: false"]
    for k in keys:
        h.add_column(k, justify="right")
    for group, c in result["hard_negatives"].items():
        h.add_row(group, *(str(c.get(k, 0)) for k in keys))
    console.print(h)
    console.print(f"background mentions: {result['background']}")
    console.print(f"[bold]false positives ({len(result['false_positives'])})[/]")
    for fp in result["false_positives"]:
        console.print(f"  {fp['id']} [cyan]{fp['type']}[/]: {fp['evidence']}", highlight=False)
    console.print(f"[bold]false negatives ({len(result['false_negatives'])})[/]")
    for fn in result["false_negatives"]:
        console.print(f"  {fn['id']} [cyan]{fn['type']}[/]: {fn['title']}", highlight=False)
    if "cost" in result:
        c = result["cost"]
        console.print(
            f"cost on {c['articles']} {c['pages']}: enrich {c['enrich_ms_per_article']} ms/article, "
            f"clean {c['clean_ms_per_article']} ms/article, ratio {c['ratio']} (target <= {COST_TARGET})"
        )
    console.print("[green]PASS[/]" if ok else "[red]FAIL[/]")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
