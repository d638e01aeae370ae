"""benchmarks/extraction.py: both dataset layouts, one table each, the CI gate, absent datasets."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from benchmarks import extraction

PARAGRAPHS = [
    "The river council agreed on Thursday to rebuild the old stone footbridge before the spring floods, "
    "after engineers found cracks in two of its three arches during the winter inspection.",
    "Work will start next month and close the crossing for about ten weeks; a ferry will carry walkers "
    "and cyclists between the two banks while the arches are taken down and rebuilt.",
    "Residents who use the bridge every day said they were relieved, although several shop owners on the "
    "east bank asked the council to keep the ferry running late on market days.",
]


def page_html(title: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<html><head><title>{title} | Valley Post</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/local">Local</a></nav>'
        f"<article><h1>{title}</h1>{body}"
        '<div class="newsletter"><p>Sign up for the Valley Post morning newsletter</p></div></article>'
        "<footer>Valley Post, all rights reserved</footer></body></html>"
    )


def truth_layout(root: Path) -> Path:
    (root / "html").mkdir(parents=True)
    truth = {}
    for n in range(2):
        (root / "html" / f"p{n}.html.gz").write_bytes(
            gzip.compress(page_html(f"Council will rebuild footbridge {n}").encode())
        )
        truth[f"p{n}"] = {"articleBody": "\n".join(PARAGRAPHS), "url": f"https://valley.example/{n}"}
    (root / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return root


def pages_layout(root: Path) -> Path:
    for n in range(2):
        folder = root / "pages" / f"case-{n}"
        folder.mkdir(parents=True)
        (folder / "source.html.gz").write_bytes(
            gzip.compress(page_html(f"Council will rebuild bridge {n}").encode())
        )
        expected = "<div>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div>"
        (folder / "expected.html.gz").write_bytes(gzip.compress(expected.encode()))
    return root


def test_both_layouts_are_measured_one_table_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = truth_layout(tmp_path / "news")
    second = pages_layout(tmp_path / "readable")
    report = tmp_path / "out"
    assert extraction.main([str(first), str(second), "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert out.count("| F1 ") == 2 and out.count("docs/s (one core)") == 2
    assert "2 pages: ours better on" in out
    assert out.count("half (hash of page id)") == 2
    for name in ("news", "readable"):
        numbers = json.loads((report / name / "results.json").read_text(encoding="utf-8"))
        assert numbers["pages"] == 2
        # clean pages written for the test: ours keeps the three paragraphs and nothing else
        assert numbers["ours"]["f1"] > 0.99
        assert numbers["bare"]["docs_per_s"] > 0 and numbers["ours"]["docs_per_s"] > 0
        assert (report / name / "f1_diff.png").read_bytes().startswith(b"\x89PNG")


def test_the_gold_of_the_pages_layout_is_the_expected_html_text(tmp_path: Path) -> None:
    pages = extraction.load_pages(pages_layout(tmp_path / "readable"))
    assert [p[0] for p in pages] == ["case-0", "case-1"]
    assert "<p>" not in pages[0][3] and PARAGRAPHS[1] in pages[0][3]


def test_check_fails_a_dataset_below_its_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = truth_layout(tmp_path / "news")
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"news": {"f1": 1.5}}), encoding="utf-8")
    args = [str(first), "--report", str(tmp_path / "out"), "--check", "--baseline", str(baseline)]
    assert extraction.main(args) == 1
    assert "FAIL news" in capsys.readouterr().out
    baseline.write_text(json.dumps({"news": {"f1": 0.9}}), encoding="utf-8")
    assert extraction.main(args) == 0
    assert "ok news" in capsys.readouterr().out


def test_absent_datasets_are_reported_and_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert extraction.main([str(tmp_path / "nowhere"), "--check", "--report", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "extraction dataset not found at" in out and "nothing measured" in out


@pytest.mark.skipif(not extraction.DEFAULT_DATASETS[1].is_dir(), reason="../shared is absent")
def test_a_smoke_run_on_the_shared_datasets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert extraction.main(["--limit", "2", "--report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "extraction-readability" in out and out.count("| F1 ") == 2


def test_pages_fall_into_fixed_halves_by_their_id() -> None:
    ids = [f"page-{n}" for n in range(200)]
    halves = [extraction.half(i) for i in ids]
    assert set(halves) == {"A", "B"} and 60 < halves.count("A") < 140
    assert halves == [extraction.half(i) for i in ids]


def test_the_ablation_says_what_each_rule_earns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import ablation

    first = truth_layout(tmp_path / "news")
    second = pages_layout(tmp_path / "readable")
    rules = "headline repeated,line: newsletter/subscribe prompt,line: reading time"
    assert ablation.main([str(first), str(second), "--rules", rules, "--json"]) == 0
    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert set(figures["datasets"]) == {"news", "readable"}
    for name in ("news", "readable"):
        news = figures["datasets"][name]
        assert news["all_on"] > 0.99
        # the pages print their title as their first line and nothing about reading time
        assert (
            news["rules"]["headline repeated"]["adds"] > 0
            and news["rules"]["headline repeated"]["helps"] == 2
        )
        assert news["rules"]["line: reading time"]["adds"] == 0
    assert figures["verdicts"]["headline repeated"] == "both"
    assert figures["verdicts"]["line: reading time"] == "changes nothing"
    assert ablation.main([str(first), "--rules", "no such rule"]) == 2


def test_a_rule_earns_its_place_only_when_no_dataset_pays_for_it() -> None:
    from benchmarks.ablation import RuleFigures, verdict

    def f(adds: float, helps: int = 0, hurts: int = 0, worse_on: int = 3, worse_off: int = 3) -> RuleFigures:
        return RuleFigures(
            f1_off=0.9, adds=adds, helps=helps, hurts=hurts, worse_on=worse_on, worse_off=worse_off
        )

    assert verdict([f(0.002, 4), f(0.001, 2)]) == "both"
    assert verdict([f(0.002, 4), f(0.0, 0)]) == "one, others unchanged"
    assert verdict([f(0.00001, 1), f(0.0)]) == "one, others unchanged"  # one page helped, none hurt
    assert verdict([f(0.0), f(0.0)]) == "changes nothing"
    assert verdict([f(0.003, 5), f(-0.001, 0, 3)]) == "costs F1"  # helps one benchmark, hurts the other
    assert verdict([f(-0.0002, 0, 1), f(0.0, 2, 2, worse_on=6, worse_off=8)]) == "kept for worse pages"


def test_the_ablation_adds_each_removed_rule_back_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import ablation

    first = truth_layout(tmp_path / "news")
    assert ablation.main([str(first), "--json"]) == 0
    out = capsys.readouterr().out
    assert "removed rules, each added back alone" in out
    figures = json.loads(out.strip().splitlines()[-1])
    assert set(figures["added_back_verdicts"]) == set(ablation.REMOVED)
    assert set(figures["verdicts"]) == set(ablation.RULES)
    back = figures["datasets"]["news"]["added_back"]
    # the old newsletter rule cut any short line ending in "newsletter": the article does not have one
    assert back["short line ending in newsletter/subscribe"]["adds"] == 0
