"""Real news, measured: relevance, events, case steps, stories, reprints and dates on labelled real articles.

    python benchmarks/realnews.py [--cache DIR] [--labels FILE] [--half dev|test|all]
                                  [--orders N] [--dates feed|text] [--redis-url URL] [--errors FILE]
                                  [--json]

The labels (``benchmarks/realnews/labels.json``, one object per URL, by
``../shared/design/LABELS.md``) are in the repository; the article texts are third-party and are
not: they live in a local cache (``--cache``, else ``NEWSWATCH_REALNEWS_CACHE``, else
``~/.cache/newswatch/realnews``), as ``raw/*.txt`` files of ``@@@ URL`` lines each followed by that
article's text (``benchmarks/realnews/GATHER.md`` says how to rebuild it). Without the cache the
benchmark says so and exits 0, measuring nothing.

Every cached, labelled article is replayed as a JSONL backlog (``url``, ``text``, ``title`` and,
with ``--dates feed``, the default, ``published``: the page's own date where it gives one, at the
precision it gives, as a feed entry or the page's metadata carries it; with ``--dates text`` no date,
so that dates must be read from the URL and the text) through the real pipeline: queue, worker
threads, a scratch key prefix on a real Redis (``--redis-url``, else ``NEWSWATCH_REDIS_URL``, else
127.0.0.1:6379, else an embedded one), deleted afterwards. What the store then holds is scored
against the labels, per half (``dev`` is what rules may be tuned on; ``test`` is only measured):

- on_topic precision and recall; precision and recall per event type;
- case steps (person, status) per article: precision and recall; cases opened for people no label
  says were detained;
- stories: adjusted Rand index of the story partition over on-topic articles;
- reprints: labelled copies found as copies of their original, and different stories merged;
- dates: labelled publication dates read at the labelled precision (from ``published`` with
  ``--dates feed``, from the URL and the text with ``--dates text``);
- alerts: how many were raised on the half's articles, how many of them repeat an alert already
  raised on the same labelled story, event and case step (the reader is told the same thing again),
  and how many are about an event the article's label does not have.

``--orders N`` replays the backlog N times in different random orders (each on a fresh prefix) and
reports how far the story partitions agree with each other. Every error is written, with its evidence
sentence, to ``--errors`` (default ``benchmarks/out/realnews-errors.md``). Labels marked
``ambiguous`` are left out of every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from difflib import SequenceMatcher
from math import comb
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from benchmarks.events import TYPES as EVENT_TYPES  # noqa: E402
from benchmarks.replay import open_pipeline, redis_answers  # noqa: E402
from pipeline.urls import article_id, canonical_url, digest  # noqa: E402

# the ledger's statuses in the labels' words (LABELS.md)
STATUS_AS_LABELLED = {"appeal_decided": "appeal_rejected", "exchanged": "released"}
COPY_STATUSES = ("duplicate", "near_duplicate")
DEFAULT_LABELS = ROOT / "benchmarks" / "realnews" / "labels.json"
DEFAULT_ERRORS = ROOT / "benchmarks" / "out" / "realnews-errors.md"
HALVES = ("dev", "test")


def default_cache() -> Path:
    env = os.environ.get("NEWSWATCH_REALNEWS_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "newswatch" / "realnews"


# ---------------------------------------------------------------- inputs


def read_cache(cache: Path) -> dict[str, str]:
    """URL -> text, from every ``raw/*.txt`` file of the cache (``@@@ URL`` then the text)."""
    texts: dict[str, str] = {}
    for path in sorted((cache / "raw").glob("*.txt")):
        url: str | None = None
        lines: list[str] = []
        for line in [*path.read_text(encoding="utf-8").splitlines(), "@@@ "]:
            if line.startswith("@@@ "):
                if url and "\n".join(lines).strip():
                    texts.setdefault(url, "\n".join(lines).strip())
                url, lines = line[4:].strip() or None, []
            else:
                lines.append(line)
    return texts


def half_of(story: str) -> str:
    """A story's half, fixed by its slug: every article of a story (and all its copies) in one half."""
    return "test" if int(digest(story, 8), 16) % 2 else "dev"


def load_labels(path: Path) -> list[dict[str, Any]]:
    """The labels of a file, or of every ``*.json`` in a folder; one per URL (the first wins)."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    seen: dict[str, dict[str, Any]] = {}
    for f in files:
        for label in json.loads(f.read_text(encoding="utf-8")):
            label.setdefault("half", half_of(label["story"]))
            seen.setdefault(label["url"], label)
    return list(seen.values())


def write_backlog(
    rows: list[dict[str, Any]], texts: dict[str, str], path: Path, seed: int | None, dates: str = "feed"
) -> None:
    rows = list(rows)
    if seed is not None:
        random.Random(seed).shuffle(rows)
    with path.open("w", encoding="utf-8") as fh:
        for label in rows:
            line = {"url": label["url"], "text": texts[label["url"]]}
            if label.get("title"):
                line["title"] = label["title"]
            if dates == "feed" and label.get("pub_date"):
                line["published"] = label["pub_date"]
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- what the store says


def collect(app: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per labelled URL: its record and the record of the original it resolves to; and every case."""
    from workers.cases import list_cases

    out: dict[str, dict[str, Any]] = {}
    for label in rows:
        rec = app.store.get(article_id(canonical_url(label["url"])))
        root = rec
        hops = 0
        while (
            root is not None and root.dedup.status in COPY_STATUSES and root.dedup.duplicate_of and hops < 5
        ):
            nxt = app.store.get(root.dedup.duplicate_of)
            if nxt is None:
                break
            root, hops = nxt, hops + 1
        out[label["url"]] = {"record": rec, "root": root}
    return {"by_url": out, "cases": list_cases(app, limit=10_000)}


# ---------------------------------------------------------------- scoring


def prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    return {"precision": p, "recall": r, "tp": tp, "fp": fp, "fn": fn}


def adjusted_rand(gold: list[str], pred: list[str]) -> float | None:
    """Adjusted Rand index of two partitions of the same items (1.0: the same partition)."""
    n = len(gold)
    if n < 2:
        return None
    pairs = Counter(zip(gold, pred, strict=True))
    a, b = Counter(gold), Counter(pred)
    index = sum(comb(c, 2) for c in pairs.values())
    sum_a, sum_b = sum(comb(c, 2) for c in a.values()), sum(comb(c, 2) for c in b.values())
    expected = sum_a * sum_b / comb(n, 2)
    top = (sum_a + sum_b) / 2
    if top == expected:
        return 1.0
    return (index - expected) / (top - expected)


def fold_name(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


def same_person(case_names: Iterable[str], person: str) -> bool:
    """A case's names against a labelled person: the name, or the surname of "... national surnamed X"."""
    target = fold_name(person)
    for name in case_names:
        folded = fold_name(name)
        if folded and (folded == target or SequenceMatcher(None, folded, target).ratio() >= 0.8):
            return True
        surnamed = re.search(r"surnamed (\w+)", name)
        if surnamed and fold_name(person.split()[0]) == fold_name(surnamed.group(1)):
            return True
    return False


def _evidence(rec: Any, etype: str) -> str:
    for e in rec.events:
        if e.type == etype:
            return e.evidence
    return ""


def _label_date(rec: Any) -> tuple[str | None, str]:
    if rec is None or rec.published_at is None:
        return None, ""
    precision = getattr(rec, "published_precision", None) or "day"
    iso = rec.published_at.date().isoformat()
    return {"day": iso, "month": iso[:7], "year": iso[:4]}.get(precision, iso), precision


def score(
    rows: list[dict[str, Any]], got: dict[str, Any], all_labels: list[dict[str, Any]]
) -> dict[str, Any]:
    """Figures over ``rows`` (one half), with every error listed."""
    by_url = got["by_url"]
    errors: dict[str, list[str]] = defaultdict(list)
    counts: dict[str, Counter[str]] = {t: Counter() for t in ("on_topic", *EVENT_TYPES)}
    missing = 0
    for label in rows:
        root = by_url[label["url"]]["root"]
        if root is None:
            missing += 1
            errors["not stored"].append(f"{label['url']}")
            continue
        gold, pred = bool(label["on_topic"]), bool(root.on_topic)
        key = "tp" if gold and pred else "fp" if pred else "fn" if gold else "tn"
        counts["on_topic"][key] += 1
        if gold != pred:
            errors[f"on_topic {key}"].append(
                f"{label['url']} ({label.get('language')}) relevance {root.relevance:.2f}: "
                f"{root.relevance_reason}"
            )
        gold_events = set(label.get("events") or []) - {"none"}
        pred_events = {e.type for e in root.events}
        for t in EVENT_TYPES:
            if t in gold_events and t in pred_events:
                counts[t]["tp"] += 1
            elif t in pred_events:
                counts[t]["fp"] += 1
                errors[f"{t} fp"].append(f"{label['url']}\n    evidence: {_evidence(root, t)}")
            elif t in gold_events:
                counts[t]["fn"] += 1
                errors[f"{t} fn"].append(f"{label['url']}\n    title: {label.get('title')}")

    # case steps: (record, person, status) from the ledger against the labels of that record's URLs
    rows_by_root: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for label in rows:
        root = by_url[label["url"]]["root"]
        if root is not None:
            rows_by_root[root.id].append(label)
    detained = {s["person"] for lab in all_labels for s in lab.get("case_steps") or []}
    step_tp = step_fp = step_fn = 0
    matched_gold: set[tuple[str, str, str]] = set()
    for case in got["cases"]:
        names = (case.person, *case.variants)
        for step in case.steps:
            status = STATUS_AS_LABELLED.get(step.status, step.status)
            for rid in step.record_ids:
                labels_here = rows_by_root.get(rid)
                if not labels_here:
                    continue
                hit = None
                for lab in labels_here:
                    for s in lab.get("case_steps") or []:
                        if s["status"] == status and same_person(names, s["person"]):
                            hit = (lab["url"], s["person"], status)
                if hit:
                    step_tp += 1
                    matched_gold.add(hit)
                else:
                    step_fp += 1
                    errors["case step fp"].append(
                        f"{labels_here[0]['url']}: {case.person} {status}\n    evidence: {step.evidence}"
                    )
    for label in rows:
        if by_url[label["url"]]["root"] is None:
            continue
        for s in label.get("case_steps") or []:
            if (label["url"], s["person"], s["status"]) not in matched_gold:
                # a copy's steps are found on its original: found when any label of the root has them
                root = by_url[label["url"]]["root"]
                if any(
                    (lab["url"], s["person"], s["status"]) in matched_gold for lab in rows_by_root[root.id]
                ):
                    continue
                step_fn += 1
                errors["case step fn"].append(f"{label['url']}: {s['person']} {s['status']}")
    row_ids = set(rows_by_root)
    false_cases = [
        c
        for c in got["cases"]
        if set(c.record_ids) & row_ids and not any(same_person((c.person, *c.variants), p) for p in detained)
    ]
    for c in false_cases:
        ev = c.steps[0].evidence if c.steps else ""
        errors["case for someone never detained"].append(f"{c.person} ({c.nationality})\n    evidence: {ev}")

    # stories over on-topic articles; a copy takes its original's story
    on = [lab for lab in rows if lab["on_topic"] and by_url[lab["url"]]["root"] is not None]
    gold_story = [lab["story"] for lab in on]
    pred_story = [by_url[lab["url"]]["root"].story_id or f"none:{lab['url']}" for lab in on]
    ari = adjusted_rand(gold_story, pred_story)
    members: dict[str, set[str]] = defaultdict(set)
    for g, p in zip(gold_story, pred_story, strict=True):
        members[p].add(g)
    for p, gs in members.items():
        if len(gs) > 1:
            errors["stories merged"].append(f"{p}: {sorted(gs)}")
    split: dict[str, set[str]] = defaultdict(set)
    for g, p in zip(gold_story, pred_story, strict=True):
        split[g].add(p)
    for g, ps in split.items():
        if len(ps) > 1:
            errors["stories split"].append(f"{g}: {len(ps)} stories")

    # reprints: a labelled copy is caught when it and its original resolve to one record
    urls = {lab["url"] for lab in all_labels}
    caught = copies = merged_wrong = 0
    for label in rows:
        orig = label.get("copy_of")
        if not orig or orig not in urls or orig not in by_url:
            continue
        copies += 1
        a, b = by_url[label["url"]]["root"], by_url[orig]["root"]
        if a is not None and b is not None and a.id == b.id:
            caught += 1
        else:
            errors["reprint missed"].append(f"{label['url']}\n    copy of {orig}")
    gold_group = _copy_groups(all_labels)
    for label in rows:
        rec = by_url[label["url"]]["record"]
        root = by_url[label["url"]]["root"]
        if rec is None or root is None or rec.id == root.id:
            continue
        if gold_group.get(label["url"]) != gold_group.get(root.url, root.url):
            merged_wrong += 1
            errors["reprint wrongly merged"].append(f"{label['url']}\n    stored as a copy of {root.url}")

    # alerts: one per real happening is what a reader wants; a second alert on a labelled story's same
    # event (and case step) tells them the same thing again
    label_of = {article_id(canonical_url(lab["url"])): lab for lab in rows}
    told: Counter[tuple[str, str, str, str | None, str | None]] = Counter()
    off_label = 0
    for record_id, rule, etype, status, case in got.get("alert_list", []):
        lab = label_of.get(record_id)
        if lab is None:
            continue  # raised on an article of the other half
        told[(lab["story"], rule, etype, status, case)] += 1
        if not lab.get("on_topic") or etype not in (lab.get("events") or []):
            off_label += 1
            errors["alert on an event the article does not report"].append(
                f"{lab['url']}: {rule} {etype} {status or ''}"
            )
    for (story, rule, etype, status, case), n in sorted(
        told.items(), key=lambda kv: [x or "" for x in kv[0]]
    ):
        if n > 1:
            errors["alert repeated"].append(
                f"{story}: {rule} {etype} {status or ''} {case or ''}: {n} alerts"
            )

    # dates
    dated = right = 0
    for label in rows:
        want = label.get("pub_date")
        if not want:
            continue
        dated += 1
        have, precision = _label_date(by_url[label["url"]]["record"])
        if have == want:
            right += 1
        else:
            errors["date wrong"].append(f"{label['url']}: labelled {want}, read {have} ({precision})")

    return {
        "articles": len(rows),
        "missing": missing,
        "on_topic": prf(counts["on_topic"]["tp"], counts["on_topic"]["fp"], counts["on_topic"]["fn"]),
        "events": {t: prf(counts[t]["tp"], counts[t]["fp"], counts[t]["fn"]) for t in EVENT_TYPES},
        "case_steps": prf(step_tp, step_fp, step_fn),
        "cases_never_detained": len(false_cases),
        "story_ari": ari,
        "on_topic_articles": len(on),
        "reprints": {"labelled": copies, "caught": caught, "wrongly_merged": merged_wrong},
        "dates": {"labelled": dated, "right": right},
        "alerts": {
            "raised": sum(told.values()),
            "repeated": sum(n - 1 for n in told.values()),
            "off_label": off_label,
        },
        "errors": dict(errors),
    }


def _copy_groups(labels: list[dict[str, Any]]) -> dict[str, str]:
    """URL -> the first URL of its chain of copies (an article that copies nothing is its own group)."""
    parent = {lab["url"]: lab.get("copy_of") or lab["url"] for lab in labels}

    def find(u: str) -> str:
        seen = 0
        while parent.get(u, u) != u and seen < 50:
            u, seen = parent[u], seen + 1
        return u

    return {u: find(u) for u in parent}


# ---------------------------------------------------------------- running


def run_once(
    rows: list[dict[str, Any]],
    texts: dict[str, str],
    redis_url: str | None,
    seed: int | None,
    threads: int,
    dates: str = "feed",
) -> tuple[dict[str, Any], float]:
    from workers.alerting import recent
    from workers.replay import replay

    with tempfile.TemporaryDirectory(prefix="nw-realnews-") as tmp:
        backlog = Path(tmp) / "backlog.jsonl"
        write_backlog(rows, texts, backlog, seed, dates)
        with open_pipeline(redis_url, threads, 0, "ERROR") as app:
            t0 = time.perf_counter()
            result = replay(app, [backlog], alerts=True, wait_alerts_s=60)
            elapsed = time.perf_counter() - t0
            got = collect(app, rows)
            got["summary"] = result.summary()
            raised = recent(app, limit=100_000)
            got["alerts"] = alert_set(app, raised)
            got["alert_list"] = [(a.record_id, a.rule, a.event_type, a.status, a.case_id) for a in raised]
            # the same backlog again: nothing it tells is new
            again = replay(app, [backlog], alerts=True, wait_alerts_s=60)
            got["alerts_again"] = len(alert_set(app, recent(app, limit=100_000)) - got["alerts"])
            got["again_summary"] = again.summary()
    return got, elapsed


def alert_set(app: Any, raised: list[Any]) -> set[tuple[str, str, str, str]]:
    """The alerts raised, as (rule, event type, case step, what it is about): the case, or the story
    the alert's story now stands for (after merges), so that orders can be compared."""
    out = set()
    for a in raised:
        about = f"case:{a.case_id}" if a.case_id else f"story:{app.store.story_root(a.story_id)}"
        out.add((a.rule, a.event_type, a.status or "", about))
    return out


def enrich_cost(rows: list[dict[str, Any]], texts: dict[str, str]) -> dict[str, Any]:
    """enrich() per real article against clean() per page of the extraction benchmark, one core.

    The articles are made as a replay makes them (``article_from_text``: language identified, date
    read), so enrich() does the work it does in the pipeline."""
    from benchmarks.events import cost
    from config.loader import load_config
    from pipeline.clean import article_from_text
    from pipeline.enrich import enrich

    topic = load_config(ROOT / "config").topic
    articles = [
        article_from_text(
            url=lab["url"], text=texts[lab["url"]], title=lab.get("title"), published_at=lab.get("pub_date")
        )
        for lab in rows
    ]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for a in articles:
            enrich(a, topic)
        best = min(best, time.perf_counter() - t0)
    clean = cost(topic, repeat=1)
    per = 1000 * best / max(1, len(articles))
    return {
        "enrich_ms_per_real_article": round(per, 3),
        "clean_ms_per_page": clean["clean_ms_per_article"],
        "ratio": round(per / clean["clean_ms_per_article"], 4) if clean["clean_ms_per_article"] else None,
        "pages": clean["pages"],
    }


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def print_tables(console: Console, figures: dict[str, dict[str, Any]], dates: str = "feed") -> None:
    halves = list(figures)
    t = Table(title="real news: precision / recall (tp fp fn)")
    t.add_column("measure")
    for h in halves:
        t.add_column(f"{h} ({figures[h]['articles']})", justify="right")

    def pr(x: dict[str, Any]) -> str:
        return f"{_fmt(x['precision'])} / {_fmt(x['recall'])}  ({x['tp']} {x['fp']} {x['fn']})"

    t.add_row("on_topic", *(pr(figures[h]["on_topic"]) for h in halves))
    for et in EVENT_TYPES:
        t.add_row(et, *(pr(figures[h]["events"][et]) for h in halves))
    t.add_row("case steps", *(pr(figures[h]["case_steps"]) for h in halves))
    t.add_row("cases for people never detained", *(str(figures[h]["cases_never_detained"]) for h in halves))
    t.add_row(
        "story ARI (on-topic articles)",
        *(f"{_fmt(figures[h]['story_ari'])} ({figures[h]['on_topic_articles']})" for h in halves),
    )
    t.add_row(
        "reprints caught / labelled (wrongly merged)",
        *(
            f"{figures[h]['reprints']['caught']} / {figures[h]['reprints']['labelled']} "
            f"({figures[h]['reprints']['wrongly_merged']})"
            for h in halves
        ),
    )
    t.add_row(
        f"dates right / labelled ({'from published' if dates == 'feed' else 'from URL and text'})",
        *(f"{figures[h]['dates']['right']} / {figures[h]['dates']['labelled']}" for h in halves),
    )
    t.add_row(
        "alerts raised (repeating one already raised; on an event not reported)",
        *(
            f"{figures[h]['alerts']['raised']} ({figures[h]['alerts']['repeated']}; "
            f"{figures[h]['alerts']['off_label']})"
            for h in halves
        ),
    )
    t.add_row("not stored", *(str(figures[h]["missing"]) for h in halves))
    console.print(t)


def write_errors(path: Path, figures: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# realnews errors", ""]
    for half, fig in figures.items():
        lines.append(f"## {half}")
        for kind, items in sorted(fig["errors"].items()):
            lines.append(f"### {kind} ({len(items)})")
            lines.extend(f"- {item}" for item in items)
            lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--cache", type=Path, default=None, help="the local text cache (raw/*.txt)")
    ap.add_argument(
        "--labels", type=Path, default=DEFAULT_LABELS, help="labels.json, or a folder of such files"
    )
    ap.add_argument("--half", choices=("dev", "test", "all"), default="all")
    ap.add_argument("--orders", type=int, default=1, help="replays in this many random orders")
    ap.add_argument(
        "--dates",
        choices=("feed", "text"),
        default="feed",
        help="feed: each article carries its page's date as a feed gives it; text: no date is given",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--redis-url", default=os.environ.get("NEWSWATCH_REDIS_URL"))
    ap.add_argument("--errors", type=Path, default=DEFAULT_ERRORS, help="where every error is written")
    ap.add_argument("--no-cost", action="store_true", help="skip the enrichment cost measurement")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    console = Console(stderr=args.json, width=None if sys.stdout.isatty() else 150)
    cache = args.cache or default_cache()
    texts = read_cache(cache) if cache.is_dir() else {}
    if not texts:
        console.print(
            f"realnews: no text cache at {cache} (see benchmarks/realnews/GATHER.md): nothing measured"
        )
        if args.json:
            print(json.dumps({"measured": False, "cache": str(cache)}))
        return 0
    labels = load_labels(args.labels)
    usable = [lab for lab in labels if lab["url"] in texts and not lab.get("ambiguous")]
    absent = sum(1 for lab in labels if lab["url"] not in texts)
    console.print(
        f"realnews: {len(labels)} labels, {len(texts)} cached texts, {len(usable)} measured"
        + (f", {absent} labelled but not cached" if absent else "")
    )
    url = args.redis_url
    if url is None and redis_answers("redis://127.0.0.1:6379/0"):
        url = "redis://127.0.0.1:6379/0"
    runs = []
    for n in range(max(1, args.orders)):
        got, elapsed = run_once(
            usable, texts, url, seed=None if n == 0 else n, threads=args.threads, dates=args.dates
        )
        runs.append(got)
        console.print(
            f"replay {n + 1}/{max(1, args.orders)}: {len(usable)} articles in {elapsed:.1f} s "
            f"({1000 * elapsed / max(1, len(usable)):.1f} ms/article, {args.threads} threads): "
            f"{got['summary']}"
        )
    got = runs[0]
    halves = HALVES if args.half == "all" else (args.half,)
    figures = {h: score([lab for lab in usable if lab.get("half") == h], got, labels) for h in halves}
    if args.half == "all" and not any(lab.get("half") for lab in usable):
        figures = {"all": score(usable, got, labels)}
    result: dict[str, Any] = {
        "measured": True,
        "articles": len(usable),
        "figures": figures,
        "alerts": len(got["alerts"]),
        "alerts_again": got["alerts_again"],
    }
    if len(runs) > 1:
        on = [lab for lab in usable if lab["on_topic"]]

        def partition(g: dict[str, Any]) -> list[str]:
            return [
                (g["by_url"][lab["url"]]["root"].story_id if g["by_url"][lab["url"]]["root"] else None)
                or f"none:{lab['url']}"
                for lab in on
            ]

        base = partition(runs[0])
        result["order_ari"] = [adjusted_rand(base, partition(g)) for g in runs[1:]]
        result["order_alerts_differ"] = [len(runs[0]["alerts"] ^ g["alerts"]) for g in runs[1:]]
    if not args.no_cost:
        result["cost"] = enrich_cost(usable, texts)
    write_errors(args.errors, figures)
    if args.json:
        for fig in figures.values():
            fig.pop("errors")
        print(json.dumps(result, ensure_ascii=False, default=str))
        return 0
    print_tables(console, figures, args.dates)
    console.print(
        f"alerts: {len(got['alerts'])} raised; the same backlog replayed again raised "
        f"{got['alerts_again']} new"
    )
    if "order_ari" in result:
        console.print(f"story partitions of the other orders against the first: ARI {result['order_ari']}")
        console.print(
            "alerts of the other orders not in the first, or the other way round: "
            f"{result['order_alerts_differ']}"
        )
    if "cost" in result:
        c = result["cost"]
        console.print(
            f"cost: enrich {c['enrich_ms_per_real_article']} ms per real article, "
            f"clean {c['clean_ms_per_page']} "
            f"ms per page ({c['pages']}): ratio {c['ratio']}"
        )
    console.print(f"every error, with its evidence: {args.errors}")
    return 0


if __name__ == "__main__":
    from workers.logs import configure

    configure("ERROR")  # the tables, not every article's log line
    raise SystemExit(main())
