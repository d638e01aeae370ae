"""The case ledger on a real Redis: records from several outlets and languages make one case."""

import json
import subprocess
import sys
from datetime import UTC, datetime

from pipeline.dedup import fingerprint
from pipeline.enrich import enrich
from pipeline.models import Article, DedupVerdict
from pipeline.record import build_record
from workers.app import App
from workers.cases import case_record_ids, get_case, list_cases, update_cases


def record(app: App, url: str, text: str, published: str):  # type: ignore[no-untyped-def]
    article = Article(
        url=url,
        canonical_url=url,
        source="t",
        text=text,
        published_at=datetime.fromisoformat(published).replace(tzinfo=UTC),
    )
    fps = fingerprint(article)
    return build_record(article, fps, DedupVerdict(status="unique"), enrich(article, app.config.topic), None)


EN = (
    "A Moscow court on Monday extended the detention of Baek Won-soon, a South Korean pastor held "
    "on espionage charges, until June 15. Baek was arrested in Vladivostok in January."
)
RU = "Лефортовский суд Москвы 11 марта продлил срок ареста гражданину Южной Кореи Пэк Вон Суну."
KO = "러시아 법원이 간첩 혐의를 받는 한국인 선교사 백원순 씨를 징역형에 선고했다."


def test_reports_in_three_languages_build_one_timeline(nw: App) -> None:
    first = update_cases(nw, record(nw, "https://a.example/1", EN, "2024-03-11T15:00:00"))
    assert {s.status for s in first} == {"detained", "custody_extended"}
    # the same extension reported in Russian: no new step, one more source
    assert update_cases(nw, record(nw, "https://b.example/2", RU, "2024-03-12T09:00:00")) == []
    sentenced = update_cases(nw, record(nw, "https://c.example/3", KO, "2025-03-05T09:00:00"))
    assert [s.status for s in sentenced] == ["sentenced"]
    case = get_case(nw, "baek-won-soon")
    assert case is not None and case.status == "sentenced" and case.nationality == "South Korea"
    assert case.charge == "espionage" and case.place == "Vladivostok"
    assert [s.status for s in case.steps] == ["detained", "custody_extended", "sentenced"]
    extension = case.steps[1]
    assert extension.date == "2024-03-11" and len(extension.record_ids) == 2
    assert len(case_record_ids(nw, "baek-won-soon")) == 3
    assert [c.id for c in list_cases(nw)] == ["baek-won-soon"]


def test_replaying_a_record_adds_nothing(nw: App) -> None:
    rec = record(nw, "https://a.example/1", EN, "2024-03-11T15:00:00")
    assert update_cases(nw, rec)
    before = get_case(nw, "baek-won-soon")
    assert update_cases(nw, rec) == [] and get_case(nw, "baek-won-soon") == before


def test_cases_command_lists_and_shows_a_case(nw: App, env: dict[str, str]) -> None:
    update_cases(nw, record(nw, "https://a.example/1", EN, "2024-03-11T15:00:00"))
    newswatch = [sys.executable, "-m", "workers.cli"]
    listed = subprocess.run(
        [*newswatch, "cases", "--json"], env=env, capture_output=True, text=True, check=True
    )
    [line] = listed.stdout.splitlines()
    assert json.loads(line)["id"] == "baek-won-soon"
    shown = subprocess.run([*newswatch, "case", "baek-won-soon"], env=env, capture_output=True, text=True)
    assert shown.returncode == 0 and "custody_extended" in shown.stdout and "Baek Won-soon" in shown.stdout
    missing = subprocess.run([*newswatch, "case", "nobody"], env=env, capture_output=True, text=True)
    assert missing.returncode == 1


def test_an_article_off_the_subject_opens_no_case_and_joins_none(nw: App) -> None:
    assert update_cases(nw, record(nw, "https://a.example/1", EN, "2024-03-11T15:00:00"))
    # a South Korean preacher sentenced in North Korea, years earlier: not the subject's case
    elsewhere = record(
        nw,
        "https://d.example/4",
        "A North Korean court sentenced a South Korean preacher to life in a labour camp for espionage.",
        "2014-05-30T09:00:00",
    )
    elsewhere = elsewhere.model_copy(update={"on_topic": False})
    assert update_cases(nw, elsewhere) == []
    case = get_case(nw, "baek-won-soon")
    assert case is not None and "sentenced" not in {s.status for s in case.steps}


def test_a_second_spelling_in_one_article_is_the_same_detainee(nw: App) -> None:
    both = (
        "Russian officers detained South Korean missionary Baek Won-soon in Vladivostok on espionage "
        "charges. A Russian agency reported that South Korean missionary Baek Kwang-soon was arrested."
    )
    update_cases(nw, record(nw, "https://a.example/1", both, "2024-03-12T09:00:00"))
    later = "A South Korean missionary, Baek Kwang-soon, was detained in Russia on espionage charges."
    update_cases(nw, record(nw, "https://b.example/2", later, "2024-03-13T09:00:00"))
    cases = list_cases(nw)
    assert [c.id for c in cases] == ["baek-won-soon"] and "Baek Kwang-soon" in cases[0].variants
