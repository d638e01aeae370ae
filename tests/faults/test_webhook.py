"""Alert delivery under a misbehaving receiver: 500, then a 302, then 200; a private-address
target refused; a replay with its own workers sends every alert it raised before it exits."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from pydantic import SecretStr

from config.settings import Settings
from tests.conftest import ROOT, TESTDATA
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
