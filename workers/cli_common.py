"""What every `newswatch` command shares: settings and logging, output consoles, JSON lines."""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Any

from rich.console import Console

from config.settings import Settings, load_settings
from workers import logs

out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)


def command_settings(**overrides: Any) -> Settings:
    settings = load_settings(**overrides)
    logs.configure(settings.log_level, json_lines=settings.log_json)
    return settings


def wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
