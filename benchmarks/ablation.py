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
The rules removed from the cleaner (``REMOVED``) are measured the other way: each added back alone,
F1 with it minus F1 without it, in a second table (a removed rule whose verdict there is that it earns
its place should come back); ``--no-removed`` skips them. ``--json`` prints ``{"datasets": {NAME:
{"all_on": F1, "rules": {RULE: {...}}, "added_back": {...}}}, "verdicts": ..., "added_back_verdicts":
...}`` as the last line.
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


# Line rules removed from pipeline.boilerplate because they did not earn their place; measured again by
# adding each back, alone, to the rules there are now. "date/update line (before it spared bylines)" is
# the old form of a rule that was reworked: it replaces the current one for its run.
REMOVED: dict[str, tuple[str, str]] = {
    "short line ending in newsletter/subscribe": (
        "newsletter/subscribe prompt",
        r"(?i)^.{0,120}\b(?:newsletter|subscribe|subscription)[.!:]?$",
    ),
    "app promotion": (
        "app promotion",
        r"(?i)^(?:click|tap) (?:here )?to (?:get|download) .{0,60}\bapp\b.*$|^get .{0,40} on the go\b.*$",
    ),
    "related / read more line": (
        "related-links line",
        r"(?i)^\[?(?:related(?: stories| articles| posts| content| coverage| news| links| reading)?"
        r"|more (?:stories|news|coverage)|read more|see more|see also|more|also on [\w.]+"
        r"|also read|read also|don'?t miss"
        r"|you may also like|you might also like|recommended|most (?:popular|read)(?: in .{0,40})?"
        r"|more from .{0,40}|trending(?: now)?|leggi anche|veja também|lesen sie auch|lire aussi"
        r"|à lire aussi|lee también|read next|up next)\b\s*(?::.*|\.\.\.|…)?\]?$",
    ),
    "date/update line (before it spared bylines)": (
        "date/update line",
        r"(?i)^(?:[-•*]\s*)?(?:updated|published|posted|modified|last updated|first published)"
        r"(?: on| at)?\s*:?\s*.{0,40}\d.{0,40}$",
    ),
    "copyright line": ("copyright line", r"(?i)^\s*(?:copyright\b|©|\(c\)\s*\d{4}).{0,200}$"),
    "follow him/her on Twitter": (
        "share/follow prompt",
        r"(?i)^.{0,200}\bfollow (?:him|her|us|them|me) on (?:twitter|facebook|instagram)\b.*$",
    ),
    "label: URL": ("label and link", r"(?i)^[\w' .+-]{1,40}:\s*https?://\S+$"),
    "cookie notice": (
        "cookie notice",
        r"(?i)^(?:this (?:web)?site uses cookies|we use cookies|by (?:using|continuing to use|browsing) "
        r"(?:our|this) (?:web)?site\b.{0,40}\bcookies?)\b.*$",
    ),
    "feedback address": (
        "feedback address",
        r"(?i)^please (?:direct|send|address|email) (?:your |any )?(?:questions|comments|queries|feedback"
        r"|corrections)\b.*$",
    ),
    "button that ...": ("page control text", r"(?i)^.{0,30}\bbutton (?:that|to|for)\b.{0,80}$"),
    "posted by ... category": (
        "byline/metadata line",
        r"(?i)^(?=.{0,160}$)(?=.*\b(?:posted|published|publicado|publié|veröffentlicht|pubblicato) "
        r"(?:by|por|par|von|da)\b)(?=.*\b(?:category|categoria|categoría|catégorie|kategorie|tags?)\b).*$",
    ),
}


def _with_removed_rule(name: str, pattern: str) -> Switch:
    def switch() -> contextlib.AbstractContextManager[None]:
        rules = list(boilerplate._LINE_RULES)
        if name == "date/update line":  # the old form in place of the reworked one
            rules = [(n, r) for n, r in rules if n != name]
        return _patched(boilerplate, "_LINE_RULES", [*rules, (name, re.compile(pattern))])

    return switch


ADDED_BACK: dict[str, Switch] = {label: _with_removed_rule(*rule) for label, rule in REMOVED.items()}


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


def _figures(
    current: list[float],
    variant: list[float],
    bare_f1: list[float],
    f1_current: float,
    f1_variant: float,
    *,
    added: bool,
) -> RuleFigures:
    """A rule's figures on one dataset: ``variant`` is the run without the rule (``added`` False) or
    with a removed rule added back (``added`` True); "with" and "without" are swapped accordingly."""
    with_rule, without = (variant, current) if added else (current, variant)
    f1_with, f1_without = (f1_variant, f1_current) if added else (f1_current, f1_variant)
    return RuleFigures(
        f1_off=f1_without,
        adds=f1_with - f1_without,
        helps=sum(a > b + 1e-9 for a, b in zip(with_rule, without, strict=True)),
        hurts=sum(a < b - 1e-9 for a, b in zip(with_rule, without, strict=True)),
        worse_on=sum(o < b - 1e-9 for o, b in zip(with_rule, bare_f1, strict=True)),
        worse_off=sum(o < b - 1e-9 for o, b in zip(without, bare_f1, strict=True)),
    )


def ablate(
    pages: list[Sample], rules: dict[str, Switch], progress: Progress, added: dict[str, Switch] | None = None
) -> tuple[float, dict[str, RuleFigures], dict[str, RuleFigures]]:
    """F1 with the rules as they are; each rule's figures with it off; each removed rule's with it
    added back."""
    task = progress.add_task("bare trafilatura", total=len(pages))
    bare_f1 = []
    for _page_id, html, url, gold in pages:
        bare_f1.append(page_f1(page_match(gold, bare(html, url))))
        progress.advance(task)
    progress.remove_task(task)
    current, f1_current = _page_f1s(pages, progress, "every rule on")
    runs: list[tuple[str, Switch, bool]] = [
        *((name, switch, False) for name, switch in rules.items()),
        *((name, switch, True) for name, switch in (added or {}).items()),
    ]
    kept: dict[str, RuleFigures] = {}
    back: dict[str, RuleFigures] = {}
    for name, switch, is_added in runs:
        with switch():
            variant, f1_variant = _page_f1s(pages, progress, f"{'with' if is_added else 'without'} {name}")
        figures = _figures(current, variant, bare_f1, f1_current, f1_variant, added=is_added)
        (back if is_added else kept)[name] = figures
    return f1_current, kept, back


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


def _rule_table(
    title: str, names: list[str], figures: dict[str, dict[str, RuleFigures]], with_col: str
) -> Table:
    table = Table(title=title)
    table.add_column("rule")
    for name in names:
        table.add_column(f"{name}\nadds F1", justify="right")
        table.add_column(f"{name}\nhelps / hurts", justify="right")
        table.add_column(f"{name}\nworse than bare\n{with_col}", justify="right")
    table.add_column("verdict")
    for rule in next(iter(figures.values())):
        row = [rule]
        for name in names:
            f = figures[name][rule]
            row += [f"{f.adds:+.4f}", f"{f.helps} / {f.hurts}", f"{f.worse_on} / {f.worse_off}"]
        table.add_row(*row, verdict([figures[name][rule] for name in names]))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="*", help="dataset folders (default: the two shared benchmarks)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages of each dataset")
    parser.add_argument("--rules", default="", help="only these rules (comma-separated names of RULES)")
    parser.add_argument("--no-removed", action="store_true", help="skip adding back the removed rules")
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
    added = {} if args.no_removed or args.rules else ADDED_BACK

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

    results: dict[str, tuple[float, dict[str, RuleFigures], dict[str, RuleFigures]]] = {}
    with _progress() as progress:
        for name, pages in found:
            results[name] = ablate(pages, rules, progress, added)

    console = Console(width=200)
    names = list(results)
    kept = {name: results[name][1] for name in names}
    back = {name: results[name][2] for name in names}
    title = "what each rule earns: F1 with every rule on minus F1 with that rule off"
    console.print(_rule_table(title, names, kept, "on / off"))
    if added:
        title = "removed rules, each added back alone: F1 with it minus F1 without it"
        console.print(_rule_table(title, names, back, "with / without"))
    console.print("F1 with every rule on: " + ", ".join(f"{name} {results[name][0]:.4f}" for name in names))
    if args.json:
        out = {
            "datasets": {
                name: {
                    "all_on": f1,
                    "rules": {r: vars(f) for r, f in figs.items()},
                    "added_back": {r: vars(f) for r, f in figs_back.items()},
                }
                for name, (f1, figs, figs_back) in results.items()
            },
            "verdicts": {r: verdict([kept[n][r] for n in names]) for r in rules},
            "added_back_verdicts": {r: verdict([back[n][r] for n in names]) for r in added},
        }
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
