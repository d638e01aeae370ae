"""The store against a real Redis: atomic claims, revisions, copies, races."""

from __future__ import annotations

import threading

from pipeline.clean import article_from_text
from pipeline.models import Article
from tests.conftest import synthetic_text
from workers.app import App
from workers.process import process_article
from workers.web.queries import RecordQuery, search

BODY = (
    "Seoul announced unilateral sanctions on Thursday against entities from Russia and North Korea.\n"
    "The list names five entities, four Russian-flagged vessels and eight North Korean individuals.\n"
    "The measures answer the partnership treaty Moscow and Pyongyang signed in June, Seoul officials said."
)


def art(url: str, text: str = BODY, title: str = "Seoul sanctions Russian vessels") -> Article:
    return article_from_text(url=url, text=text, title=title)


def test_first_copy_is_stored_and_indexed_and_streamed(nw: App) -> None:
    saved = process_article(nw, art("https://ledger.example/sanctions"), alerts=False)
    assert saved.outcome == "stored"
    record = nw.store.get(saved.record.id)
    assert record is not None and record.on_topic and record.text.startswith("Seoul announced")
    assert [r.id for r in nw.store.search(on_topic=True)] == [record.id]
    assert [r.id for r in nw.store.search(event="sanctions")] == [record.id]
    entries = nw.redis.xrange(nw.store.k("stream", "records"))
    assert [e[1]["id"] for e in entries] == [record.id]


def test_the_same_article_again_changes_nothing(nw: App) -> None:
    first = process_article(nw, art("https://ledger.example/sanctions?utm_source=rss"), alerts=False)
    before = nw.store.stats()
    again = process_article(nw, art("https://www.ledger.example/sanctions"), alerts=False)
    assert again.outcome == "unchanged"
    assert again.record.id == first.record.id
    assert nw.store.stats() == before
    assert nw.redis.xlen(nw.store.k("stream", "records")) == 1


def test_changed_text_at_the_same_url_is_a_revision_with_history(nw: App) -> None:
    first = process_article(nw, art("https://ledger.example/s"), alerts=False)
    edited = BODY.replace("eight North Korean individuals", "nine North Korean individuals")
    second = process_article(nw, art("https://ledger.example/s", text=edited), alerts=False)
    assert second.outcome == "revision"
    assert second.record.id == first.record.id and second.record.revision == 1
    assert "nine North Korean" in nw.store.get(first.record.id).text  # type: ignore[union-attr]
    assert [h.revision for h in nw.store.history(first.record.id)] == [0]
    assert nw.store.stats()["records"] == 1


def test_a_revision_is_found_by_what_it_now_says_and_no_longer_by_what_it_said(nw: App) -> None:
    first = process_article(nw, art("https://ledger.example/s"), alerts=False)

    def found(**query: object) -> list[str]:
        return [r.id for r in search(nw, RecordQuery(**query))[0]]  # type: ignore[arg-type]

    assert found(event="sanctions") == found(text="vessels") == found(on_topic=True) == [first.record.id]
    harbour = (
        "The harbour authority approved the new ferry timetable on Monday after a long consultation.\n"
        "Boats will leave every twenty minutes at peak hours, up from every half hour."
    )
    second = process_article(
        nw, art("https://ledger.example/s", text=harbour, title="Ferry timetable"), alerts=False
    )
    assert second.outcome == "revision" and not second.record.on_topic
    assert found(event="sanctions") == found(text="vessels") == found(on_topic=True) == []
    assert found(text="ferry timetable") == found(source="ledger.example") == [first.record.id]


def test_a_copy_under_another_url_is_a_small_pointer_to_the_original(nw: App) -> None:
    original = process_article(nw, art("https://wire.example/a"), alerts=False)
    copy = process_article(nw, art("https://harbor.example/b", title="Wire: sanctions"), alerts=False)
    assert copy.outcome == "duplicate"
    assert copy.record.dedup.duplicate_of == original.record.id
    stored_copy = nw.store.get(copy.record.id)
    assert stored_copy is not None and stored_copy.text == "" and stored_copy.source == "harbor.example"
    assert [c.id for c in nw.store.copies(original.record.id)] == [copy.record.id]
    assert nw.store.stats()["records"] == 1 and nw.store.stats()["duplicates"] == 1


def test_workers_racing_on_one_article_leave_one_record(nw: App) -> None:
    for trial in range(20):
        url = f"https://wire.example/race-{trial}"
        text = f"{synthetic_text(trial)}\n{BODY}"  # distinct stories that share background paragraphs
        outcomes: list[str] = []
        barrier = threading.Barrier(4)

        def work(u: str, t: str = text, b: threading.Barrier = barrier, out: list[str] = outcomes) -> None:
            b.wait()
            out.append(process_article(nw, art(u, t), alerts=False).outcome)

        threads = [
            threading.Thread(target=work, args=(u,)) for u in (url, url, url + "?utm_source=x", url + "/copy")
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sorted(outcomes) == ["duplicate", "stored", "unchanged", "unchanged"], (trial, outcomes)
    assert nw.store.stats()["records"] == 20


def test_alerts_fire_once_per_rule_and_record(nw: App) -> None:
    first = process_article(nw, art("https://ledger.example/alert"), alerts=True)
    assert [(a.rule, a.event_type) for a in first.alerts] == [("sanctions", "sanctions")]
    again = process_article(nw, art("https://ledger.example/alert"), alerts=True)
    assert again.alerts == ()
    copy = process_article(nw, art("https://other.example/alert"), alerts=True)
    assert copy.alerts == ()
    assert nw.redis.xlen(nw.store.k("stream", "alerts")) == 1


def test_a_revised_headline_becomes_its_storys_title(nw: App) -> None:
    first = process_article(nw, art("https://ledger.example/s"), alerts=False)
    assert first.record.story_id is not None
    assert nw.store.stories()[0]["title"] == "Seoul sanctions Russian vessels"
    edited = BODY.replace("eight North Korean individuals", "nine North Korean individuals")
    title = "Seoul sanctions Russian vessels and nine North Koreans"
    second = process_article(nw, art("https://ledger.example/s", text=edited, title=title), alerts=False)
    assert second.outcome == "revision" and second.record.story_id == first.record.story_id
    assert nw.store.stories()[0]["title"] == title
