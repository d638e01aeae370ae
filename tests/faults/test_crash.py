"""Workers and Redis dying mid-backlog: nothing lost, nothing doubled, a dead worker's messages
finished elsewhere within 15 s (workers.broker: heartbeat and requeue settings)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from config.settings import Settings
from tests.conftest import ROOT, synthetic_text
from tests.faults.checks import every_input_accounted, no_alert_under_two_ids, no_record_doubled
from tests.faults.conftest import OwnRedis, cli
from workers.app import App
from workers.runner import workers

REDELIVERY_LIMIT_S = 15.0
TINY_PAGE = {"url": "https://crash.example/tiny/1", "html": "<html><body><p>Short.</p></body></html>"}
HEARTBEAT_TIMEOUT_S = 6.0  # workers.broker.HEARTBEAT_TIMEOUT_MS


def line(i: int) -> dict[str, str]:
    text = synthetic_text(i) + f"\nSeoul asked Moscow for consular access to its citizen {i}, held in Moscow."
    return {"url": f"https://crash.example/{i}", "text": text}


def slowish_page(i: int) -> dict[str, str]:
    """A page that takes its cleaner a second or two: long enough to be caught in flight."""
    body = "".join(f"<p>Paragraph {n} of report {i} is about the ferry timetable.</p>" for n in range(1_500))
    return {"url": f"https://crash.example/slow/{i}", "html": f"<html><body>{body}</body></html>"}


def start_worker(env: dict[str, str], threads: int = 2) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "worker", "--threads", str(threads)],
        env={**env, "NEWSWATCH_EXTRACT_TIMEOUT_S": "120"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def held_by_workers(nw: App) -> dict[str, set[str]]:
    """Message ids each live worker process has taken from the articles queue (its acks)."""
    ns = f"{nw.prefix}:dq"
    held = {}
    for key in nw.redis.scan_iter(match=f"{ns}:__acks__.*.articles"):
        members = nw.redis.smembers(key)
        if members:
            held[key] = set(members)
    return held


def enqueue(nw: App, run_id: str, payloads: list[dict[str, str]]) -> list[str]:
    from workers.replay import item_from_object, item_id, serialized

    ids = []
    for n, obj in enumerate(payloads):
        payload = item_from_object(obj, f"line {n}")
        raw, body = serialized(payload)
        iid = item_id(raw, body)
        nw.store.put_item(run_id, iid, raw, 3600, body)
        nw.send("process_item", item_id=iid, run_id=run_id)
        ids.append(iid)
    return ids


def test_sigkill_of_a_worker_its_messages_finish_elsewhere_within_15s(
    settings: Settings, env: dict[str, str], record_property: pytest.RecordProperty
) -> None:
    with App.open(settings) as nw:
        run_id = uuid.uuid4().hex[:12]
        victim = start_worker(env)
        try:
            # two slow pages occupy its two threads, two quick lines wait in its prefetch
            ids = enqueue(nw, run_id, [slowish_page(0), slowish_page(1), line(0), line(1)])
            deadline = time.monotonic() + 60
            while sum(len(v) for v in held_by_workers(nw).values()) < 4:
                assert time.monotonic() < deadline and victim.poll() is None, (
                    "the worker never took its messages"
                )
                time.sleep(0.05)
            # only the victim runs yet: these are its acks (the survivor's would hold its own messages)
            victim_keys = set(held_by_workers(nw))
            # From here it is dead to the others: frozen while the survivor starts (so it cannot finish
            # what it holds meanwhile, on a slow machine), killed after. Its last heartbeat is now, so
            # the time to take its messages back is counted from now.
            victim.send_signal(signal.SIGSTOP)
            dead_at = time.monotonic()
            time.sleep(0.2)  # a write it had sent as it froze lands now, before anything is counted
            with workers(nw, threads=2, queues={"articles"}):  # the survivor, already running
                warm_run = uuid.uuid4().hex[:12]  # its cleaner processes started (not part of the measure)
                enqueue(nw, warm_run, [TINY_PAGE, {**TINY_PAGE, "url": "https://crash.example/tiny/2"}])
                while nw.store.run_done(warm_run) < 2:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
                held = [
                    m for key, members in held_by_workers(nw).items() if key in victim_keys for m in members
                ]
                assert held and nw.store.run_done(run_id) < len(ids)  # it died holding messages
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                deadline = dead_at + 120
                taken_back_s = None
                while nw.store.run_done(run_id) < len(ids):
                    assert time.monotonic() < deadline, f"{nw.store.run_done(run_id)} of {len(ids)} finished"
                    if taken_back_s is None and not nw.redis.exists(*victim_keys):
                        taken_back_s = time.monotonic() - dead_at  # requeued by broker maintenance
                    time.sleep(0.02)
                elapsed = time.monotonic() - dead_at
        finally:
            if victim.poll() is None:
                victim.kill()
        outcomes = nw.store.run_outcomes(run_id)
        assert set(outcomes) == set(ids)  # every input ended as an outcome
        no_record_doubled(nw)
        no_alert_under_two_ids(nw)
    # taken back: the broker put them on the queue again; finished: the survivor also cleaned them
    # again (two of them are pages that take seconds), so that time depends on the machine's load
    assert taken_back_s is not None and taken_back_s < REDELIVERY_LIMIT_S
    record_property("dead_to_taken_back_s", round(taken_back_s or elapsed, 1))
    record_property("dead_to_finished_elsewhere_s", round(elapsed, 1))
    print(
        f"\nA worker frozen then killed holding {len(held)} messages: taken back after "
        f"{taken_back_s or elapsed:.1f} s, "
        f"all finished elsewhere after {elapsed:.1f} s"
    )
    assert elapsed < 2 * REDELIVERY_LIMIT_S


def test_sigterm_of_a_worker_gives_its_prefetched_messages_back_at_once(
    settings: Settings, env: dict[str, str], record_property: pytest.RecordProperty
) -> None:
    with App.open(settings) as nw:
        run_id = uuid.uuid4().hex[:12]
        victim = start_worker(env)
        try:
            ids = enqueue(nw, run_id, [slowish_page(2), slowish_page(3), line(20), line(21)])
            deadline = time.monotonic() + 60
            while sum(len(v) for v in held_by_workers(nw).values()) < 4:
                assert time.monotonic() < deadline and victim.poll() is None
                time.sleep(0.05)
            with workers(nw, threads=2, queues={"articles"}):
                victim.send_signal(signal.SIGTERM)
                signalled_at = time.monotonic()
                # a clean stop: the work in hand is finished, the prefetched messages are given back
                assert victim.wait(timeout=90) == 0
                exited_at = time.monotonic()
                while nw.store.run_done(run_id) < len(ids):
                    assert time.monotonic() < exited_at + 120
                    time.sleep(0.05)
                elapsed = time.monotonic() - exited_at
                total = time.monotonic() - signalled_at
        finally:
            if victim.poll() is None:
                victim.kill()
        assert set(nw.store.run_outcomes(run_id)) == set(ids)
        no_record_doubled(nw)
        no_alert_under_two_ids(nw)
    record_property("sigterm_to_all_finished_s", round(total, 1))
    record_property("sigterm_exit_to_all_finished_s", round(elapsed, 1))
    assert elapsed < HEARTBEAT_TIMEOUT_S  # given back at exit, not found later as a dead worker's


def test_kill_9_of_redis_mid_backlog_then_a_restart_loses_and_doubles_nothing(
    quiet_env: dict[str, str], tmp_path: Path, own_redis: OwnRedis
) -> None:
    backlog = tmp_path / "b.jsonl"
    backlog.write_text("".join(json.dumps(line(100 + i)) + "\n" for i in range(24)))
    env = {**quiet_env, "NEWSWATCH_REDIS_URL": own_redis.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "replay", str(backlog), "--json"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = own_redis.client()
    prefix = quiet_env["NEWSWATCH_KEY_PREFIX"]
    deadline = time.monotonic() + 120
    while client.zcard(f"{prefix}:idx:time") < 5:  # some stored, most not yet
        assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() else ""
        time.sleep(0.02)
    own_redis.kill()
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3, stderr[-3000:]
    assert "Traceback" not in stderr and "Redis unavailable" in stderr

    own_redis.start()  # the AOF brings back what was acknowledged
    done = cli(env, "replay", str(backlog), "--json", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.splitlines()[-1])
    settings = Settings(redis_url=own_redis.url, key_prefix=prefix, data_dir=tmp_path / "d")
    with App.open(settings) as nw:
        every_input_accounted(nw, summary["run_id"], summary, read=24)
        records = no_record_doubled(nw)
        no_alert_under_two_ids(nw)
    assert summary["errors"] == 0 and len(records) == 24
