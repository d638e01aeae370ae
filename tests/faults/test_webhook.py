"""Alert delivery under a misbehaving receiver: 500, then a 302, then 200; a private-address
target refused; a replay with its own workers sends every alert it raised before it exits."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from pydantic import SecretStr

from config.settings import Settings
from tests.conftest import ROOT, TESTDATA, synthetic_text
from tests.faults.checks import every_input_accounted, no_alert_under_two_ids, no_record_doubled
from tests.faults.conftest import cli
from tests.workers.test_notify import SECRET, Hit, Receiver, receiver
from workers import alerting
from workers.app import App
from workers.runner import drain, workers


def config_dir(tmp_path: Path, url: str) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    for name in ("feeds.toml", "topic.toml"):
        shutil.copy(ROOT / "config" / name, folder / name)
    (folder / "alerts.toml").write_text(
        '[[rules]]\nname = "everything"\ndestinations = ["hook", "inside"]\n\n'
        f'[destinations.hook]\ntype = "webhook"\nurl = "{url}"\nallow_private_addresses = true\n\n'
        '[destinations.inside]\ntype = "webhook"\nurl = "http://10.1.2.3/hook"\n'
    )
    return folder


def test_500_then_302_then_200_and_a_private_target(
    settings: Settings, env: dict[str, str], tmp_path: Path
) -> None:
    attempts: dict[str, int] = {}

    def respond(n: int, hit: Hit) -> tuple[int, dict[str, str]]:
        key = json.loads(hit.body)["data"]["id"]
        attempts[key] = attempts.get(key, 0) + 1
        if attempts[key] == 1:
            return 500, {}
        if attempts[key] == 2:
            return 302, {"location": "http://127.0.0.1:9/elsewhere"}
        return 200, {}

    with receiver(Receiver(respond=respond)) as rcv:
        folder = config_dir(tmp_path, rcv.url)
        run_env = {
            **env,
            "NEWSWATCH_CONFIG_DIR": str(folder),
            "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": "false",
            "NEWSWATCH_HOOK_SECRET": SECRET,
            "NEWSWATCH_ALERT_MIN_BACKOFF_S": "0.01",
            "NEWSWATCH_ALERT_MAX_BACKOFF_S": "0.5",
            "NEWSWATCH_LOG_LEVEL": "ERROR",
        }
        proc = cli(run_env, "replay", str(TESTDATA / "backlog.jsonl"), "--alerts", "--json")
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr
        summary = json.loads(proc.stdout.splitlines()[-1])
        ours = settings.model_copy(
            update={
                "config_dir": folder,
                "allow_private_addresses": False,
                "hook_secret": SecretStr(SECRET),
                "alert_min_backoff_s": 0.01,
                "alert_max_backoff_s": 0.5,
            }
        )
        with App.open(ours) as nw:
            keys = nw.redis.zrange(nw.store.k("alerts", "index"), 0, -1)
            assert keys and summary["alerts"] == len(keys)
            # the replay did not exit with deliveries never tried: each was sent at least once
            for key in keys:
                assert all(s["state"] != "pending" for s in alerting.delivery(nw, key).values())
            assert {k for k in attempts} == set(keys)
            with workers(nw, threads=2, queues={"alerts"}):  # the retries, done by any worker
                deadline = time.monotonic() + 60
                while any(alerting.delivery(nw, k)["hook"]["state"] != "delivered" for k in keys):
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
                drain(nw, timeout_s=60)
            every_input_accounted(nw, summary["run_id"], summary, read=12)
            no_record_doubled(nw)
            no_alert_under_two_ids(nw, rcv)
            inside = [alerting.delivery(nw, k)["inside"] for k in keys]
    assert len(rcv.accepted()) == len(keys)  # each alert once, after a 500 and a 302
    assert all(attempts[k] == 3 for k in keys)
    assert all(h.headers.get("host", "").startswith("127.0.0.1") for h in rcv.hits)
    assert all(s["state"] == "dead" and s["error"].startswith("blocked") for s in inside), inside


SURNAMES = ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim")
GIVEN = (
    "Min-jun",
    "Seo-yeon",
    "Ji-ho",
    "Ha-eun",
    "Do-yun",
    "Su-bin",
    "Ye-jun",
    "Ji-woo",
    "Hyun-woo",
    "Seung-min",
)


def detention(i: int) -> dict[str, str]:
    """A distinct report of the detention of a distinct person: one alert each, mostly."""
    name = f"{SURNAMES[i % 10]} {GIVEN[(i * 3) % 10]}"
    text = synthetic_text(i) + (
        f" Russia's Federal Security Service detained South Korean citizen {name} on suspicion of espionage, "
        f"the foreign ministry in Seoul said. The South Korean embassy asked for consular access to {name}."
    )
    return {
        "url": f"https://wire.example/detained/{i}",
        "published": f"2024-0{1 + i % 9}-1{i % 9}",
        "text": text,
    }


def test_a_replay_with_its_own_workers_sends_every_alert_it_raised_before_exiting(
    env: dict[str, str], tmp_path: Path
) -> None:
    def slow(n: int, hit: Hit) -> tuple[int, dict[str, str]]:
        time.sleep(0.5)  # a receiver that takes its time: deliveries queue up behind each other
        return 200, {}

    with receiver(Receiver(respond=slow)) as rcv:
        folder = tmp_path / "config"
        folder.mkdir()
        for name in ("feeds.toml", "topic.toml"):
            shutil.copy(ROOT / "config" / name, folder / name)
        (folder / "alerts.toml").write_text(
            '[[rules]]\nname = "everything"\ndestinations = ["hook"]\n\n'
            f'[destinations.hook]\ntype = "webhook"\nurl = "{rcv.url}"\nallow_private_addresses = true\n'
        )
        run_env = {
            **env,
            "NEWSWATCH_CONFIG_DIR": str(folder),
            "NEWSWATCH_HOOK_SECRET": SECRET,
            "NEWSWATCH_LOG_LEVEL": "ERROR",
        }
        backlog = tmp_path / "detentions.jsonl"
        backlog.write_text("".join(json.dumps(detention(i)) + "\n" for i in range(30)))
        proc = cli(run_env, "replay", str(backlog), "--alerts", "--json", "--threads", "2")
        assert proc.returncode == 0, proc.stderr[-3000:]
        raised = json.loads(proc.stdout.splitlines()[-1])["alerts"]
    delivered = {json.loads(h.body)["data"]["id"] for h in rcv.accepted()}
    assert raised >= 8 and len(delivered) == raised == len(rcv.hits)  # every one sent, none twice
