"""The command line's one error boundary: known failures are one line and an exit code.

0 all done, 1 some items failed (counted), 2 usage or configuration error, 3 Redis unavailable.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import ROOT, synthetic_text
from tests.faults.conftest import OwnRedis, cli, one_line_error


def test_replay_of_a_missing_file_is_a_usage_error(quiet_env: dict[str, str], tmp_path: Path) -> None:
    proc = cli(quiet_env, "replay", str(tmp_path / "nowhere.jsonl"))
    assert proc.returncode == 2
    assert "nowhere.jsonl: no such file or folder" in one_line_error(proc)


def test_redis_unreachable_in_replay_and_ping_is_exit_3(quiet_env: dict[str, str], tmp_path: Path) -> None:
    backlog = tmp_path / "b.jsonl"
    backlog.write_text(json.dumps({"url": "https://a.example/1", "text": synthetic_text(1)}) + "\n")
    env = {**quiet_env, "NEWSWATCH_REDIS_URL": "redis://127.0.0.1:1/0"}
    for args in (["ping"], ["replay", str(backlog)]):
        proc = cli(env, *args, timeout=60)
        assert proc.returncode == 3, (args, proc.stderr[-2000:])
        assert "Redis unavailable" in one_line_error(proc)


def test_feeds_toml_that_is_not_utf8_is_a_configuration_error(
    quiet_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (config / "feeds.toml").write_bytes(
        '[[feeds]]\nurl = "https://a.example/rss"\nname = "Caf\xe9"\n'.encode("latin-1")
    )
    proc = cli({**quiet_env, "NEWSWATCH_CONFIG_DIR": str(config)}, "ping")
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "feeds.toml" in line and "UTF-8" in line


def test_replay_where_every_line_fails_exits_1_with_the_count(
    quiet_env: dict[str, str], tmp_path: Path
) -> None:
    backlog = tmp_path / "bad.jsonl"
    backlog.write_text('{"url": 1}\nnot json\n{"url": "https://a.example/x"}\n')
    proc = cli(quiet_env, "replay", str(backlog), "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout.splitlines()[-1])["errors"] == 3
    assert "3 of 3 items failed" in proc.stderr and "Traceback" not in proc.stderr


def test_redis_out_of_memory_while_enqueuing_is_exit_3_and_a_second_replay_finishes(
    quiet_env: dict[str, str], tmp_path: Path, own_redis: OwnRedis
) -> None:
    backlog = tmp_path / "b.jsonl"
    with backlog.open("w") as fh:
        for i in range(120):
            text = (
                synthetic_text(i, sentences=40)
                + "\nSeoul asked Moscow for consular access to its detained citizen."
            )
            fh.write(json.dumps({"url": f"https://oom.example/{i}", "text": text}) + "\n")
    client = own_redis.client()
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", int(client.info("memory")["used_memory"]) + 500_000)
    env = {**quiet_env, "NEWSWATCH_REDIS_URL": own_redis.url}
    proc = cli(env, "replay", str(backlog), "--threads", "0", "--json", timeout=120)
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "out of memory" in one_line_error(proc)

    client.config_set("maxmemory", 0)
    done = cli(env, "replay", str(backlog), "--json", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["read"] == 120 and summary["errors"] == 0
    # items the first run queued before Redis filled up were finished by this run's workers too
    # (their messages were in the queue): this run finds them unchanged
    kept = ("stored", "off_topic", "near_duplicates", "duplicates", "unchanged")
    assert sum(summary[k] for k in kept) == 120
    prefix = quiet_env["NEWSWATCH_KEY_PREFIX"]
    records = [k for k in client.scan_iter(match=f"{prefix}:article:*", count=1000)]
    assert len(records) == 120  # every line is a record (copies as pointers), none twice
    assert client.zcard(f"{prefix}:idx:time") == 120  # the lines are distinct articles: all primary records
