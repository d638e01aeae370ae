from pipeline.clean import article_from_text
from pipeline.dedup import content_key, decide, fingerprint

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
