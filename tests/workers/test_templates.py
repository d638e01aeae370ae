"""The per-source template store on the real Redis."""

from __future__ import annotations

from pipeline.models import Article
from pipeline.templates import strip_template_lines
from workers.app import App
from workers.templates import TemplateStore

FOOTER = "Please direct questions or comments to the news desk"
BUTTON = "button that moves to the original Korean article"


def story(n: int) -> list[str]:
    return [
        f"Paragraph one of story {n} about the harbour and its ferries.",
        f"Second paragraph {n}.",
        FOOTER,
        BUTTON,
    ]


def test_a_line_becomes_template_only_after_many_distinct_articles(nw: App) -> None:
    store = TemplateStore(nw.redis, nw.prefix)
    for n in range(5):
        assert store.learn("Harbor Daily", f"a{n}", story(n))
    assert not store.load("Harbor Daily").lines  # five articles: not yet
    store.learn("Harbor Daily", "a5", story(5))
    table = store.load("Harbor Daily")
    text = "\n".join(story(99))
    out, removed = strip_template_lines(text, table)
    assert FOOTER not in out and BUTTON not in out and "story 99" in out
    assert {r[0] for r in removed} == {FOOTER, BUTTON}
    # other sources learn nothing from this one
    assert not store.load("Eastern Wire").lines


def test_one_article_processed_twice_is_counted_once(nw: App) -> None:
    store = TemplateStore(nw.redis, nw.prefix)
    assert store.learn("Harbor Daily", "same", story(1))
    for _ in range(10):
        assert not store.learn("Harbor Daily", "same", story(1))
    assert store.articles("Harbor Daily") == 1
    assert not store.load("Harbor Daily", min_articles=2).lines


def test_the_line_counts_stay_bounded(nw: App) -> None:
    store = TemplateStore(nw.redis, nw.prefix, lines_keep=40, seen_keep=20)
    for n in range(60):
        store.learn("Harbor Daily", f"a{n}", story(n))
    assert store.size("Harbor Daily") <= 50
    assert nw.redis.zcard(store.key("Harbor Daily", "seen")) <= 20
    # the template lines, in every article, survived the pruning
    assert len(store.load("Harbor Daily").lines) == 2


def test_learn_article_counts_lines_stripped_as_template_too(nw: App) -> None:
    from pipeline.models import Removal

    store = TemplateStore(nw.redis, nw.prefix)
    article = Article(
        url="https://h.example/1",
        canonical_url="https://h.example/1",
        source="Harbor Daily",
        text="Story text that is long enough to count as a line.",
        removed=(Removal(text=FOOTER, reason="site template (in 9 articles of Harbor Daily)"),),
    )
    assert store.learn_article(article)
    assert store.size("Harbor Daily") == 2
