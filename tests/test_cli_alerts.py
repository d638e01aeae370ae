"""`newswatch alerts list|retry|test` and `newswatch serve`, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import SecretStr
from typer.testing import CliRunner

from config.settings import Settings
from tests.workers.test_notify import SECRET, Receiver, _config_dir, receiver, record
from workers import alerting
from workers.alerting import raise_alerts
from workers.app import App
from workers.cli import alerts as cli_alerts
from workers.runner import drain, workers


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(lambda: None)  # a second command, so typer keeps sub-command names
    cli_alerts.register(app)
    return app


@pytest.fixture
def setup(settings: Settings, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    answer = {"status": 500}
    with receiver(Receiver(respond=lambda n, hit: (answer["status"], {}))) as rcv:
        config_dir = _config_dir(tmp_path, rcv.url)
        for key, value in {
            **{k: v for k, v in env.items() if k.startswith("NEWSWATCH_")},
            "NEWSWATCH_CONFIG_DIR": str(config_dir),
            "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
            "NEWSWATCH_HOOK_SECRET": SECRET,
        }.items():
            monkeypatch.setenv(key, value)
        ours = settings.model_copy(
            update={"config_dir": config_dir, "hook_secret": SecretStr(SECRET), "alert_max_retries": 0}
        )
        yield ours, rcv, answer


def test_list_shows_dead_letters_and_retry_resends(setup: Any) -> None:
    settings, rcv, answer = setup
    with App.open(settings) as nw, workers(nw, threads=1, queues={"alerts"}):
        (alert,) = raise_alerts(nw, record(1))
        drain(nw)
    runner = CliRunner()
    result = runner.invoke(cli(), ["alerts", "list", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.output.splitlines()]
    assert row["id"] == alert.key and row["status"] == "detained" and row["case_id"]
    assert row["delivery"]["hook"]["state"] == "dead" and "http_500" in row["delivery"]["hook"]["error"]
    table = runner.invoke(cli(), ["alerts", "list", "--dead"])
    assert table.exit_code == 0 and "hook: dead" in table.output

    answer["status"] = 200
    result = runner.invoke(cli(), ["alerts", "retry"])
    assert result.exit_code == 0 and "1 deliveries queued again" in result.output
    with App.open(settings) as nw, workers(nw, threads=1, queues={"alerts"}):
        drain(nw)
        assert alerting.delivery(nw, alert.key)["hook"]["state"] == "delivered"
        assert alerting.dead_letters(nw) == []
    assert [h.webhook_id for h in rcv.hits] == [f"msg_{alert.key}"] * 2  # the resend keeps its id
    assert SECRET not in result.output


def test_test_sends_a_signed_sample_and_says_how_it_went(setup: Any) -> None:
    _settings, rcv, answer = setup
    runner = CliRunner()
    failed = runner.invoke(cli(), ["alerts", "test", "detentions"])
    assert failed.exit_code == 1 and "hook: http_500" in failed.output
    answer["status"] = 204
    ok = runner.invoke(cli(), ["alerts", "test", "detentions"])
    assert ok.exit_code == 0 and "hook: ok" in ok.output
    assert all(h.verified for h in rcv.hits) and len(rcv.hits) == 2
    assert json.loads(rcv.hits[-1].body)["data"]["title"] == "newswatch test alert"
    assert runner.invoke(cli(), ["alerts", "test", "nope"]).exit_code == 2
