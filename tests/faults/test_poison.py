"""Poison lines and oversized input: each ends as a typed outcome, never as an internal error."""

from __future__ import annotations

import json
from pathlib import Path

from config.settings import Settings
from tests.conftest import synthetic_text
from tests.faults.checks import every_input_accounted, no_alert_under_two_ids, no_record_doubled
from workers.app import App
from workers.replay import replay
from workers.runner import workers


def body(seed: int) -> str:
    return synthetic_text(seed) + "\nSeoul asked Moscow for consular access to the detained South Korean."


def test_poison_fields_end_as_warnings_or_typed_errors(settings: Settings, tmp_path: Path) -> None:
    lines = [
        json.dumps({"url": "https://p.example/1", "text": body(1), "title": 12345}),  # title a number
        json.dumps({"url": "https://p.example/2", "text": body(2), "language": 7}),  # language a number
        json.dumps({"url": "https://p.example/3", "text": body(3), "source": ["a", "b"]}),
        json.dumps(
            {"url": "https://p.example/4", "text": body(4) + " lone \ud800 here", "title": "x\udfffy"}
        ),
        json.dumps({"url": "https://p.example/5", "html": 42}),
        json.dumps({"url": "https://p.example/6", "text": {"nested": "object"}}),
        json.dumps({"url": "https://p.example/7\ud800", "text": body(7)}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"url": 99, "text": body(9)}),
        json.dumps({"url": "https://p.example/10", "text": body(10), "published": ["2024"]}),
        '{"url": "https://p.example/11", "text": "unterminated',
        "\x00\x01\x02 binary garbage \xff",
    ]
    backlog = tmp_path / "poison.jsonl"
    backlog.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    with App.open(settings) as nw:
        with workers(nw, threads=2, queues={"articles"}):
            result = replay(nw, [backlog], timeout_s=120)
        summary = result.summary()
        every_input_accounted(nw, result.run_id, summary, read=len(lines))
        records = no_record_doubled(nw)
        no_alert_under_two_ids(nw)
        outcomes = nw.store.run_outcomes(result.run_id)
    problems = dict(result.problems)
    assert not [p for p in problems.values() if "internal" in p], problems
    assert not [o for o in outcomes.values() if o["detail"].startswith("internal")], outcomes
    # the four lines with a bad optional field are stored, the field dropped with a warning
    by_url = {r.url: r for r in records}
    assert {"https://p.example/1", "https://p.example/2", "https://p.example/3"} <= set(by_url)
    assert by_url["https://p.example/1"].title is None
    assert by_url["https://p.example/4"].title == "xy" and "\ud800" not in by_url["https://p.example/4"].text
    assert "https://p.example/7" in by_url  # the lone surrogate dropped from the URL
    warned = [o["detail"] for o in outcomes.values() if "warnings:" in o["detail"]]
    assert any("title: expected text, got int" in w for w in warned), outcomes
    assert any("language: expected text, got int" in w for w in warned)
    assert summary["errors"] == 6, problems  # html/text of the wrong type, not an object, bad url, bad JSON


def test_oversized_text_and_html_are_rejected_before_they_reach_redis(
    settings: Settings, tmp_path: Path
) -> None:
    cap = 64 * 1024
    lines = [
        {"url": "https://big.example/text", "text": body(20) + " word" * (cap // 5)},
        {
            "url": "https://big.example/html",
            "html": "<html><body><p>" + "x" * (cap + 1) + "</p></body></html>",
        },
        {"url": "https://big.example/line", "text": "y" * (3 * cap)},  # past the line bound: never held whole
        {"url": "https://big.example/fine", "text": body(21)},
    ]
    backlog = tmp_path / "big.jsonl"
    backlog.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with App.open(settings.model_copy(update={"http_max_bytes": cap})) as nw:
        with workers(nw, threads=1, queues={"articles"}):
            result = replay(nw, [backlog], timeout_s=120)
        summary = result.summary()
        every_input_accounted(nw, result.run_id, summary, read=4)
        records = no_record_doubled(nw)
        largest = max(
            len(nw.redis.get(key) or "") for key in nw.redis.scan_iter(match=f"{nw.prefix}:*", _type="string")
        )
    assert summary["rejected"] == 3 and summary["stored"] + summary["off_topic"] == 1
    assert all("too_large" in problem for _, problem in result.problems)
    assert [r.url for r in records] == ["https://big.example/fine"]
    assert largest < cap  # nothing of the oversized lines was parked in Redis
