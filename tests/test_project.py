"""The project's own promises: the README tells the truth, docker-compose matches the settings."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_readme_lists_every_setting_and_no_other() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"^\| `NEWSWATCH_([A-Z_]+)` \|", readme, flags=re.M))
    assert listed == {name.upper() for name in Settings.model_fields}


def test_ci_runs_the_test_command_of_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.+?)\n```", readme, flags=re.S)
    assert len(blocks) >= 2
    test_command = blocks[1].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_docker_compose_is_valid_and_uses_real_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"redis", "poller", "worker"} <= set(services)
    redis_cmd = " ".join(services["redis"]["command"])
    for option in ("--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction"):
        assert option in redis_cmd
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])
    known = {f"NEWSWATCH_{name.upper()}" for name in Settings.model_fields}
    for name in ("poller", "worker"):
        service = services[name]
        assert set(service["environment"]) <= known
        assert service["environment"]["NEWSWATCH_REDIS_URL"].startswith("redis://redis:")
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["healthcheck"]["test"][:2] == ["CMD", "newswatch"]
    assert services["poller"]["command"] == ["poll"] and services["worker"]["command"] == ["worker"]
    assert "healthcheck" in services["redis"]


def test_tests_cannot_reach_off_this_machine() -> None:
    import socket

    import pytest

    with pytest.raises(ConnectionRefusedError), socket.socket() as sock:
        sock.connect(("10.1.2.3", 80))
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("example.org", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)
