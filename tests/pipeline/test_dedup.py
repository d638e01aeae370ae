from pipeline.clean import article_from_text
from pipeline.dedup import compare, content_key, decide, fingerprint

BODY = (
    "A court in Moscow extended the detention of a South Korean missionary by three more months on Monday.\n"
    "The man was detained in Vladivostok in January and has been held in Lefortovo since late February.\n"
    "Seoul said its embassy was providing consular assistance and asked Moscow for access to him."
)


def test_same_url_same_text_is_unchanged_and_changed_text_is_a_revision() -> None:
    fps = fingerprint(article_from_text(url="https://a.example/x", text=BODY))
    assert (
        decide(fps, same_url_content_hash=fps.content_hash, same_content_owner=fps.article_id).status
        == "unchanged"
    )
    assert decide(fps, same_url_content_hash="other", same_content_owner=None).status == "revision"


def test_same_text_under_another_url_is_a_duplicate_of_the_first() -> None:
    fps = fingerprint(article_from_text(url="https://b.example/y", text=BODY))
    verdict = decide(fps, same_url_content_hash=None, same_content_owner="first-id")
    assert (verdict.status, verdict.duplicate_of) == ("duplicate", "first-id")
    assert decide(fps, same_url_content_hash=None, same_content_owner=None).status == "unique"


def test_republished_copy_with_its_own_headline_and_caption_has_the_same_content_key() -> None:
    copy = "Wire: Moscow court extends custody\nPhoto: the court building. (File)\n" + BODY.upper()
    assert content_key(copy) == content_key("Court extends missionary's detention\n" + BODY)
    assert content_key(BODY) != content_key(BODY.replace("three more months", "two more months"))


def _story(lead: str, background: str) -> str:
    return lead + "\n" + background


LEAD_A = (
    "A court in Moscow on Monday extended the custody of a South Korean missionary accused of spying until mid-June.\n"
    "His lawyers were not allowed to speak to reporters after the closed hearing, which lasted less than an hour.\n"
    "The man's family in Seoul said through the foreign ministry that they had received no letter from him since March."
)
LEAD_B = (
    "Seoul on Thursday added five companies and four Russian-flagged cargo ships to its export blacklist.\n"
    "The ministry of economy said the vessels had carried North Korean munitions to a port in Russia's Far East.\n"
    "The measures take effect next week and freeze any assets the listed firms hold in South Korean banks."
)
BACKGROUND = (
    "Russia has detained several foreign nationals on espionage charges since its full-scale invasion of Ukraine.\n"
    "South Korea joined Western sanctions in 2022, and Moscow has since listed it among unfriendly countries.\n"
    "Military ties between Moscow and Pyongyang deepened after a partnership treaty signed in June last year."
)


def test_a_reprint_with_another_outlets_header_and_footer_is_a_near_duplicate() -> None:
    original = _story(LEAD_A, BACKGROUND)
    reprint = (
        "HARBOR TIMES | World | Wire copy\nPhoto: the court building in Moscow. (File photo)\n"
        + original
        + "\nThis story was distributed by a wire agency and is republished under licence."
        + "\nRead more: sports, weather and local news from the Kelmouth harbour district every day."
    )
    sims = compare(reprint, {"orig": original})
    assert sims[0].near, sims


def test_an_edited_sentence_keeps_a_copy_near() -> None:
    original = _story(LEAD_A, BACKGROUND)
    edited = original.replace("less than an hour", "about forty minutes")
    assert compare(edited, {"orig": original})[0].near


def test_stories_sharing_background_paragraphs_are_not_duplicates() -> None:
    sims = compare(_story(LEAD_B, BACKGROUND), {"a": _story(LEAD_A, BACKGROUND)})
    assert sims[0].jaccard > 0.2  # they do share a good part of their words
    assert not sims[0].near


def test_near_duplicate_verdict_points_to_the_best_candidate() -> None:
    fps = fingerprint(article_from_text(url="https://c.example/z", text=_story(LEAD_A, BACKGROUND)))
    sims = compare(
        _story(LEAD_A, BACKGROUND) + "\nOne more closing line from the reprinting outlet here.",
        {"x": _story(LEAD_B, BACKGROUND), "y": _story(LEAD_A, BACKGROUND)},
    )
    verdict = decide(fps, same_url_content_hash=None, same_content_owner=None, similar=sims)
    assert (verdict.status, verdict.duplicate_of) == ("near_duplicate", "y")
    assert verdict.similarity is not None and verdict.similarity > 0.8


def test_lsh_bands_are_stable_and_shared_by_copies() -> None:
    a = fingerprint(article_from_text(url="https://a.example/1", text=_story(LEAD_A, BACKGROUND)))
    b = fingerprint(
        article_from_text(url="https://b.example/2", text=_story(LEAD_A, BACKGROUND) + "\nExtra.")
    )
    c = fingerprint(article_from_text(url="https://b.example/3", text=_story(LEAD_B, LEAD_A)))
    assert len([b for b in a.bands if not b.startswith("s:")]) == 16  # LSH bands; the rest, sentence anchors
    assert 0 < len([b for b in a.bands if b.startswith("s:")]) <= 6
    assert set(a.bands) & set(b.bands)  # a copy lands in at least one shared bucket
    assert len(set(a.bands) & set(c.bands)) < len(set(a.bands) & set(b.bands))
