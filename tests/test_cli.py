"""The `newswatch` command as a user runs it: real processes, the real Redis, no network."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import TESTDATA, synthetic_text

NEWSWATCH = [sys.executable, "-m", "workers.cli"]


def nw(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSWATCH, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def last_json(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def synthetic_backlog(path: Path, n: int, *, offset: int = 0) -> Path:
    """n distinct on-subject articles, one JSON object a line."""
    with path.open("w") as fh:
        for i in range(offset, offset + n):
            text = (
                synthetic_text(i) + f"\nA court in Moscow extended the custody of South Korean citizen {i} "
                "on spying charges; Seoul's foreign ministry asked Russia for consular access to him."
            )
            fh.write(
                json.dumps(
                    {
                        "url": f"https://wire.example/report/{i}",
                        "text": text,
                        "title": f"Custody extended in case {i}",
                    }
                )
                + "\n"
            )
    return path


def test_replay_twice_then_show_search_and_stats(env: dict[str, str]) -> None:
    first = last_json(nw(env, "replay", str(TESTDATA / "backlog.jsonl"), "--json"))
    stats = last_json(nw(env, "stats", "--json"))
    second = last_json(nw(env, "replay", str(TESTDATA / "backlog.jsonl"), "--json"))
    assert set(first) >= {
        "read",
        "stored",
        "duplicates",
        "near_duplicates",
        "off_topic",
        "rejected",
        "errors",
        "alerts",
    }
    assert first["stored"] >= 7 and second["stored"] == 0
    assert last_json(nw(env, "stats", "--json")) == stats

    found = nw(env, "search", "--text", "Baek", "--json")
    records = [json.loads(line) for line in found.stdout.splitlines()]
    assert records and all("baek" in (r["title"] + r["text"]).lower() for r in records)
    shown = last_json(nw(env, "show", str(records[0]["id"]), "--json"))
    for key in (
        "id",
        "url",
        "canonical_url",
        "source",
        "title",
        "text",
        "published_at",
        "language",
        "dedup",
        "relevance",
        "on_topic",
    ):
        assert key in shown
    assert nw(env, "show", "no-such-id").returncode == 1


def test_two_worker_processes_and_two_replays_store_each_article_once(
    env: dict[str, str], tmp_path: Path
) -> None:
    backlog = synthetic_backlog(tmp_path / "backlog.jsonl", 40)
    workers = [
        subprocess.Popen([*NEWSWATCH, "worker", "--threads", "2"], env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    try:
        replays = [
            subprocess.Popen(
                [*NEWSWATCH, "replay", str(backlog), "--threads", "0", "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outs = [json.loads(p.communicate(timeout=240)[0].strip().splitlines()[-1]) for p in replays]
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(timeout=60)
    assert sum(o["stored"] for o in outs) == 40  # each article stored by exactly one of the two runs
    assert all(o["stored"] + o["unchanged"] == 40 for o in outs)
    stats = last_json(nw(env, "stats", "--json"))
    assert stats["records"] == 40 and stats["duplicates"] == 0


def test_a_replay_killed_halfway_and_started_again_loses_nothing(env: dict[str, str], tmp_path: Path) -> None:
    backlog = synthetic_backlog(tmp_path / "backlog.jsonl", 150)
    client = redis.Redis.from_url(env["NEWSWATCH_REDIS_URL"])
    proc = subprocess.Popen(
        [*NEWSWATCH, "replay", str(backlog), "--threads", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while client.zcard(f"{env['NEWSWATCH_KEY_PREFIX']}:idx:time") < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    halfway = client.zcard(f"{env['NEWSWATCH_KEY_PREFIX']}:idx:time")
    assert 20 <= halfway < 150
    again = last_json(nw(env, "replay", str(backlog), "--json"))
    assert again["stored"] + again["unchanged"] == 150 and again["errors"] == 0
    stats = last_json(nw(env, "stats", "--json"))
    assert stats["records"] == 150 and stats["duplicates"] == 0


@pytest.mark.skipif(os.environ.get("NEWSWATCH_SKIP_DEMO") == "1", reason="asked to skip the demo")
def test_demo_runs_offline_on_the_embedded_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    env["NEWSWATCH_DATA_DIR"] = str(tmp_path / "data")
    proc = nw(env, "demo")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for source in ("Eastern Wire", "Seoul Ledger", "Harbor Times"):
        assert source in out
    assert "detentions:detention" in out and "sanctions:sanctions" in out
    assert out.count("off-topic") >= 3
    # the Harbor Times' reprint of an Eastern Wire story is kept as a pointer to it, not a second record
    assert "near copy of" in out and "1 copies pointing to their original" in out
    assert "(8 on the subject)" in out  # the Korean and the Russian outlet's reports included
    assert out.rstrip().splitlines()[-1].startswith("Dashboard: http://127.0.0.1:8476/")
