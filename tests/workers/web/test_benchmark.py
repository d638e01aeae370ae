"""benchmarks/api.py runs end to end (tiny sizes: the real figures come from running it by hand)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_api_benchmark_smoke() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "api.py"),
            "--sizes",
            "120,240",
            "--requests",
            "3",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(figures) == {"120", "240"}
    for size in figures.values():
        assert {"search text", "stories", "a case", "home"} <= set(size)
        for route in size.values():
            assert 0 < route["p50_ms"] <= route["p95_ms"]
