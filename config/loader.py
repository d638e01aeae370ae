"""Read feeds.toml, topic.toml and alerts.toml from a folder into ``config.schema`` models.

Any mistake becomes a ``ConfigError`` whose message names the file, the key
(``rules[0].destinations``) and what was wrong, so a user can fix it at once.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from config.schema import AlertsFile, Config, FeedsFile, TopicConfig
from pipeline.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_file(path: Path, model: type[M]) -> M:
    """One TOML file into its model; raises ConfigError naming the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start}): save it as UTF-8", path=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read it: {exc.strerror or exc}", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _key(tuple(p for p in err["loc"] if not str(p).startswith("function-")))
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(msg, path=str(path), key=key) from None


def load_config(config_dir: Path) -> Config:
    return Config(
        feeds=load_file(config_dir / "feeds.toml", FeedsFile),
        topic=load_file(config_dir / "topic.toml", TopicConfig),
        alerts=load_file(config_dir / "alerts.toml", AlertsFile),
    )
