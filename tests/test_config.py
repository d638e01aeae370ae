import shutil
from pathlib import Path

import pytest

from config.loader import load_config
from config.settings import load_settings
from pipeline.errors import ConfigError

CONFIG = Path(__file__).resolve().parent.parent / "config"


def copy_config(tmp_path: Path) -> Path:
    for name in ("feeds.toml", "topic.toml", "alerts.toml"):
        shutil.copy(CONFIG / name, tmp_path / name)
    return tmp_path


def test_the_shipped_configuration_loads() -> None:
    config = load_config(CONFIG)
    assert config.feeds.feeds and all(f.id for f in config.feeds.feeds)
    assert {"detention", "sanctions", "diplomatic_protest"} <= set(config.topic.events)
    assert {r.name for r in config.alerts.rules} >= {"detentions", "sanctions"}


def test_an_error_names_the_file_the_key_and_the_problem(tmp_path: Path) -> None:
    folder = copy_config(tmp_path)
    (folder / "alerts.toml").write_text(
        '[[rules]]\nname = "x"\nevents = ["detention"]\ndestinations = ["nowhere"]\n'
        '[destinations.log]\ntype = "log"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(folder)
    assert "alerts.toml" in str(info.value) and "nowhere" in str(info.value)

    (folder / "alerts.toml").write_text(
        '[[rules]]\nname = "x"\nmin_relevance = 3\ndestinations = ["log"]\n[destinations.log]\ntype = "log"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(folder)
    assert "alerts.toml: rules[0].min_relevance:" in str(info.value)


def test_an_event_type_naming_a_hedge_set_that_is_not_there_is_reported(tmp_path: Path) -> None:
    folder = copy_config(tmp_path)
    topic = (folder / "topic.toml").read_text(encoding="utf-8")
    (folder / "topic.toml").write_text(
        topic.replace('hedge_sets = ["judgement"]', 'hedge_sets = ["judgment"]', 1), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"topic\.toml.*hedge_sets names 'judgment'"):
        load_config(folder)


def test_bad_toml_and_bad_feed_urls_are_reported(tmp_path: Path) -> None:
    folder = copy_config(tmp_path)
    (folder / "feeds.toml").write_text('[[feeds]]\nname = "x"\nurl = "ftp://example.org/feed"\n')
    with pytest.raises(ConfigError, match=r"feeds.toml: feeds\[0\].url: must be an http"):
        load_config(folder)
    (folder / "feeds.toml").write_text('[[feeds]\nname = "x"\n')
    with pytest.raises(ConfigError, match=r"feeds\.toml: not valid TOML"):
        load_config(folder)


def test_a_bad_setting_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_KEY_PREFIX", "has spaces")
    with pytest.raises(ConfigError, match="NEWSWATCH_KEY_PREFIX"):
        load_settings()
    monkeypatch.setenv("NEWSWATCH_KEY_PREFIX", "ok")
    monkeypatch.setenv("NEWSWATCH_REDIS_URL", "http://nope")
    with pytest.raises(ConfigError, match="NEWSWATCH_REDIS_URL"):
        load_settings()


def test_cleaners_left_empty_is_the_default_and_a_word_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """docker compose passes NEWSWATCH_CLEANERS= when the user set nothing: that is the default."""
    monkeypatch.setenv("NEWSWATCH_CLEANERS", "")
    assert load_settings().cleaners is None
    monkeypatch.setenv("NEWSWATCH_CLEANERS", "3")
    assert load_settings().cleaners == 3
    monkeypatch.setenv("NEWSWATCH_CLEANERS", "many")
    with pytest.raises(ConfigError, match="NEWSWATCH_CLEANERS"):
        load_settings()
