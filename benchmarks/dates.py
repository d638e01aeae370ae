"""Publication dates on the real-news set: every labelled date read, at its precision.

    python benchmarks/dates.py [--cache DIR] [--labels PATH] [--half dev|test|all] [--errors]

Two figures per half, on the labels and the local text cache of benchmarks/realnews.py (the
texts are third-party and are not in the repository; without the cache only the first figure
is measured):

- ``published``: each labelled date, written as a replay line's ``published`` would carry it
  (``2024-03-12``, ``2024-03``), read by pipeline.dates with the labelled precision;
- ``url+text``: the date pipeline.dates finds with no ``published`` at all, from the URL and the
  top of the text (what a replay without dates, or a feed without them, relies on), against the
  label at the label's precision. Also measured without the ``date YYYY-MM[-DD]`` line that the
  cache's gatherer put at the top of many texts, since a real page does not carry that line.

Pure: no Redis, no network. ``--errors`` lists every miss.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.realnews import DEFAULT_LABELS, default_cache, load_labels, read_cache  # noqa: E402
from pipeline.dates import DateReading, published_date, read_date  # noqa: E402

GATHERER_LINE = re.compile(r"^date \d{4}-\d{2}(?:-\d{2})?\s*")


def as_labelled(found: DateReading) -> str | None:
    """A reading written the way labels write dates: to its own precision."""
    if found.source == "fetched":
        return None
    iso = found.at.date().isoformat()
    return {"day": iso, "month": iso[:7], "year": iso[:4]}[found.precision]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    ap.add_argument("--half", choices=("dev", "test", "all"), default="test")
    ap.add_argument("--errors", action="store_true", help="list every miss")
    args = ap.parse_args(argv)
    now = datetime.now(UTC)
    cache = args.cache or default_cache()
    texts = read_cache(cache) if (cache / "raw").is_dir() else {}
    rows = [
        label
        for label in load_labels(args.labels)
        if label.get("pub_date") and not label.get("ambiguous") and args.half in ("all", label["half"])
    ]
    read = 0
    found = {"url+text": 0, "url+text without the gatherer's line": 0}
    with_text = 0
    misses: list[str] = []
    for label in rows:
        want = label["pub_date"]
        precision = {4: "year", 7: "month"}.get(len(want), "day")
        got = read_date(want, source="input", now=now)
        if got is not None and as_labelled(got) == want and got.precision == precision:
            read += 1
        else:
            misses.append(f"published {want!r} read as {got}")
        text = texts.get(label["url"])
        if text is None:
            continue
        with_text += 1
        for name, body in (
            ("url+text", text),
            ("url+text without the gatherer's line", GATHERER_LINE.sub("", text)),
        ):
            reading, _ = published_date([], url=label["url"], text=body, fetched_at=now, now=now, live=False)
            if as_labelled(reading) == want:
                found[name] += 1
            elif name == "url+text":
                misses.append(
                    f"{label['url']}: labelled {want}, found {as_labelled(reading)} ({reading.source})"
                )
    print(f"half: {args.half}; labelled dates: {len(rows)}")
    print(f"published: {read} of {len(rows)} read at the labelled precision")
    if texts:
        for name, n in found.items():
            print(f"{name}: {n} of {with_text} cached articles dated right")
    else:
        print(f"url+text: not measured (no text cache at {cache})")
    if args.errors:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
