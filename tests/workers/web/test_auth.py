"""Safe by default: loopback reads are open, POSTs need the token, other binds need it everywhere."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from config.settings import Settings
from tests.workers.web.conftest import TOKEN
from workers.app import App
from workers.web.auth import UnsafeBind
from workers.web.server import create_app, serving

NEWSWATCH = str(Path(sys.executable).parent / "newswatch")


@pytest.fixture
def open_app(settings: Settings) -> Iterator[App]:
    with App.open(settings.model_copy(update={"api_token": None})) as nw:
        yield nw


def test_beyond_loopback_without_token_refuses_to_start(open_app: App, env: dict[str, str]) -> None:
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        with pytest.raises(UnsafeBind, match="NEWSWATCH_API_TOKEN"):
            create_app(open_app, host=host)
    env = {k: v for k, v in env.items() if k != "NEWSWATCH_API_TOKEN"}
    proc = subprocess.run(
        [NEWSWATCH, "serve", "--host", "0.0.0.0", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0 without NEWSWATCH_API_TOKEN" in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr


def test_a_short_token_is_a_configuration_error(env: dict[str, str]) -> None:
    proc = subprocess.run(
        [NEWSWATCH, "serve"],
        env={**env, "NEWSWATCH_API_TOKEN": "short"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "NEWSWATCH_API_TOKEN" in proc.stderr and "Traceback" not in proc.stderr


def test_loopback_reads_are_open_and_posts_need_the_token(settings: Settings, open_app: App) -> None:
    with (
        App.open(settings.model_copy(update={"api_token": SecretStr(TOKEN)})) as nw,
        TestClient(create_app(nw)) as client,
    ):
        assert client.get("/api/v1/stats").status_code == 200
        assert client.post("/api/v1/alerts/retry", json={}).status_code == 401
        wrong = client.post(
            "/api/v1/alerts/retry", json={}, headers={"authorization": "Bearer wrong-token-here"}
        )
        assert wrong.status_code == 401
        ok = client.post("/api/v1/alerts/retry", json={}, headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
    with TestClient(create_app(open_app)) as client:  # no token set at all: no POST, whoever asks
        assert client.get("/api/v1/stats").status_code == 200
        resp = client.post("/api/v1/alerts/retry", json={}, headers={"authorization": f"Bearer {TOKEN}"})
        assert resp.status_code == 403 and "NEWSWATCH_API_TOKEN" in resp.json()["detail"]


def test_beyond_loopback_every_route_needs_the_token(settings: Settings) -> None:
    with App.open(settings.model_copy(update={"api_token": SecretStr(TOKEN)})) as nw:
        client = TestClient(create_app(nw, host="0.0.0.0"))
        refused = client.get("/api/v1/records")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/v1/openapi.json").status_code == 401
        wrong = client.get("/api/v1/records", headers={"authorization": "Bearer not-the-token-at-all"})
        assert wrong.status_code == 401
        assert client.get("/api/v1/records", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert client.get("/healthz").status_code == 200  # says "ok" and nothing else
        basic = base64.b64encode(f"reader:{TOKEN}".encode()).decode()
        assert client.get("/api/v1/stats", headers={"authorization": f"Basic {basic}"}).status_code == 200
        # a browser sends Basic credentials on its own, so a POST never takes them
        resp = client.post("/api/v1/alerts/retry", json={}, headers={"authorization": f"Basic {basic}"})
        assert resp.status_code == 401
        ok = client.post("/api/v1/alerts/retry", json={}, headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json() == {"queued": 0}


def test_a_real_server_refuses_a_request_without_the_token(settings: Settings) -> None:
    with (
        App.open(settings.model_copy(update={"api_token": SecretStr(TOKEN)})) as nw,
        serving(nw, "127.0.0.1") as base,
    ):
        with urlopen(base + "/api/v1/stats") as resp:
            assert resp.status == 200
        with pytest.raises(HTTPError) as refused:
            urlopen(Request(base + "/api/v1/alerts/retry", data=b"{}", method="POST"))
        assert refused.value.code == 401
        req = Request(
            base + "/api/v1/alerts/retry",
            data=b"{}",
            method="POST",
            headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/json"},
        )
        with urlopen(req) as resp:
            assert resp.status == 200
