"""`newswatch demo --serve`: the demo's dashboard stays up, in English, Korean and Russian, until Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

NEWSWATCH = str(Path(sys.executable).parent / "newswatch")


@pytest.mark.skipif(os.environ.get("NEWSWATCH_SKIP_DEMO") == "1", reason="asked to skip the demo")
def test_demo_serve_keeps_the_dashboard_up(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    env["NEWSWATCH_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [NEWSWATCH, "demo", "--serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 300
        assert proc.stdout is not None
        for line in proc.stdout:
            found = re.search(r"Dashboard at (http://127\.0\.0\.1:\d+)/", line)
            if found:
                url = found.group(1)
                break
            assert time.monotonic() < deadline
        assert url, proc.stderr.read()[-2000:] if proc.stderr else ""
        with urlopen(url + "/") as resp:
            home = resp.read().decode()
        assert "외교부, 모스크바 구금 백원순 선교사" in home and "МИД России вызвал посла" in home
        with urlopen(url + "/api/v1/stats") as resp:
            assert b'"records":12' in resp.read()
        time.sleep(1)
        assert proc.poll() is None  # still serving
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
