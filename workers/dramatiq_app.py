"""Entry point for dramatiq's own command line: ``dramatiq workers.dramatiq_app``.

Importing this module opens a newswatch app from the environment (``NEWSWATCH_*``; a
``NEWSWATCH_REDIS_URL`` is required, since several dramatiq processes must share one Redis),
makes its broker dramatiq's global broker and declares the actors on it. The app is closed when
the process exits.
"""

from __future__ import annotations

import atexit
import contextlib

import dramatiq

from config.settings import load_settings
from pipeline.errors import ConfigError
from workers import actors, logs
from workers.app import App

settings = load_settings()
if settings.redis_url is None:
    raise ConfigError("dramatiq's CLI runs several processes: set a shared Redis", key="NEWSWATCH_REDIS_URL")
logs.configure(settings.log_level, json_lines=settings.log_json)
_stack = contextlib.ExitStack()
app = _stack.enter_context(App.open(settings))
atexit.register(_stack.close)
broker = app.broker
actors.declare(broker)
dramatiq.set_broker(broker)
