"""What each cleaning rule earns: the extraction benchmarks with every rule on, then with each one off.

    python benchmarks/ablation.py [DATASET ...] [--limit N] [--rules NAME[,NAME...]] [--json]

The datasets are those of ``benchmarks/extraction.py`` (the two shared benchmarks by default, either
layout), scored the same way (F1 over 4-token shingles). For every rule of ``pipeline.clean`` and
``pipeline.boilerplate`` (``RULES``: each named, with the switch that turns it off for the run),
``clean()`` runs again on every page with that one rule off, and the table says, per dataset:

- **adds F1**: F1 with every rule on minus F1 with this one off (what the rule earns there);
- **helps / hurts**: on how many pages the rule raises / lowers the page's F1;
- **worse than bare**: pages where ours is below bare trafilatura with the rule on, and off.

A rule does a dataset good when it adds F1 there, or leaves F1 as it is and helps more pages than it
hurts; harm is the reverse. It earns its place when it does every dataset good, or one while leaving the
others unchanged (``verdict``: ``both``, ``one, others unchanged``); ``kept for worse pages`` when it does
harm but spares pages worse than bare; ``changes nothing``; otherwise ``costs F1``. Bare trafilatura
runs once per page (for the "worse than bare" counts); the pages of a dataset are cleaned
1 + len(RULES) times, with a progress bar.
``--json`` prints ``{"datasets": {NAME: {"all_on": F1, "rules": {RULE: {...}}}}}`` as the last line.
Absent datasets are reported and skipped, like extraction.py.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if (
    str(ROOT) not in sys.path
):  # the package is normally installed editable; this makes a plain checkout work too
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402
from rich.table import Table  # noqa: E402

from benchmarks.extraction import (  # noqa: E402
    Sample,
    bare,
    find_datasets,
    layout,
    load_pages,
    ours,
    page_f1,
    page_match,
    scores,
)
from pipeline import boilerplate  # noqa: E402
from pipeline import clean as clean_module  # noqa: E402

Switch = Callable[[], contextlib.AbstractContextManager[None]]


@contextlib.contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def _without_line_rule(name: str) -> Switch:
    def switch() -> contextlib.AbstractContextManager[None]:
        kept = [(n, rule) for n, rule in boilerplate._LINE_RULES if n != name]
        return _patched(boilerplate, "_LINE_RULES", kept)

    return switch


RULES: dict[str, Switch] = {
    "box pruning (prune_tree)": lambda: _patched(boilerplate, "prune_tree", lambda tree: []),
    "repeated text kept (mark_repeated_text)": lambda: _patched(
        boilerplate, "mark_repeated_text", lambda tree: 0
    ),
    "subheadings restored (inner_headings)": lambda: _patched(boilerplate, "inner_headings", lambda tree: []),
    "article continued past ad breaks (body_parts)": lambda: _patched(
        boilerplate, "body_parts", lambda tree: []
    ),
    "full run when the fast run is short": lambda: _patched(clean_module, "FULL_RUN_BELOW_CHARS", 0),
    "full run when the fast run is a link dump": lambda: _patched(clean_module, "LINK_DUMP_SHARE", 2.0),
    "leading link lines (trim_link_lines)": lambda: _patched(
        boilerplate, "trim_link_lines", lambda text, links, **kw: (text, [])
    ),
    "a line that is the page's h1 is no link line": lambda: _patched(
        boilerplate, "headline_keys", lambda tree: frozenset()
    ),
    "headline repeated": lambda: _patched(boilerplate, "_is_title", lambda line, titles: False),
    **{
        f"line: {name}": _without_line_rule(name)
        for name in dict.fromkeys(n for n, _ in boilerplate._LINE_RULES)
    },
    "reporting credit at the end": lambda: _patched(boilerplate, "_CREDIT", re.compile(r"(?!)")),
}


@dataclass
class RuleFigures:
    f1_off: float
    adds: float
    helps: int
    hurts: int
    worse_on: int
    worse_off: int


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    )


def _page_f1s(pages: list[Sample], progress: Progress, label: str) -> tuple[list[float], float]:
    task = progress.add_task(label, total=len(pages))
    matches = []
    for _page_id, html, url, gold in pages:
        matches.append(page_match(gold, ours(html, url)))
        progress.advance(task)
    progress.remove_task(task)
    return [page_f1(m) for m in matches], scores(matches).f1


def ablate(
    pages: list[Sample], rules: dict[str, Switch], progress: Progress
) -> tuple[float, dict[str, RuleFigures]]:
    task = progress.add_task("bare trafilatura", total=len(pages))
    bare_f1 = []
    for _page_id, html, url, gold in pages:
        bare_f1.append(page_f1(page_match(gold, bare(html, url))))
        progress.advance(task)
    progress.remove_task(task)
    on, f1_on = _page_f1s(pages, progress, "every rule on")
    worse_on = sum(o < b - 1e-9 for o, b in zip(on, bare_f1, strict=True))
    figures = {}
    for name, switch in rules.items():
        with switch():
            off, f1_off = _page_f1s(pages, progress, f"without {name}")
        figures[name] = RuleFigures(
            f1_off=f1_off,
            adds=f1_on - f1_off,
            helps=sum(a > b + 1e-9 for a, b in zip(on, off, strict=True)),
            hurts=sum(a < b - 1e-9 for a, b in zip(on, off, strict=True)),
            worse_on=worse_on,
            worse_off=sum(o < b - 1e-9 for o, b in zip(off, bare_f1, strict=True)),
        )
    return f1_on, figures


def _effect(f: RuleFigures, tolerance: float) -> int:
    """+1 when the rule does a dataset good (adds F1, or leaves it and helps more pages than it hurts),
    -1 when it does it harm, 0 when neither."""
    if f.adds > tolerance or (f.adds >= -tolerance and f.helps > f.hurts):
        return 1
    if f.adds < -tolerance or (f.adds <= tolerance and f.hurts > f.helps):
        return -1
    return 0


def verdict(per_dataset: list[RuleFigures], tolerance: float = 5e-5) -> str:
    effects = [_effect(f, tolerance) for f in per_dataset]
    if all(e > 0 for e in effects):
        return "both"
    if any(e > 0 for e in effects) and all(e >= 0 for e in effects):
        return "one, others unchanged"
    if all(e == 0 for e in effects):
        return "changes nothing"
    if sum(f.worse_off - f.worse_on for f in per_dataset) > 0:
        return "kept for worse pages"
    return "costs F1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="*", help="dataset folders (default: the two shared benchmarks)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages of each dataset")
    parser.add_argument("--rules", default="", help="only these rules (comma-separated names of RULES)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args = parser.parse_args(argv)
    rules = RULES
    if args.rules:
        wanted = [r.strip() for r in args.rules.split(",") if r.strip()]
        unknown = [r for r in wanted if r not in RULES]
        if unknown:
            print(f"unknown rule(s): {', '.join(unknown)}; known: {', '.join(RULES)}")
            return 2
        rules = {r: RULES[r] for r in wanted}

    found: list[tuple[str, list[Sample]]] = []
    for dataset in find_datasets(args.datasets):
        pages = load_pages(dataset, args.limit) if layout(dataset) else []
        if not pages:
            print(f"extraction dataset not found or empty at {dataset}; skipping")
            continue
        found.append((dataset.name, pages))
    if not found:
        print("no extraction dataset present; nothing measured")
        return 0

    results: dict[str, tuple[float, dict[str, RuleFigures]]] = {}
    with _progress() as progress:
        for name, pages in found:
            results[name] = ablate(pages, rules, progress)

    console = Console(width=200)
    names = list(results)
    table = Table(title="what each rule earns: F1 with every rule on minus F1 with that rule off")
    table.add_column("rule")
    for name in names:
        table.add_column(f"{name}\nadds F1", justify="right")
        table.add_column(f"{name}\nhelps / hurts", justify="right")
        table.add_column(f"{name}\nworse than bare\non / off", justify="right")
    table.add_column("verdict")
    for rule in rules:
        row = [rule]
        for name in names:
            f = results[name][1][rule]
            row += [f"{f.adds:+.4f}", f"{f.helps} / {f.hurts}", f"{f.worse_on} / {f.worse_off}"]
        table.add_row(*row, verdict([results[name][1][rule] for name in names]))
    console.print(table)
    console.print("F1 with every rule on: " + ", ".join(f"{name} {results[name][0]:.4f}" for name in names))
    if args.json:
        print(
            json.dumps(
                {
                    "datasets": {
                        name: {"all_on": f1_on, "rules": {r: vars(f) for r, f in figures.items()}}
                        for name, (f1_on, figures) in results.items()
                    },
                    "verdicts": {r: verdict([results[n][1][r] for n in names]) for r in rules},
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
