"""Tiny runs of the benchmarks, so that a change that breaks one fails here instead of rotting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import realnews

# Three short reports in our own words, labelled as LABELS.md says; the third is a hard negative.
ARTICLES = {
    "https://one.example/2024/03/12/arrest": (
        "Russia detains South Korean pastor on spying charges\n"
        "Russia's security service has detained South Korean pastor Baek Won-soon in Vladivostok on "
        "spying charges, state media in Moscow said on Tuesday. Seoul's foreign ministry said it was "
        "giving him consular help."
    ),
    "https://two.example/news/summons": (
        "Seoul summons Russian envoy\n"
        "SEOUL, June 21 (Wire) -- South Korea summoned the Russian ambassador on Friday to protest "
        "Moscow's new defence treaty with Pyongyang, the foreign ministry in Seoul said."
    ),
    "https://three.example/sport/match": (
        "Football: Seoul side wins away\n"
        "FC Seoul won 2-1 away on Saturday, and its coach praised a young forward who once played a "
        "friendly in Russia."
    ),
}
LABELS = [
    {
        "url": "https://one.example/2024/03/12/arrest",
        "half": "dev",
        "language": "en",
        "on_topic": True,
        "events": ["detention", "consular_access"],
        "story": "pastor-arrest-2024-03",
        "pub_date": "2024-03-12",
        "case_steps": [{"person": "Baek Won-soon", "status": "detained"}],
        "copy_of": None,
    },
    {
        "url": "https://two.example/news/summons",
        "half": "test",
        "language": "en",
        "on_topic": True,
        "events": ["diplomatic_protest", "military_cooperation"],
        "story": "envoy-summoned-2024-06",
        "pub_date": None,
        "case_steps": [],
        "copy_of": None,
    },
    {
        "url": "https://three.example/sport/match",
        "half": "test",
        "language": "en",
        "on_topic": False,
        "events": ["none"],
        "story": "neg-football-2024-05",
        "pub_date": None,
        "case_steps": [],
        "copy_of": None,
    },
]


def write_cache(root: Path) -> Path:
    raw = root / "cache" / "raw"
    raw.mkdir(parents=True)
    raw.joinpath("own-01.txt").write_text(
        "".join(f"@@@ {url}\n{text}\n" for url, text in ARTICLES.items()), encoding="utf-8"
    )
    labels = root / "labels.json"
    labels.write_text(json.dumps(LABELS), encoding="utf-8")
    return labels


def test_realnews_measures_both_halves_on_a_real_pipeline(
    tmp_path: Path, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = write_cache(tmp_path)
    errors = tmp_path / "errors.md"
    code = realnews.main(
        [
            "--cache",
            str(tmp_path / "cache"),
            "--labels",
            str(labels),
            "--redis-url",
            redis_url,
            "--errors",
            str(errors),
            "--no-cost",
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["measured"] and result["articles"] == 3
    dev, test = result["figures"]["dev"], result["figures"]["test"]
    assert dev["on_topic"]["tp"] == 1 and dev["events"]["detention"]["tp"] == 1
    assert dev["case_steps"]["tp"] == 1 and dev["cases_never_detained"] == 0
    assert dev["dates"] == {"labelled": 1, "right": 1}  # read from the URL
    assert test["on_topic"] == {"precision": 1.0, "recall": 1.0, "tp": 1, "fp": 0, "fn": 0}
    assert test["events"]["diplomatic_protest"]["tp"] == 1
    # the detention raised its alert, and the same backlog replayed again raised nothing new
    assert result["alerts"] >= 1 and result["alerts_again"] == 0
    # each half's alerts are about what its articles report, each thing told once
    assert dev["alerts"]["raised"] >= 1 and dev["alerts"]["repeated"] == 0 and dev["alerts"]["off_label"] == 0
    assert errors.read_text(encoding="utf-8").startswith("# realnews errors")


def test_realnews_says_when_the_cache_is_absent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = realnews.main(["--cache", str(tmp_path / "nothing"), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {
        "measured": False,
        "cache": str(tmp_path / "nothing"),
    }


def test_adjusted_rand_index() -> None:
    assert realnews.adjusted_rand(["a", "a", "b", "b"], ["x", "x", "y", "y"]) == 1.0
    assert realnews.adjusted_rand(["a", "a", "b", "b"], ["x", "y", "x", "y"]) < 0
    assert realnews.half_of("some-story-2024-03") == realnews.half_of("some-story-2024-03")


def test_dedup_benchmark_grows_a_corpus_and_times_decisions(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import dedup

    assert dedup.main(["--sizes", "200,400", "--probes", "6", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [r["size"] for r in result["results"]] == [200, 400]
    assert all(r["median_ms"] > 0 and r["dedup_index_bytes_per_article"] > 0 for r in result["results"])
    assert result["time_ratio"] > 0


def test_dedup_calibration_separates_copies_from_stories_sharing_background(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import dedup

    dedup.calibrate(dedup.Corpus())
    rows = {
        cells[1].strip(): cells[-2].strip()
        for line in capsys.readouterr().out.splitlines()
        if len(cells := line.split("│")) > 2
    }
    for kind in ("reprint", "shortened reprint", "cut to a third", "new intro"):
        assert rows[kind] == "300/300"
    for kind in ("shared background", "unrelated"):
        assert rows[kind] == "0/300"


PAGE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    "<p>The harbour authority of {town} approved a new ferry timetable on Monday after a consultation "
    "that lasted most of the summer.</p><p>Boats will leave every twenty minutes at peak hours, and the "
    "last crossing of the evening moves from nine o'clock to eleven.</p><p>Traders in {town} said the "
    "change would bring more visitors to the old town.</p></article></body></html>"
)


def test_replay_benchmark_compares_the_pipeline_with_bare_trafilatura(
    redis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import replay

    for town in ("Mokpo", "Yeosu", "Tongyeong"):
        (tmp_path / f"{town}.html").write_text(PAGE.format(title=f"New ferries for {town}", town=town))
    args = [str(tmp_path), "--threads", "1", "--repeat", "1", "--redis-url", redis_url, "--json"]
    assert replay.main(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["per_core_ratios"]["1"] > 0
    (run,) = result["runs"]
    assert run["summary"]["read"] == 3 and run["summary"]["errors"] == 0
    assert run["bare_per_s"] > 0 and run["pipeline_per_s"] > 0 and run["paired_median_ratio"] > 0


def test_poll_benchmark_polls_every_feed_and_most_answer_304(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import poll

    monkeypatch.setenv("NEWSWATCH_REDIS_URL", redis_url)
    result = poll.main(["--feeds", "20", "--changed", "0.1", "--threads", "2"])
    assert result["polled"] == 20
    assert result["share_304"] >= 0.5  # the warm-up round stored every feed's validators
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == result


def test_events_benchmark_scores_every_type_on_its_labelled_set(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import events

    code = events.main(["--json", "--no-cost"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == (0 if result["pass"] else 1)
    for name in (*events.GATED, "on_topic"):
        assert 0 <= result["per_type"][name]["precision"] <= 1
        assert 0 <= result["per_type"][name]["recall"] <= 1


def test_dates_benchmark_reads_every_labelled_date_and_says_when_the_texts_are_absent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import dates

    assert dates.main(["--half", "all", "--cache", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    read, of = (int(n) for n in out.split("published: ", 1)[1].split(" read", 1)[0].split(" of "))
    assert read == of > 200  # every date the labels give, at its precision
    assert f"url+text: not measured (no text cache at {tmp_path})" in out
