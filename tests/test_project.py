"""The project's own promises: the README tells the truth, docker-compose matches the settings, the
modules import one another without circles."""

from __future__ import annotations

import ast
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


# --- import circles ----------------------------------------------------------------------------------

PACKAGES = ("pipeline", "workers")


def modules() -> dict[str, Path]:
    """Every module of PACKAGES by its dotted name (a package by its own name, for its __init__.py)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of ``known`` that module ``name`` imports anywhere: at module level, inside a
    function, or for type checking only. Importing ``a.b.c`` from outside package ``a.b`` runs
    ``a/b/__init__.py`` first, so that package counts as imported too."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from a import b`: module a.b when there is one, else a name defined in module a
            targets += [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    found = set()
    for target in targets:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
        parent = target.rpartition(".")[0]
        while parent:
            if parent in known and not f"{name}.".startswith(f"{parent}."):
                found.add(parent)
            parent = parent.rpartition(".")[0]
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The circles a depth-first walk of the graph runs into, each as a path back to its start."""
    found: list[list[str]] = []
    done: set[str] = set()
    path: list[str] = []

    def walk(node: str) -> None:
        path.append(node)
        for nxt in sorted(graph[node]):
            if nxt in path:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in done:
                walk(nxt)
        path.pop()
        done.add(node)

    for node in sorted(graph):
        if node not in done:
            walk(node)
    return found


def test_the_import_graph_counts_imports_in_functions_and_packages_run_on_the_way() -> None:
    graph = import_graph()
    assert {"workers.app", "workers.cli", "workers.cli.common", "pipeline.models"} <= set(graph)
    assert "workers.app" in graph["workers.actors"]
    assert "workers.demo" in graph["workers.cli"]  # imported inside the `demo` command
    assert {"workers.web.server", "workers.web"} <= graph["workers.demo"]
    assert "workers.cli" not in graph["workers.cli.feeds"]  # its own package: already being imported
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_modules_import_one_another_without_circles() -> None:
    found = [" -> ".join(cycle) for cycle in cycles(import_graph())]
    assert not found, "import circles:\n" + "\n".join(found)
