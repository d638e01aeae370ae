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

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
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
    cleaners: Annotated[int, Field(ge=1, le=64)] | None = Field(
        default=None,
        description="cleaning processes per worker process, shared by its threads "
        "(default: one per worker thread, at most one per CPU)",
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
    extract_timeout_s: Annotated[float, Field(gt=0, le=600)] = Field(
        default=20.0, description="time limit of cleaning one page, seconds; the work is stopped past it"
    )
    max_retries: Annotated[int, Field(ge=0, le=100)] = Field(
        default=5, description="retries of a transient failure before it is recorded as an error"
    )
    page_ttl_s: Annotated[int, Field(ge=60)] = Field(
        default=7 * 24 * 3600, description="how long a queued page blob waits in Redis for a worker, seconds"
    )

    alert_max_retries: Annotated[int, Field(ge=0, le=100)] = Field(
        default=16,
        description="retries of a failed alert delivery (5xx, 429, 3xx, timeout) before it is dead-lettered",
    )
    alert_min_backoff_s: Annotated[float, Field(ge=0.001, le=86400)] = Field(
        default=10.0, description="first wait before retrying an alert delivery, seconds (doubles; jitter)"
    )
    alert_max_backoff_s: Annotated[float, Field(ge=0.001, le=7 * 86400)] = Field(
        default=3 * 3600.0, description="longest wait between two attempts of an alert delivery, seconds"
    )
    alert_hold_s: Annotated[float, Field(ge=0, le=3600)] = Field(
        default=0.0,
        description="wait this long after an alert is raised before sending it, so that other outlets' "
        "reports of the same thing join its sources, seconds",
    )
    hook_secret: SecretStr | None = Field(
        default=None,
        description="whsec_ secret that signs webhook alerts (Standard Webhooks), unless a destination "
        "names its own secret_env; never logged",
    )

    api_token: SecretStr | None = Field(
        default=None,
        description="bearer token of `newswatch serve`: needed by every POST, and by every route when it "
        "listens beyond loopback (it will not start there without one); never logged",
    )

    @field_validator("cleaners", mode="before")
    @classmethod
    def _cleaners(cls, value: object) -> object:
        # an empty variable (docker compose passes NEWSWATCH_CLEANERS= when it is not set) is the default
        return None if isinstance(value, str) and not value.strip() else value

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

    @field_validator("api_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("use at least 16 characters (e.g. `openssl rand -hex 24`)")
        return value

    @field_validator("hook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        # the Standard Webhooks secret format: "whsec_" and the key in base64 (workers.webhooks)
        if not re.fullmatch(r"whsec_[A-Za-z0-9+/]{16,}={0,2}", value.get_secret_value()):
            raise ValueError("must be 'whsec_' followed by a base64 key of at least 12 bytes")
        return value

    @field_validator("alert_max_backoff_s")
    @classmethod
    def _backoff(cls, value: float, info: ValidationInfo) -> float:
        if value < info.data.get("alert_min_backoff_s", 0):
            raise ValueError("must not be below NEWSWATCH_ALERT_MIN_BACKOFF_S")
        return value


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with overrides; a bad value raises ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        raise ConfigError(err["msg"], path="environment", key=f"NEWSWATCH_{field.upper()}") from None
