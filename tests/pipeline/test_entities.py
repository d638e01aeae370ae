from pathlib import Path

from config.loader import load_config
from pipeline.entities import build_lexicon, collect, find_mentions, skeleton

TOPIC = load_config(Path(__file__).resolve().parents[2] / "config").topic
LEX = build_lexicon(TOPIC)


def entities(text: str):  # type: ignore[no-untyped-def]
    return {e.id: e for e in collect(find_mentions(text, LEX))}


def test_spellings_in_three_scripts_are_one_person() -> None:
    found = entities("Baek Won Soon (백원순, Пэк Вон Сун) was moved to Lefortovo. Baek denies it.")
    baek = found["baek-won-soon"]
    assert baek.type == "person" and baek.name == "Baek Won-soon" and baek.mentions == 4
    assert set(baek.variants) == {"Baek Won Soon", "백원순", "Пэк Вон Сун", "Baek"}
    assert found["lefortovo-detention-center"].type == "place"


def test_a_wires_misromanization_links_to_the_known_person() -> None:
    assert skeleton("Paek Won-sun") == skeleton("Baek Won-soon") == skeleton("Paik Wonsoon")
    found = entities("Investigators charged South Korean national Paek Won-sun with espionage.")
    assert "baek-won-soon" in found and found["baek-won-soon"].variants == ("Paek Won-sun",)
    assert found["south_korea"].type == "country"


def test_unknown_people_and_the_longest_name_win() -> None:
    found = entities(
        "The Russian Foreign Ministry said a South Korean national surnamed Jung was held. "
        "Vice Minister Kim Hong-kyun met Zakharova."
    )
    assert found["russian-foreign-ministry"].type == "organization"
    assert "russia" not in found  # "Russian" was part of the ministry's name
    assert found["jung"].type == "person" and found["kim-hong-kyun"].type == "person"
    assert found["maria-zakharova"].actor == "russia"


def test_joint_words_name_both_actors() -> None:
    found = entities("북러 조약 체결 이후 한러 관계가 악화됐다.")
    assert {"russia", "north_korea", "south_korea"} <= set(found)


def test_surfaces_are_found_where_a_word_starts_and_nowhere_else() -> None:
    from pipeline.entities import SurfaceIndex

    index = SurfaceIndex(["Seoul", "South Korea", "Korea", "러시아", "Москва", "Москв"])
    text = "Seoul's envoy, not Seoulite; xSeoul; South Korea and Korea; 러시아에서, 북러시아; в Москве, subMoscow."
    found = [(text[s:e], surface) for s, e, surface in index.find(text)]
    assert found == [
        ("Seoul", "seoul"),  # at the very start, before a possessive
        ("South Korea", "south korea"),  # the longest surface where a word starts ...
        ("Korea", "korea"),  # ... and every other word start (find_mentions keeps the longest)
        ("Korea", "korea"),
        ("러시아", "러시아"),  # a Korean particle follows; inside 북러시아 no word starts at 러
        ("Москв", "москв"),  # a Russian ending follows
    ]
