"""Article extraction: bare trafilatura against pipeline.clean.extract_text, same run.

    python benchmarks/extraction.py [--dataset PATH] [--report DIR] [--check] [--removals]

The dataset (../shared/datasets/extraction beside the repo, or --dataset, or
$NEWSWATCH_EXTRACTION_DATASET) holds news pages ``html/{id}.html.gz`` and their
hand-checked article bodies ``ground-truth.json`` (``{id: {"articleBody", "url"}}``).

The metric is the benchmark's own (see shared/README.md): per page, true and false
positives and false negatives over the multisets of 4-token shingles (tokens are
``\\w+`` runs), normalised so the three sum to 1; precision and recall come from
these per-page shares summed over pages (so every page weighs the same), and F1 is
their harmonic mean.

Both extractors see the same decoded HTML; they alternate which goes first on each
page, so caches and CPU frequency favour neither. Throughput is pages per second of
extraction time alone. --check fails (exit 1) when our F1 drops more than 0.002
below benchmarks/extraction_baseline.json. The report folder gets report.md (the
table and the pages where ours is lower), results.json (the same numbers, unrounded)
and f1_diff.png (per-page F1 differences, sorted; drawn with a small PNG writer
here, no matplotlib). --removals also writes removals.tsv: what our cleaning took
out of each page and why (an extra, untimed pass).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import struct
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402
from trafilatura.utils import decode_file  # noqa: E402

from pipeline.clean import EXTRACT_OPTIONS, extract_text, extract_text_with_removals  # noqa: E402

DEFAULT_DATASET = REPO.parent / "shared" / "datasets" / "extraction"
DEFAULT_REPORT = REPO / "benchmarks" / "out" / "extraction"
BASELINE = REPO / "benchmarks" / "extraction_baseline.json"
CHECK_TOLERANCE = 0.002

_TOKEN = re.compile(r"\w+")


# --------------------------------------------------------------------------- metric


def shingles(text: str, n: int = 4) -> Counter[str]:
    tokens = _TOKEN.findall(text or "")
    return Counter(
        " ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    )


def page_match(truth: str, predicted: str) -> tuple[float, float, float]:
    """(tp, fp, fn) shares of one page: shingle multiset overlap, normalised to sum to 1."""
    expected, got = shingles(truth), shingles(predicted)
    tp = sum((expected & got).values())
    fp = sum((got - expected).values())
    fn = sum((expected - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def page_f1(match: tuple[float, float, float]) -> float:
    tp, fp, fn = match
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float


def scores(matches: list[tuple[float, float, float]]) -> Scores:
    tp = sum(m[0] for m in matches)
    fp = sum(m[1] for m in matches)
    fn = sum(m[2] for m in matches)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1)


# --------------------------------------------------------------------------- extractors


def bare(html: str, url: str | None) -> str:
    result = trafilatura.bare_extraction(html, url=url, **EXTRACT_OPTIONS)
    return (getattr(result, "text", None) or "") if result is not None else ""


EXTRACTORS: dict[str, Callable[[str, str | None], str]] = {"bare": bare, "ours": extract_text}


# --------------------------------------------------------------------------- png


def _png(width: int, height: int, rows: list[bytearray]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def diff_plot_png(diffs: list[float], *, bar: int = 4, height: int = 320, margin: int = 20) -> bytes:
    """Per-page F1 differences (ours - bare), sorted, as bars around a zero line.

    Drawn by hand (no matplotlib): green bars above zero are pages we do better on,
    red bars below are pages we do worse on; grey grid lines every 0.1 of F1.
    """
    values = sorted(diffs)
    width = max(1, len(values)) * bar + 2 * margin
    span = max(0.1, max((abs(v) for v in values), default=0.0))
    span = (int(span * 10 - 1e-9) + 1) / 10  # round up to the next 0.1
    plot_h = height - 2 * margin
    zero_y = margin + plot_h // 2
    scale = (plot_h / 2) / span
    white, grey, black, green, red = (255, 255, 255), (220, 220, 220), (0, 0, 0), (46, 139, 87), (200, 40, 40)
    rows = [bytearray(bytes(white) * width) for _ in range(height)]

    def put(x: int, y: int, colour: tuple[int, int, int]) -> None:
        if 0 <= x < width and 0 <= y < height:
            rows[y][3 * x : 3 * x + 3] = bytes(colour)

    steps = round(span * 10)
    for k in range(-steps, steps + 1):
        y = zero_y - round(k * 0.1 * scale)
        for x in range(margin, width - margin):
            put(x, y, grey)
    for i, value in enumerate(values):
        x0 = margin + i * bar
        top = zero_y - round(value * scale)
        colour = green if value > 0 else red
        for y in range(min(top, zero_y), max(top, zero_y) + 1):
            for x in range(x0, x0 + bar - 1):
                put(x, y, colour)
    for x in range(margin, width - margin):
        put(x, zero_y, black)
    for y in range(margin, height - margin + 1):
        put(margin - 1, y, black)
    return _png(width, height, rows)


# --------------------------------------------------------------------------- run


def find_dataset(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("NEWSWATCH_EXTRACTION_DATASET")
    return Path(env) if env else DEFAULT_DATASET


def load_pages(dataset: Path) -> list[tuple[str, str, str | None, str]]:
    """(id, html, url, article body) of every page that has both HTML and a ground truth."""
    truth = json.loads((dataset / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        path = dataset / "html" / f"{page_id}.html.gz"
        if not path.exists():
            continue
        html = decode_file(gzip.decompress(path.read_bytes()))
        pages.append((page_id, html, truth[page_id].get("url"), truth[page_id].get("articleBody") or ""))
    return pages


def run(pages: list[tuple[str, str, str | None, str]]) -> tuple[dict[str, list[str]], dict[str, float]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    outputs: dict[str, list[str]] = {name: [] for name in EXTRACTORS}
    seconds = dict.fromkeys(EXTRACTORS, 0.0)
    names = list(EXTRACTORS)
    if pages:  # warm both up (lazy imports, compiled xpaths) outside the clock
        _, html, url, _ = pages[0]
        for name in names:
            EXTRACTORS[name](html, url)
    progress = Progress(
        TextColumn("extraction"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task("pages", total=len(pages))
        for i, (_, html, url, _) in enumerate(pages):
            order = names if i % 2 == 0 else names[::-1]
            for name in order:
                start = time.perf_counter()
                text = EXTRACTORS[name](html, url)
                seconds[name] += time.perf_counter() - start
                outputs[name].append(text)
            progress.advance(task)
    return outputs, seconds


def table(rows: list[tuple[str, str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", help="dataset folder (default: ../shared/datasets/extraction)")
    parser.add_argument("--report", default=str(DEFAULT_REPORT), help="report folder")
    parser.add_argument("--check", action="store_true", help="exit 1 when F1 drops below the baseline")
    parser.add_argument("--removals", action="store_true", help="also write removals.tsv (untimed pass)")
    args = parser.parse_args(argv)

    dataset = find_dataset(args.dataset)
    if not (dataset / "ground-truth.json").is_file():
        print(f"extraction dataset not found at {dataset}; skipping")
        return 0
    pages = load_pages(dataset)
    if not pages:
        print(f"extraction dataset at {dataset} has no pages; skipping")
        return 0

    outputs, seconds = run(pages)
    matches = {
        name: [page_match(p[3], text) for p, text in zip(pages, outputs[name], strict=True)]
        for name in EXTRACTORS
    }
    result = {name: scores(matches[name]) for name in EXTRACTORS}
    rate = {name: len(pages) / seconds[name] if seconds[name] else 0.0 for name in EXTRACTORS}
    diffs = [page_f1(o) - page_f1(b) for o, b in zip(matches["ours"], matches["bare"], strict=True)]
    worse = [(d, p[0], p[2]) for d, p in zip(diffs, pages, strict=True) if d < -1e-9]
    better = sum(1 for d in diffs if d > 1e-9)
    b, o = result["bare"], result["ours"]

    rows = [
        ("", "bare trafilatura", "ours (extract_text)", "ours - bare"),
        ("precision", f"{b.precision:.4f}", f"{o.precision:.4f}", f"{o.precision - b.precision:+.4f}"),
        ("recall", f"{b.recall:.4f}", f"{o.recall:.4f}", f"{o.recall - b.recall:+.4f}"),
        ("F1", f"{b.f1:.4f}", f"{o.f1:.4f}", f"{o.f1 - b.f1:+.4f}"),
        (
            "docs/s",
            f"{rate['bare']:.1f}",
            f"{rate['ours']:.1f}",
            f"ratio {rate['ours'] / rate['bare']:.2f}" if rate["bare"] else "n/a",
        ),
    ]
    summary = table(rows)
    equal = len(pages) - better - len(worse)
    counts = f"{len(pages)} pages: ours better on {better}, worse on {len(worse)}, equal on {equal}"
    print(summary)
    print(counts)

    report = Path(args.report)
    report.mkdir(parents=True, exist_ok=True)
    (report / "f1_diff.png").write_bytes(diff_plot_png(diffs))
    md = [
        "# Article extraction benchmark",
        "",
        f"Dataset: `{dataset}` ({len(pages)} pages). Options: `{EXTRACT_OPTIONS}`.",
        "Metric: 4-token shingle precision/recall, per-page normalised (shared/README.md).",
        "",
        summary,
        "",
        counts + ".",
        "",
        "![per-page F1, ours - bare, sorted](f1_diff.png)",
        "",
        "`f1_diff.png`: one bar per page, sorted, ours minus bare per-page F1; green above the "
        "black zero line is better, red below is worse; grey lines every 0.1.",
        "",
    ]
    if worse:
        md += ["## Pages where ours is lower", "", "| F1 change | page | url |", "|---|---|---|"]
        md += [f"| {d:+.3f} | {pid[:12]} | {url or ''} |" for d, pid, url in sorted(worse)]
        md.append("")
    (report / "report.md").write_text("\n".join(md), encoding="utf-8")
    numbers = {name: {**vars(result[name]), "docs_per_s": rate[name]} for name in EXTRACTORS} | {
        "pages": len(pages),
        "worse": len(worse),
        "better": better,
    }
    (report / "results.json").write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")

    if args.removals:
        with (report / "removals.tsv").open("w", encoding="utf-8") as out:
            out.write("page\treason\ttext\n")
            for page_id, html, url, _ in pages:
                for text, reason in extract_text_with_removals(html, url)[1]:
                    out.write(f"{page_id[:12]}\t{reason}\t{' '.join(text.split())[:200]}\n")
    print(f"report: {report / 'report.md'}")

    if args.check:
        if not BASELINE.is_file():
            print(f"no baseline at {BASELINE}; nothing to check against")
            return 1
        baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
        if o.f1 < baseline["f1"] - CHECK_TOLERANCE:
            print(
                f"FAIL: F1 {o.f1:.4f} is below the baseline {baseline['f1']:.4f}"
                f" by more than {CHECK_TOLERANCE}"
            )
            return 1
        print(f"ok: F1 {o.f1:.4f} against the baseline {baseline['f1']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
