"""The one settings object: every knob has a default, a unit and a validator.

Read from the environment with the prefix ``NEWSWATCH_`` (and from a ``.env``
file in the working directory, if there is one). The README's settings table
lists them all; ``tests/test_settings.py`` checks that it does.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import ConfigError

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "newswatch"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWATCH_", env_file=".env", extra="ignore", frozen=True)

    redis_url: str | None = Field(
        default=None,
        description="Redis to use, e.g. redis://localhost:6379/0; unset: start an embedded Redis in DATA_DIR",
    )
    key_prefix: str = Field(default="nw", description="prefix of every Redis key (and dramatiq namespace)")
    config_dir: Path = Field(
        default=DEFAULT_CONFIG_DIR, description="folder with feeds.toml, topic.toml, alerts.toml"
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir, description="embedded Redis data (AOF) and local state"
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_json: bool = Field(default=False, description="log JSON lines instead of console lines")
    worker_threads: Annotated[int, Field(ge=1, le=64)] = Field(
        default=4, description="dramatiq worker threads per process"
    )
    http_timeout_s: Annotated[float, Field(gt=0, le=300)] = Field(
        default=20.0, description="total deadline of one HTTP request, seconds"
    )
    http_max_bytes: Annotated[int, Field(ge=1024)] = Field(
        default=15 * 1024 * 1024, description="largest response body read, bytes (after decompression)"
    )
    user_agent: str = Field(
        default="newswatch/0.1 (+https://github.com/newswatch/newswatch)",
        description="User-Agent sent with every request",
    )
    allow_private_addresses: bool = Field(
        default=False, description="allow fetching loopback and private addresses (local testing, the demo)"
    )
    max_retries: Annotated[int, Field(ge=0, le=100)] = Field(
        default=5, description="retries of a transient failure before a message is dead-lettered"
    )
    page_ttl_s: Annotated[int, Field(ge=60)] = Field(
        default=7 * 24 * 3600, description="how long a queued page blob waits in Redis for a worker, seconds"
    )

    @field_validator("key_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", value):
            raise ValueError("use 1-64 letters, digits, '_', '.' or '-'")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("redis_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.match(r"^(redis|rediss|unix)://", value):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with overrides; a bad value raises ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        raise ConfigError(err["msg"], path="environment", key=f"NEWSWATCH_{field.upper()}") from None
