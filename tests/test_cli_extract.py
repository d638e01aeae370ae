"""`newswatch extract`: what a user sees of a page, and why it looks that way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "pipeline" / "testdata"

# `extract` on a Typer app of its own, in its own process (as `newswatch extract` runs): configuring
# logs for a command must not touch this test process.
PROGRAM = """
import typer
from workers.cli.extract import register
app = typer.Typer()
register(app)
@app.command()
def other() -> None:
    pass
app()
"""


class Result:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.exit_code, self.stdout, self.output = proc.returncode, proc.stdout, proc.stdout + proc.stderr


def run(env: dict[str, str], *args: str) -> Result:
    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Result(proc)


def test_json_lines_for_several_pages_with_what_was_removed(env: dict[str, str]) -> None:
    pages = [GOLDEN / "ledger_consul.html", GOLDEN / "harbor_sanctions.html"]
    result = run(env, "extract", *map(str, pages), "--json", "--explain")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [r["source_path"] for r in rows] == [str(p) for p in pages]
    assert all(r["text"] and r["title"] and r["published_at"] for r in rows)
    assert all(r["published_precision"] == "day" and r["warnings"] == [] for r in rows)
    assert "Khabarovsk" in rows[0]["text"] and "MOST POPULAR" not in rows[0]["text"]
    reasons = {r["reason"] for r in rows[1]["removed"]}
    assert {"byline", "headline repeated", "date/update line"} <= reasons


def test_plain_output_and_explain(env: dict[str, str]) -> None:
    result = run(env, "extract", str(GOLDEN / "harbor_sanctions.html"), "--explain")
    assert result.exit_code == 0, result.output
    assert "three oil tankers" in result.stdout
    assert "Seoul adds three tankers to its sanctions list" in result.stdout
    assert "removed" in result.stdout and "byline" in result.stdout


def test_a_missing_file_is_reported_and_fails(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "extract", str(tmp_path / "nope.html"), "--json")
    assert result.exit_code == 1
    assert "rejected" in json.loads(result.stdout.strip().splitlines()[-1])
