"""The fault suite's table: one row per case, whether it passed, how long it took, what it measured.

    .venv/bin/python scripts/faults.py [more pytest arguments]

Runs ``tests/faults`` (the same tests ``scripts/check`` runs) and prints a Markdown table; exits
with pytest's status.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "faults.xml"
        args = [
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/faults",
            f"--junitxml={report}",
            "-o",
            "junit_family=legacy",
        ]
        status = subprocess.call([sys.executable, *args, *sys.argv[1:]], cwd=ROOT)
        if not report.exists():
            return status
        cases = ET.parse(report).getroot().iter("testcase")
        rows = []
        total = 0.0
        for case in cases:
            failed = case.find("failure") is not None or case.find("error") is not None
            skipped = case.find("skipped") is not None
            seconds = float(case.get("time", 0))
            total += seconds
            measured = ", ".join(f"{p.get('name')} = {p.get('value')}" for p in case.iter("property"))
            module = (case.get("classname") or "").rsplit(".", 1)[-1]
            result = "FAIL" if failed else "skip" if skipped else "pass"
            rows.append((f"{module}::{case.get('name')}", result, f"{seconds:.1f}", measured))
    print("\n| case | result | time (s) | measured |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n{len(rows)} cases, {sum(r[1] == 'pass' for r in rows)} passed, {total:.0f} s in all")
    return status


if __name__ == "__main__":
    sys.exit(main())
