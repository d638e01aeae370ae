"""One test per kind of error that real news showed (benchmarks/realnews.py), in our own words.

Each article here is written for the test, after the shape of the sentences that misled
enrichment on real reports: what an article recalls told as news, officials and relatives
taken for detainees, a detainee's name spelled another way, a step that cannot follow the
case's timeline.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.loader import load_config
from pipeline.cases import merge, reports
from pipeline.enrich import enrich
from pipeline.models import Article, Enrichment

ROOT = Path(__file__).resolve().parents[2]
TOPIC = load_config(ROOT / "config").topic
WHEN = datetime(2024, 3, 12, 9, 0, tzinfo=UTC)


def run(text: str, title: str | None = None, published: datetime | None = WHEN) -> Enrichment:
    url = "https://own.example/article"
    article = Article(
        url=url, canonical_url=url, source="own", title=title, text=text, published_at=published
    )
    return enrich(article, TOPIC)


def reported(result: Enrichment, etype: str) -> list[str]:
    return [e.evidence for e in result.events if e.type == etype]


def steps(result: Enrichment) -> set[tuple[str | None, str | None]]:
    return {(e.target, e.status) for e in result.events if e.status}


def test_sanctions_recalled_in_an_arrest_story_are_background() -> None:
    result = run(
        "Russia's security service has detained a South Korean pastor in Vladivostok on spying "
        "charges, state media in Moscow said on Tuesday.\n"
        "Seoul's foreign ministry said it was giving the man consular help.\n"
        "The ministry gave no further details and asked for patience.\n"
        "The pastor had run a shelter for several years, his church said.\n"
        "Moscow has called South Korea unfriendly since Seoul joined Western sanctions against "
        "Russia in 2022."
    )
    assert reported(result, "detention")
    assert not reported(result, "sanctions")
    assert any(e.type == "sanctions" for e in result.mentions)


def test_punishable_by_up_to_n_years_is_no_sentence() -> None:
    result = run(
        "A Moscow court on Monday extended the detention of South Korean missionary Baek Won-soon "
        "until June 15. Espionage is punishable by up to 20 years in prison in Russia."
    )
    assert ("Baek Won-soon", "custody_extended") in steps(result)
    assert all(status != "sentenced" for _, status in steps(result))


def test_a_possible_sentence_in_korean_is_no_sentence() -> None:
    result = run(
        "러시아 법원은 한국인 선교사 백원순 씨의 구금 기간을 연장했다. 백 씨는 유죄가 확정될 경우 최대 징역 20년 형을 받을 수 있다."
    )
    assert all(status != "sentenced" for _, status in steps(result))


def test_a_statement_released_by_an_official_opens_no_case() -> None:
    result = run(
        "Baek Won-soon, a South Korean missionary, remains in custody in Moscow, his church said. "
        "Russian foreign ministry spokeswoman Maria Zakharova said in a statement released days "
        "after the arrest that the case was a matter for the courts."
    )
    people = {e.target for e in result.events if e.type in ("detention", "release")}
    assert "Maria Zakharova" not in people
    assert not reported(result, "release")
    assert {r.person for r in reports(result.events)} <= {"Baek Won-soon"}


def test_a_past_deportation_is_no_release() -> None:
    result = run(
        "Russian investigators said a South Korean pastor, Baek Won-soon, was arrested in "
        "Vladivostok in January. Baek, who had worked in the region for years, came to Russia "
        "after he was deported from China in 2019."
    )
    assert ("Baek Won-soon", "detained") in steps(result)
    assert not reported(result, "release")


def test_a_relatives_release_is_not_the_detainees() -> None:
    result = run(
        "A South Korean missionary, Baek Won-soon, is being held in Lefortovo prison in Moscow. "
        "Russian officers had also arrested Baek's wife but later released her."
    )
    assert ("Baek Won-soon", "released") not in steps(result)


def test_another_spelling_of_the_detainee_is_the_same_case() -> None:
    result = run(
        "During an espionage investigation, Russian officers identified and detained a citizen "
        "of the Republic of Korea, Baek Won Sung, a law enforcement source said."
    )
    detainees = {e.target: e for e in result.events if e.type == "detention"}
    assert "Baek Won-soon" in detainees
    assert detainees["Baek Won-soon"].nationality == "South Korea"
    assert result.case_ids == ("baek-won-soon",)


def test_the_same_detainee_in_hangul_and_cyrillic_is_one_person() -> None:
    korean = run("러시아 당국이 간첩 혐의로 한국인 백모씨를 블라디보스토크에서 체포했다.")
    russian = run("В Москве продлили арест гражданину Республики Корея Пэк Вон Суну, сообщил ТАСС.")
    assert korean.case_ids == ("baek-won-soon",)
    assert russian.case_ids == ("baek-won-soon",)


def test_a_headline_words_are_no_name() -> None:
    result = run(
        "South Korean arrested in Russia turns out to be Missionary Who Helped Rescue Defectors",
        title="South Korean arrested in Russia turns out to be Missionary Who Helped Rescue Defectors",
    )
    assert all("Who" not in (e.target or "") for e in result.events)


def test_mr_and_a_verb_are_no_name() -> None:
    result = run(
        "South Korean officials said Mr Baek was arrested by Russia's security service in January "
        "after arriving in Vladivostok."
    )
    assert all(e.target != "Baek was arrested" for e in result.events)
    assert {e.target for e in result.events if e.type == "detention"} == {"Baek Won-soon"}


def test_a_third_countrys_sanctions_are_not_the_subjects() -> None:
    result = run(
        "Japan froze the assets of four Russian companies on Friday for helping North Korea's "
        "missile programme, Tokyo said. South Korea welcomed the step, and Russia called it "
        "hostile. Seoul and Moscow have not spoken about it since."
    )
    assert not reported(result, "sanctions")


def test_sanctions_by_seoul_on_moscow_are_reported() -> None:
    result = run(
        "South Korea imposed sanctions on Monday on two Russian shipping firms and eleven North "
        "Korean officials over arms deliveries from Pyongyang to Moscow."
    )
    assert reported(result, "sanctions")


def test_a_cause_told_in_passing_is_no_military_cooperation() -> None:
    result = run(
        "President Putin warned South Korea on Thursday that sending weapons to Ukraine would be a "
        "big mistake. Seoul had said it would reconsider arms for Kyiv after Russia and North "
        "Korea signed a mutual defence pact on Wednesday."
    )
    assert reported(result, "diplomatic_protest")
    assert not reported(result, "military_cooperation")


def test_a_paragraph_recalling_an_earlier_case_stays_background() -> None:
    result = run(
        "러시아 하바롭스크에서 활동하던 한국인 선교사 박모씨가 지난달 러시아 당국에 체포됐다.\n"
        "앞서 2024년에는 블라디보스토크에서 한국인 선교사 백모씨가 간첩 혐의로 체포된 바 있다. "
        "백씨는 2년간 재판도 받지 못한 채 구금돼 있다.",
        published=datetime(2026, 2, 3, tzinfo=UTC),
    )
    # one case: the missionary surnamed Park (박) this article reports; not Baek (백), whom it recalls
    assert [r.surname for r in reports(result.events)] == ["bag"]


def test_the_subject_named_in_chinese_and_japanese_text() -> None:
    chinese = run("据报道,一名韩国男子涉嫌从事间谍活动,在俄罗斯被捕。韩国外交部表示,已为男子提供领事援助。")
    japanese = run(
        "ロシア当局は韓国人宣教師をスパイ容疑で拘束した。韓国外交部は領事支援を行っていると明らかにした。"
    )
    assert chinese.on_topic and reported(chinese, "detention")
    assert japanese.on_topic and reported(japanese, "detention")


def test_a_release_before_the_detention_is_kept_for_review_without_an_alert() -> None:
    detained = run(
        "Russian officers detained South Korean missionary Baek Won-soon in Vladivostok on March 4."
    )
    case, new = merge(None, reports(detained.events)[0], "baek-won-soon", "r1", WHEN)
    assert [s.status for s in new] == ["detained"]
    freed = run("South Korean missionary Baek Won-soon was released from custody in Moscow on February 2.")
    case, new = merge(case, reports(freed.events)[0], "baek-won-soon", "r2", WHEN)
    assert new == []  # nobody is alerted
    doubtful = next(s for s in case.steps if s.status == "released")
    assert doubtful.review and "before the detention" in doubtful.review
    assert case.status == "detained"


def test_a_sentence_days_after_the_arrest_with_no_trial_is_kept_for_review() -> None:
    detained = run(
        "Russian officers detained South Korean missionary Baek Won-soon in Vladivostok on March 4."
    )
    case, _ = merge(None, reports(detained.events)[0], "baek-won-soon", "r1", WHEN)
    sentenced = run("A Moscow court sentenced South Korean missionary Baek Won-soon to 12 years on March 11.")
    case, new = merge(case, reports(sentenced.events)[0], "baek-won-soon", "r2", WHEN)
    assert new == [] and case.status == "detained"
    assert next(s for s in case.steps if s.status == "sentenced").review


def test_a_step_recalled_months_later_without_a_date_adds_no_source() -> None:
    first = run("Russian officers detained South Korean missionary Baek Won-soon in Vladivostok on March 4.")
    case, _ = merge(None, reports(first.events)[0], "baek-won-soon", "r1", WHEN, reported_at=WHEN)
    later = run(
        "Russian officers detained South Korean missionary Baek Won-soon in Vladivostok.",
        published=datetime(2026, 2, 3, tzinfo=UTC),
    )
    months_on = datetime(2026, 2, 3, tzinfo=UTC)
    case, new = merge(case, reports(later.events)[0], "baek-won-soon", "r2", months_on, reported_at=months_on)
    assert new == [] and case.steps[0].record_ids == ("r1",)
    same_week = datetime(2024, 3, 13, tzinfo=UTC)
    case, _ = merge(case, reports(later.events)[0], "baek-won-soon", "r3", same_week, reported_at=same_week)
    assert case.steps[0].record_ids == ("r1", "r3")


def test_news_of_a_detention_months_after_it_began_is_a_report_not_a_recollection() -> None:
    # a detention made public two months after it began: every outlet's first report is a source
    began = run(
        "Russian officers detained South Korean missionary Baek Won-soon in Vladivostok on January 4."
    )
    news_day = datetime(2024, 3, 12, tzinfo=UTC)
    case, _ = merge(None, reports(began.events)[0], "baek-won-soon", "r1", news_day, reported_at=news_day)
    retold = run("Russian officers detained South Korean missionary Baek Won-soon in Vladivostok.")
    next_day = datetime(2024, 3, 13, tzinfo=UTC)
    case, new = merge(case, reports(retold.events)[0], "baek-won-soon", "r2", next_day, reported_at=next_day)
    assert new == [] and case.steps[0].record_ids == ("r1", "r2")


def test_a_recollection_read_before_the_first_report_is_dropped_when_that_report_arrives() -> None:
    # the same articles in another order give the same sources: the autumn retelling is no source
    retold = run("Russian officers detained South Korean missionary Baek Won-soon in Vladivostok.")
    autumn, spring = datetime(2024, 10, 2, tzinfo=UTC), datetime(2024, 3, 12, tzinfo=UTC)
    case, _ = merge(None, reports(retold.events)[0], "baek-won-soon", "late", autumn, reported_at=autumn)
    case, _ = merge(case, reports(retold.events)[0], "baek-won-soon", "first", spring, reported_at=spring)
    detained = next(s for s in case.steps if s.status == "detained")
    assert detained.record_ids == ("first",) and detained.first_reported == "2024-03-12"


def test_a_named_foreigner_in_a_sentence_about_a_south_korean_is_no_case() -> None:
    result = run(
        "Es el primer surcoreano detenido por espionaje en Rusia, y en la misma cárcel de Moscú está "
        "el estadounidense Evan Gershkovich, quien fue arrestado por el mismo delito."
    )
    assert all(r.person != "Evan Gershkovich" for r in reports(result.events))


def test_a_weekday_is_not_read_against_a_month_precise_date() -> None:
    text = "Russian officers detained South Korean missionary Baek Won-soon in Vladivostok on Tuesday."
    url = "https://own.example/2024/03/arrest"
    month = Article(
        url=url,
        canonical_url=url,
        source="own",
        text=text,
        published_at=datetime(2024, 3, 1, tzinfo=UTC),
        published_precision="month",
    )
    dated = enrich(month, TOPIC).events
    assert dated and all(e.date is None for e in dated if e.type == "detention")
    assert all(e.date == "2024-03-12" for e in run(text, published=WHEN).events if e.type == "detention")


def test_a_korean_report_recalling_last_months_extension_adds_no_new_step() -> None:
    result = run(
        "외교부는 모스크바에 구금된 백원순 선교사에 대한 영사 면회를 러시아 측에 다시 요청했다. "
        "러시아 법원은 지난 3월 백 씨의 구금 기간을 연장했다.",
        published=datetime(2024, 7, 2, tzinfo=UTC),
    )
    assert ("Baek Won-soon", "custody_extended") not in steps(result)
    recalled = [e for e in result.mentions if e.status == "custody_extended"]
    assert recalled and recalled[0].date == "2024-03"


@pytest.mark.parametrize(
    "text",
    [
        # Spanish: a plural adjective and a past-tense verb
        "Las autoridades rusas detuvieron a un ciudadano surcoreano acusado de espionaje en Vladivostok.",
        # Albanian: the short form of Russia
        "Një shtetas i Koresë së Jugut është arrestuar në Rusi nën dyshimin për spiunazh.",
        # Arabic: the adjective form of South Korean
        "اعتقلت السلطات في روسيا مواطنا كوري جنوبي بتهمة التجسس.",
        # Tamil: the names of both countries
        "ரஷ்யாவில் தென் கொரிய நபர் ஒருவர் உளவு குற்றச்சாட்டில் கைது செய்யப்பட்டார்.",
    ],
)
def test_a_detention_told_in_another_language_is_on_topic(text: str) -> None:
    result = run(text)
    assert result.on_topic and "detention" in {e.type for e in result.events}


@pytest.mark.parametrize(
    ("text", "etype"),
    [
        (
            "Seoul's foreign ministry said military cooperation between Russia and North Korea is a clear "
            "violation of Security Council resolutions.",
            "military_cooperation",
        ),
        (
            "South Korea urged Russia and North Korea to immediately stop military cooperation.",
            "military_cooperation",
        ),
        (
            "Seoul condemned the pact signed by Russia and North Korea, saying it violates United Nations "
            "sanctions.",
            "sanctions",
        ),
    ],
)
def test_a_judgement_or_a_call_is_no_news_of_the_event(text: str, etype: str) -> None:
    assert etype not in {e.type for e in run(text).events}


def test_a_new_sanctions_package_is_still_news() -> None:
    result = run("South Korea imposed sanctions on five Russian entities and two vessels on Tuesday.")
    assert "sanctions" in {e.type for e in result.events}


@pytest.mark.parametrize(
    ("text", "etype"),
    [
        # Korean: the ambassador "summoned" (소환), not only "called in" (초치)
        ("모스크바 주재 한국 대사가 러시아 외무부에 소환됐다.", "diplomatic_protest"),
        # Vietnamese: Russia is "Nga"
        (
            "Thứ trưởng Ngoại giao Hàn Quốc đã triệu Đại sứ Nga tại Seoul để phản đối hiệp ước.",
            "diplomatic_protest",
        ),
        # Azerbaijani: the Republic of Korea, an active "summoned", and a dotted capital İ (its case
        # folding is two characters long) that once hid every name in the text
        ("Koreya Respublikasının Xarici İşlər Nazirliyi Rusiyanın səfirini çağırıb.", "diplomatic_protest"),
        # Korean: a consul sent to see the detainee, and "consular access" asked for
        (
            "블라디보스토크 총영사관은 러시아에 억류된 한국인 선교사를 만나기 위해 영사를 파견했다고 밝혔다.",
            "consular_access",
        ),
        ("한국 정부는 러시아 당국에 억류된 한국인에 대한 정기적인 영사 접근을 요청했다.", "consular_access"),
        # Chinese: the consulate, a few characters before the help it gives
        ("韩国外交部表示,在俄罗斯被捕的韩国公民事件发生后,韩国领事馆一直在提供协助。", "consular_access"),
    ],
)
def test_a_summons_or_consular_help_told_in_another_language_is_that_event(text: str, etype: str) -> None:
    assert etype in {e.type for e in run(text).events}


@pytest.mark.parametrize(
    "text",
    [
        "North Korea has released a Russian fishing boat and its crew, the Russian embassy in Pyongyang said.",
        "Russian coast guards detained North Korean fishermen off the coast, Seoul's media reported.",
    ],
)
def test_a_third_country_holding_or_held_is_not_the_subjects_case(text: str) -> None:
    assert not {"detention", "release"} & {e.type for e in run(text).events}


def test_russia_freeing_a_south_korean_is_still_a_release() -> None:
    result = run(
        "Russia released South Korean missionary Baek Won-soon on Friday, Seoul's foreign ministry said."
    )
    assert "release" in {e.type for e in result.events}
