"""Article extraction: bare trafilatura against the pipeline's pipeline.clean.clean, same run.

    python benchmarks/extraction.py [DATASET ...] [--report DIR] [--check] [--removals] [--limit N]

Every dataset given is measured, one table each. Without arguments: the two shared benchmarks
beside the repository, ``../shared/datasets/extraction`` and ``../shared/datasets/extraction-readability``
(or the folders listed in $NEWSWATCH_EXTRACTION_DATASETS, separated by ``:``); a folder that is
absent is reported as such and skipped, and a run with none present passes. Two layouts are read:

- ``ground-truth.json`` (``{id: {"articleBody", "url"}}``) and ``html/{id}.html.gz``;
- ``pages/NAME/source.html.gz`` and ``pages/NAME/expected.html.gz``: the gold is the text of
  the expected HTML (``lxml.html`` ``text_content()``, decoded as the UTF-8 it is).

The metric is the benchmarks' own (see shared/README.md): per page, true and false
positives and false negatives over the multisets of 4-token shingles (tokens are
``\\w+`` runs), normalised so the three sum to 1; precision and recall come from
these per-page shares summed over pages (so every page weighs the same), and F1 is
their harmonic mean.

"bare" is ``trafilatura.bare_extraction`` with the pipeline's options
(``EXTRACT_OPTIONS``: ``include_comments=False``, with metadata); "ours" is ``clean()``, the
function the workers run: text and metadata (title, date, authors, site name, language), no
feed entry (so every field is looked for on the page: its slowest case), and a page it rejects
(no article: under ``MIN_TEXT_CHARS`` of text) counts as an empty extraction. Both see the same
decoded HTML; they alternate which goes first on each page, so caches and CPU frequency favour
neither, and the process is pinned to one core where the OS allows it. docs/s is pages per
second of extraction time alone; "cost" is our time per page over bare's. Each dataset is also
split into two fixed halves by a hash of the page id (``half``), A and B, with F1 and the pages
worse and better for each: a rule tuned on one half must hold on the other. Pages worse than bare
are counted with those that clean() rejected (no article) among them. When some gold texts
are shorter than ``MIN_TEXT_CHARS`` (no article to clean()), the F1 of both on the other pages
is printed too.

--check fails (exit 1) when our F1 on a dataset drops more than 0.002 below its figure in
benchmarks/extraction_baseline.json. The report folder gets, per dataset, NAME/report.md (the
table and the pages where ours is lower), NAME/results.json (the same numbers, unrounded) and
NAME/f1_diff.png (per-page F1 differences, sorted, with axis labels and a title; drawn with a
small PNG writer and a 5x7 bitmap font here, no matplotlib). --removals also writes
NAME/removals.tsv: what our cleaning took out of each page and why (an extra, untimed pass).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import os
import re
import struct
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import lxml.html  # noqa: E402
import trafilatura  # noqa: E402
from trafilatura.utils import decode_file  # noqa: E402

from pipeline.clean import EXTRACT_OPTIONS, MIN_TEXT_CHARS, clean  # noqa: E402
from pipeline.errors import Unusable  # noqa: E402
from pipeline.models import Article, Page  # noqa: E402

SHARED = REPO.parent / "shared" / "datasets"
DEFAULT_DATASETS = (SHARED / "extraction", SHARED / "extraction-readability")
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


def cleaned(html: str, url: str | None) -> Article | None:
    try:
        return clean(Page(url=url or "https://benchmark.invalid/", html=html, origin="extract"))
    except Unusable:
        return None


def ours(html: str, url: str | None) -> str:
    article = cleaned(html, url)
    return article.text if article else ""


EXTRACTORS: dict[str, Callable[[str, str | None], str]] = {"bare": bare, "ours": ours}


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


# A 5x7 bitmap font (rows of 5 bits, top to bottom) for the plot's labels: capitals,
# digits and a little punctuation are all the labels need.
_FONT = {
    "A": "0E 11 11 1F 11 11 11", "B": "1E 11 11 1E 11 11 1E", "C": "0E 11 10 10 10 11 0E",
    "D": "1C 12 11 11 11 12 1C", "E": "1F 10 10 1E 10 10 1F", "F": "1F 10 10 1E 10 10 10",
    "G": "0E 11 10 17 11 11 0F", "H": "11 11 11 1F 11 11 11", "I": "0E 04 04 04 04 04 0E",
    "J": "07 02 02 02 02 12 0C", "K": "11 12 14 18 14 12 11", "L": "10 10 10 10 10 10 1F",
    "M": "11 1B 15 15 11 11 11", "N": "11 11 19 15 13 11 11", "O": "0E 11 11 11 11 11 0E",
    "P": "1E 11 11 1E 10 10 10", "Q": "0E 11 11 11 15 12 0D", "R": "1E 11 11 1E 14 12 11",
    "S": "0F 10 10 0E 01 01 1E", "T": "1F 04 04 04 04 04 04", "U": "11 11 11 11 11 11 0E",
    "V": "11 11 11 11 11 0A 04", "W": "11 11 11 15 15 15 0A", "X": "11 11 0A 04 0A 11 11",
    "Y": "11 11 11 0A 04 04 04", "Z": "1F 01 02 04 08 10 1F", "0": "0E 11 13 15 19 11 0E",
    "1": "04 0C 04 04 04 04 0E", "2": "0E 11 01 02 04 08 1F", "3": "1F 02 04 02 01 11 0E",
    "4": "02 06 0A 12 1F 02 02", "5": "1F 10 1E 01 01 11 0E", "6": "06 08 10 1E 11 11 0E",
    "7": "1F 01 02 04 08 08 08", "8": "0E 11 11 0E 11 11 0E", "9": "0E 11 11 0F 01 02 0C",
    " ": "00 00 00 00 00 00 00", ".": "00 00 00 00 00 0C 0C", ",": "00 00 00 00 0C 04 08",
    ":": "00 0C 0C 00 0C 0C 00", "+": "00 04 04 1F 04 04 00", "-": "00 00 00 1F 00 00 00",
    "(": "02 04 08 08 08 04 02", ")": "08 04 02 02 02 04 08", "=": "00 00 1F 00 1F 00 00",
    "/": "00 01 02 04 08 10 00", "%": "18 19 02 04 08 13 03",
}  # fmt: skip
_GLYPH_W, _GLYPH_H = 6, 7  # with one column of spacing


def _glyph_pixels(text: str, scale: int) -> list[tuple[int, int]]:
    """(x, y) pixels of a line of text, origin at its top left."""
    pixels = []
    for n, char in enumerate(text.upper()):
        rows = [int(r, 16) for r in _FONT.get(char, _FONT[" "]).split()]
        for y, bits in enumerate(rows):
            for x in range(5):
                if bits & (1 << (4 - x)):
                    for dy in range(scale):
                        for dx in range(scale):
                            pixels.append(((n * _GLYPH_W + x) * scale + dx, y * scale + dy))
    return pixels


def text_width(text: str, scale: int = 2) -> int:
    return len(text) * _GLYPH_W * scale


def diff_plot_png(
    diffs: list[float], *, title: str = "PER-PAGE F1, OURS - BARE", bar: int = 4, height: int = 420
) -> bytes:
    """Per-page F1 differences (ours - bare), sorted, as bars around a zero line.

    Drawn by hand (no matplotlib): green bars above zero are pages we do better on,
    red bars below are pages we do worse on; grey grid lines every 0.1 of F1, labelled
    on the y axis; the x axis is the pages, sorted; the title gives the counts.
    """
    values = sorted(diffs)
    scale = 2
    left, right, top, bottom = 90, 20, 50, 60
    plot_w = max(1, len(values)) * bar
    width = max(left + plot_w + right, text_width(title) + 40)
    span = max(0.1, max((abs(v) for v in values), default=0.0))
    span = (int(span * 10 - 1e-9) + 1) / 10  # round up to the next 0.1
    plot_h = height - top - bottom
    zero_y = top + plot_h // 2
    yscale = (plot_h / 2) / span
    white, grey, black, green, red = (255, 255, 255), (220, 220, 220), (0, 0, 0), (46, 139, 87), (200, 40, 40)
    rows = [bytearray(bytes(white) * width) for _ in range(height)]

    def put(x: int, y: int, colour: tuple[int, int, int]) -> None:
        if 0 <= x < width and 0 <= y < height:
            rows[y][3 * x : 3 * x + 3] = bytes(colour)

    def write(text: str, x0: int, y0: int, *, vertical: bool = False) -> None:
        for x, y in _glyph_pixels(text, scale):
            if vertical:  # read bottom to top
                put(x0 + y, y0 - x, black)
            else:
                put(x0 + x, y0 + y, black)

    steps = round(span * 10)
    for k in range(-steps, steps + 1):
        y = zero_y - round(k * 0.1 * yscale)
        for x in range(left, left + plot_w):
            put(x, y, grey)
        label = f"{k / 10:+.1f}" if k else "0"
        write(label, left - 8 - text_width(label), y - _GLYPH_H * scale // 2)
    for i, value in enumerate(values):
        x0 = left + i * bar
        bar_top = zero_y - round(value * yscale)
        colour = green if value > 0 else red
        for y in range(min(bar_top, zero_y), max(bar_top, zero_y) + 1):
            for x in range(x0, x0 + bar - 1):
                put(x, y, colour)
    for x in range(left, left + plot_w):
        put(x, zero_y, black)  # the zero line
        put(x, top + plot_h, black)  # the x axis
    for y in range(top, top + plot_h + 1):
        put(left - 1, y, black)
    write(title, (width - text_width(title)) // 2, 14)
    xlabel = f"PAGES, SORTED BY F1 DIFFERENCE ({len(values)})"
    write(xlabel, left + (plot_w - text_width(xlabel)) // 2, top + plot_h + 20)
    ylabel = "F1 OURS - BARE"
    write(ylabel, 8, top + (plot_h + text_width(ylabel)) // 2, vertical=True)
    return _png(width, height, rows)


# --------------------------------------------------------------------------- run

Sample = tuple[str, str, str | None, str]
"""(page id, html, url, gold article text)"""


def find_datasets(args: list[str]) -> list[Path]:
    if args:
        return [Path(a) for a in args]
    env = os.environ.get("NEWSWATCH_EXTRACTION_DATASETS")
    if env:
        return [Path(a) for a in env.split(":") if a]
    return list(DEFAULT_DATASETS)


def layout(dataset: Path) -> str | None:
    """ "truth" (ground-truth.json + html/), "pages" (pages/NAME/source + expected), or None."""
    if (dataset / "ground-truth.json").is_file():
        return "truth"
    if (dataset / "pages").is_dir():
        return "pages"
    return None


def _gunzip_text(path: Path) -> str:
    return decode_file(gzip.decompress(path.read_bytes()))


def load_pages(dataset: Path, limit: int | None = None) -> list[Sample]:
    """Every page of a dataset that has both HTML and a gold text, sorted by id."""
    pages: list[Sample] = []
    if layout(dataset) == "truth":
        truth = json.loads((dataset / "ground-truth.json").read_text(encoding="utf-8"))
        for page_id in sorted(truth):
            path = dataset / "html" / f"{page_id}.html.gz"
            if path.exists():
                entry = truth[page_id]
                pages.append((page_id, _gunzip_text(path), entry.get("url"), entry.get("articleBody") or ""))
            if limit and len(pages) >= limit:
                break
    elif layout(dataset) == "pages":
        for folder in sorted(p for p in (dataset / "pages").iterdir() if p.is_dir()):
            source, expected = folder / "source.html.gz", folder / "expected.html.gz"
            if not (source.is_file() and expected.is_file()):
                continue
            gold_html = _gunzip_text(expected)
            gold = lxml.html.fromstring(gold_html).text_content() if gold_html.strip() else ""
            pages.append((folder.name, _gunzip_text(source), None, gold))
            if limit and len(pages) >= limit:
                break
    return pages


@contextlib.contextmanager
def one_core() -> Iterator[str]:
    """Pin this process to one CPU (the one it runs on) while timing, so docs/s is per core."""
    if not hasattr(os, "sched_setaffinity"):
        yield "not pinned (no sched_setaffinity here)"
        return
    cpus = os.sched_getaffinity(0)
    cpu = max(cpus)
    os.sched_setaffinity(0, {cpu})
    try:
        yield f"pinned to CPU {cpu}"
    finally:
        os.sched_setaffinity(0, cpus)


def run(pages: list[Sample], label: str = "extraction") -> tuple[dict[str, list[str]], dict[str, float]]:
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
        TextColumn(label),
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


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def half(page_id: str) -> str:
    """The fixed half of a dataset a page belongs to ("A" or "B"), by a hash of its id: rules are
    tuned on one half and checked on the other."""
    return "AB"[hashlib.sha256(page_id.encode("utf-8")).digest()[0] % 2]


@dataclass
class Half:
    """One half's figures (see ``half``)."""

    pages: int
    bare: Scores
    ours: Scores
    worse: int
    better: int


@dataclass
class Measure:
    """One dataset's figures."""

    name: str
    pages: int
    bare: Scores
    ours: Scores
    bare_docs_s: float
    ours_docs_s: float
    better: int
    worse: list[tuple[float, str, str | None]]
    empty: int  # pages where ours kept nothing (clean() found no article)
    # the same scores on the pages whose gold text is an article clean() accepts (MIN_TEXT_CHARS)
    long_pages: int = 0
    bare_long: Scores | None = None
    ours_long: Scores | None = None
    rejected_worse: int = 0  # pages worse than bare because clean() found no article in them
    halves: dict[str, Half] = field(default_factory=dict)

    @property
    def cost(self) -> float:
        """Our time per page over bare's."""
        return self.bare_docs_s / self.ours_docs_s if self.ours_docs_s else float("inf")

    def numbers(self) -> dict[str, object]:
        return {
            "bare": {**vars(self.bare), "docs_per_s": self.bare_docs_s},
            "ours": {**vars(self.ours), "docs_per_s": self.ours_docs_s},
            "pages": self.pages,
            "worse": len(self.worse),
            "better": self.better,
            "no_article": self.empty,
            "worse_no_article": self.rejected_worse,
            "halves": {
                name: {
                    "pages": h.pages,
                    "bare": vars(h.bare),
                    "ours": vars(h.ours),
                    "worse": h.worse,
                    "better": h.better,
                }
                for name, h in self.halves.items()
            },
            "cost_ratio": self.cost,
            "gold_of_min_text_chars": {
                "pages": self.long_pages,
                "bare": vars(self.bare_long) if self.bare_long else None,
                "ours": vars(self.ours_long) if self.ours_long else None,
            },
        }


def measure(name: str, pages: list[Sample]) -> tuple[Measure, list[float]]:
    outputs, seconds = run(pages, label=name)
    matches = {
        who: [page_match(p[3], text) for p, text in zip(pages, outputs[who], strict=True)]
        for who in EXTRACTORS
    }
    rate = {who: len(pages) / seconds[who] if seconds[who] else 0.0 for who in EXTRACTORS}
    diffs = [page_f1(o) - page_f1(b) for o, b in zip(matches["ours"], matches["bare"], strict=True)]
    result = Measure(
        name=name,
        pages=len(pages),
        bare=scores(matches["bare"]),
        ours=scores(matches["ours"]),
        bare_docs_s=rate["bare"],
        ours_docs_s=rate["ours"],
        better=sum(1 for d in diffs if d > 1e-9),
        worse=[(d, p[0], p[2]) for d, p in zip(diffs, pages, strict=True) if d < -1e-9],
        empty=sum(1 for text in outputs["ours"] if not text),
        rejected_worse=sum(
            1 for d, text in zip(diffs, outputs["ours"], strict=True) if d < -1e-9 and not text
        ),
    )
    for name in "AB":
        idx = [i for i, p in enumerate(pages) if half(p[0]) == name]
        result.halves[name] = Half(
            pages=len(idx),
            bare=scores([matches["bare"][i] for i in idx]),
            ours=scores([matches["ours"][i] for i in idx]),
            worse=sum(1 for i in idx if diffs[i] < -1e-9),
            better=sum(1 for i in idx if diffs[i] > 1e-9),
        )
    long = [i for i, p in enumerate(pages) if len(p[3].strip()) >= MIN_TEXT_CHARS]
    if len(long) < len(pages):
        result.long_pages = len(long)
        result.bare_long = scores([matches["bare"][i] for i in long])
        result.ours_long = scores([matches["ours"][i] for i in long])
    return result, diffs


def summary(m: Measure) -> str:
    b, o = m.bare, m.ours
    rows = [
        ("", "bare trafilatura", "ours (clean)", "ours - bare"),
        ("F1", f"{b.f1:.4f}", f"{o.f1:.4f}", f"{o.f1 - b.f1:+.4f}"),
        ("precision", f"{b.precision:.4f}", f"{o.precision:.4f}", f"{o.precision - b.precision:+.4f}"),
        ("recall", f"{b.recall:.4f}", f"{o.recall:.4f}", f"{o.recall - b.recall:+.4f}"),
        ("docs/s (one core)", f"{m.bare_docs_s:.1f}", f"{m.ours_docs_s:.1f}", f"cost x{m.cost:.2f}"),
    ]
    equal = m.pages - m.better - len(m.worse)
    share = 100 * len(m.worse) / m.pages if m.pages else 0.0
    counts = (
        f"{m.pages} pages: ours better on {m.better}, worse on {len(m.worse)} ({share:.1f}%;"
        f" {m.rejected_worse} of them rejected as no article), equal on {equal};"
        f" no article found on {m.empty}"
    )
    if m.halves:
        halves = [("half (hash of page id)", "pages", "bare F1", "ours F1", "ours - bare", "better", "worse")]
        for name, h in m.halves.items():
            halves.append(
                (
                    name,
                    str(h.pages),
                    f"{h.bare.f1:.4f}",
                    f"{h.ours.f1:.4f}",
                    f"{h.ours.f1 - h.bare.f1:+.4f}",
                    str(h.better),
                    f"{h.worse} ({100 * h.worse / h.pages if h.pages else 0.0:.1f}%)",
                )
            )
        counts += "\n" + table(halves)
    if m.bare_long and m.ours_long:
        counts += (
            f"\non the {m.long_pages} pages whose gold text has at least {MIN_TEXT_CHARS} characters"
            f" (shorter is no article to clean()): F1 bare {m.bare_long.f1:.4f}, ours {m.ours_long.f1:.4f}"
            f" ({m.ours_long.f1 - m.bare_long.f1:+.4f})"
        )
    return f"{table(rows)}\n{counts}"


def write_report(folder: Path, dataset: Path, m: Measure, diffs: list[float]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    equal = m.pages - m.better - len(m.worse)
    title = f"PER-PAGE F1, OURS - BARE: {m.better} BETTER, {len(m.worse)} WORSE, {equal} EQUAL OF {m.pages}"
    (folder / "f1_diff.png").write_bytes(diff_plot_png(diffs, title=title))
    md = [
        f"# Article extraction benchmark: {m.name}",
        "",
        f"Dataset: `{dataset}` ({m.pages} pages). Options: `{EXTRACT_OPTIONS}`.",
        "Ours is `pipeline.clean.clean` (text and metadata, as the workers run it); bare is "
        "`trafilatura.bare_extraction` with the same options.",
        "Metric: 4-token shingle precision/recall, per-page normalised (shared/README.md).",
        "",
        summary(m),
        "",
        "![per-page F1, ours - bare, sorted](f1_diff.png)",
        "",
        "`f1_diff.png`: one bar per page (x axis, sorted by the difference), ours minus bare per-page "
        "F1 (y axis); green above the black zero line is better, red below is worse; grey lines every 0.1.",
        "",
    ]
    if m.worse:
        md += ["## Pages where ours is lower", "", "| F1 change | page | url |", "|---|---|---|"]
        md += [f"| {d:+.3f} | {pid[:40]} | {url or ''} |" for d, pid, url in sorted(m.worse)]
        md.append("")
    (folder / "report.md").write_text("\n".join(md), encoding="utf-8")
    (folder / "results.json").write_text(json.dumps(m.numbers(), indent=2) + "\n", encoding="utf-8")
    return folder / "report.md"


def write_removals(folder: Path, pages: list[Sample]) -> None:
    with (folder / "removals.tsv").open("w", encoding="utf-8") as out:
        out.write("page\treason\ttext\n")
        for page_id, html, url, _ in pages:
            article = cleaned(html, url)
            for text, reason in ((r.text, r.reason) for r in (article.removed if article else ())):
                out.write(f"{page_id[:40]}\t{reason}\t{' '.join(text.split())[:200]}\n")


def check(results: list[Measure], baseline_path: Path = BASELINE) -> list[str]:
    """What fails the gate: a dataset whose F1 fell more than CHECK_TOLERANCE below its baseline."""
    if not baseline_path.is_file():
        return [f"no baseline at {baseline_path}; nothing to check against"]
    baseline = json.loads(baseline_path.read_text(encoding="utf-8"))
    failures = []
    for m in results:
        ref = baseline.get(m.name)
        if ref is None:
            print(f"{m.name}: no baseline figure; not checked")
            continue
        if m.ours.f1 < ref["f1"] - CHECK_TOLERANCE:
            failures.append(
                f"FAIL {m.name}: F1 {m.ours.f1:.4f} is below the baseline {ref['f1']:.4f}"
                f" by more than {CHECK_TOLERANCE}"
            )
        else:
            print(f"ok {m.name}: F1 {m.ours.f1:.4f} against the baseline {ref['f1']:.4f}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="*", help="dataset folders (default: the two shared benchmarks)")
    parser.add_argument("--report", default=str(DEFAULT_REPORT), help="report folder")
    parser.add_argument("--check", action="store_true", help="exit 1 when an F1 drops below the baseline")
    parser.add_argument("--removals", action="store_true", help="also write removals.tsv (untimed pass)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages of each dataset")
    parser.add_argument("--baseline", default=str(BASELINE), help="baseline figures for --check")
    args = parser.parse_args(argv)

    found: list[tuple[Path, list[Sample]]] = []
    for dataset in find_datasets(args.datasets):
        if layout(dataset) is None:
            print(f"extraction dataset not found at {dataset}; skipping")
            continue
        pages = load_pages(dataset, args.limit)
        if not pages:
            print(f"extraction dataset at {dataset} has no pages; skipping")
            continue
        found.append((dataset, pages))
    if not found:
        print("no extraction dataset present; nothing measured")
        return 0

    results = []
    with one_core() as pinned:
        print(f"timing: {pinned}")
        for dataset, pages in found:
            m, diffs = measure(dataset.name, pages)
            results.append(m)
            print(f"\n{m.name} ({dataset})")
            print(summary(m))
            folder = Path(args.report) / m.name
            report = write_report(folder, dataset, m, diffs)
            if args.removals:
                write_removals(folder, pages)
            print(f"report: {report}")

    if args.check:
        failures = check(results, Path(args.baseline))
        for line in failures:
            print(line)
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
