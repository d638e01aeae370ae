"""Boilerplate removal: what a reader would notice is gone, and what must stay.

All examples are made up for these tests.
"""

from __future__ import annotations

import lxml.html

from pipeline.boilerplate import (
    link_texts,
    page_titles,
    prune_tree,
    strip_boilerplate,
    trim_link_lines,
)
from pipeline.clean import MIN_TEXT_CHARS, extract_text, extract_text_with_removals

BODY = [
    "The harbour authority approved the new ferry timetable on Monday after a long consultation.",
    "Under the plan, boats will leave every twenty minutes at peak hours, up from every half hour.",
    "Local traders said the change was overdue and would bring more visitors to the old town.",
]


def text_of(*lines: str) -> str:
    return "\n".join(lines)


# --------------------------------------------------------------------------- strip_boilerplate


def test_share_subscribe_and_newsletter_lines_are_removed_and_paragraphs_kept() -> None:
    text = text_of(
        BODY[0],
        "Subscribe to our morning briefing",
        BODY[1],
        "Sign up for the Harbour Weekly newsletter and get the news in your inbox.",
        "Follow us on Twitter and Facebook.",
        BODY[2],
        "Like this story? Share it with a friend!",
    )
    out, removed = strip_boilerplate(text)
    assert out.split("\n") == BODY
    reasons = {reason for _, reason in removed}
    assert {"newsletter/subscribe prompt", "share/follow prompt"} <= reasons
    assert ("Follow us on Twitter and Facebook.", "share/follow prompt") in removed


def test_sentences_that_only_mention_subscribing_or_following_stay() -> None:
    kept = [
        "Analysts expect a million more households to subscribe to a streaming service next year.",
        "Fans who follow the club on Twitter noticed the announcement before the press did.",
        "More than 300 people attended the meeting in the town hall.",
    ]
    out, removed = strip_boilerplate(text_of(*kept))
    assert out.split("\n") == kept
    assert removed == []


def test_a_quote_about_something_related_is_content() -> None:
    quote = 'The mayor said the two closures were "not related in any way" and urged calm.'
    related_start = "Related to the closures, the council will publish its inspection report next week."
    out, removed = strip_boilerplate(text_of(BODY[0], quote, related_start, BODY[1]))
    assert quote in out
    assert related_start in out
    assert removed == []


def test_headline_repeated_as_first_line_is_removed_only_when_it_is_the_headline() -> None:
    headline = "Harbour approves faster ferry timetable"
    text = text_of(headline, *BODY)
    out, removed = strip_boilerplate(text, titles=[f"{headline} | The Harbour Gazette"])
    assert out.split("\n") == BODY
    assert removed == [(headline, "headline repeated")]
    # no title known: the line stays
    assert strip_boilerplate(text)[0].startswith(headline)


def test_contact_lines_are_removed() -> None:
    text = text_of(*BODY, "Write to Jo Marsh at jo.marsh@example.org", "Have a tip? Send it to the newsroom.")
    out, removed = strip_boilerplate(text)
    assert out.split("\n") == BODY
    assert [reason for _, reason in removed] == ["contact line", "contact line"]


def test_a_credit_line_in_the_middle_of_the_text_stays() -> None:
    middle = "Two colleagues contributed to this report."
    out, _ = strip_boilerplate(text_of(BODY[0], middle, BODY[1]))
    assert middle in out


def test_reprint_notice_and_cross_site_teaser_are_removed_but_also_on_a_day_stays() -> None:
    day = "Also on Tuesday, the council voted to extend the harbour car park."
    text = text_of(
        BODY[0],
        "Also on harbourtv.example Ferry strike ends after two days",
        day,
        "This copy is for your personal, non-commercial use only. Order reprints here.",
    )
    out, removed = strip_boilerplate(text)
    assert out.split("\n") == [BODY[0], day]
    assert [reason for _, reason in removed] == ["related-links line", "reprint notice"]


# --------------------------------------------------------------------------- trim_link_lines

TEASERS = ["Ferry strike ends after two days", "New bridge opens to cyclists for the first time"]


def linked_page(body: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(f"<html><body>{body}</body></html>")


def test_teaser_links_before_the_article_are_cut() -> None:
    tree = linked_page(
        "".join(f'<a href="/{i}">{t}</a>' for i, t in enumerate(TEASERS))
        + "".join(f"<p>{b}</p>" for b in BODY)
    )
    out, removed = trim_link_lines(text_of(*TEASERS, *BODY), link_texts(tree))
    assert out.split("\n") == BODY
    assert removed == [(t, "link line before the article") for t in TEASERS]


def test_links_inside_the_article_and_a_page_of_links_stay() -> None:
    tree = linked_page(
        "".join(f'<a href="/{i}">{t}</a>' for i, t in enumerate(TEASERS)) + f"<p>{BODY[0]}</p>"
    )
    inside = text_of(BODY[0], *TEASERS, BODY[1])
    assert trim_link_lines(inside, link_texts(tree)) == (inside, [])
    assert trim_link_lines(text_of(*TEASERS), link_texts(tree)) == (text_of(*TEASERS), [])


def test_a_sentence_that_only_contains_a_link_is_not_a_link_line() -> None:
    sentence = f"The operator published {TEASERS[1].lower()} on its website, with the new fares."
    tree = linked_page(f'<p>The operator published <a href="/b">{TEASERS[1].lower()}</a> on its website.</p>')
    assert trim_link_lines(text_of(sentence, BODY[0]), link_texts(tree))[1] == []


# --------------------------------------------------------------------------- prune_tree


def page(body: str, head: str = "") -> lxml.html.HtmlElement:
    return lxml.html.fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


ARTICLE = "".join(f"<p>{line}</p>" for line in BODY)


def test_prune_removes_newsletter_share_and_hidden_boxes_and_reports_them() -> None:
    tree = page(
        f"<article>{ARTICLE}</article>"
        '<div class="newsletter-signup"><p>Get the Harbour Weekly in your inbox</p></div>'
        '<ul class="share-bar"><li>Facebook</li><li>Email</li></ul>'
        '<div style="display: none"><p>Hidden teaser text</p></div>'
        '<aside id="related-posts"><a href="/x">Another story</a></aside>'
    )
    removed = prune_tree(tree)
    text = tree.text_content()
    assert all(line in text for line in BODY)
    for gone in ("Harbour Weekly", "Facebook", "Hidden teaser", "Another story"):
        assert gone not in text
    assert ("Get the Harbour Weekly in your inbox", "newsletter box (class/id)") in removed
    assert ("Hidden teaser text", "hidden element") in removed


def test_prune_matches_whole_class_words_only() -> None:
    tree = page(
        f'<div class="shared-content">{ARTICLE}</div><div class="timeshare-ad"><p>Buy a week</p></div>'
    )
    assert prune_tree(tree) == []
    assert "Buy a week" in tree.text_content()


def test_prune_keeps_a_box_that_holds_most_of_the_article() -> None:
    tree = page(f'<div class="post social-layout">{ARTICLE}</div><p>Footer words</p>')
    prune_tree(tree)
    assert all(line in tree.text_content() for line in BODY)


def test_prune_keeps_embedded_posts_quoted_in_the_article() -> None:
    tree = page(
        f"<article>{ARTICLE}"
        '<div class="social-embed"><blockquote>A resident posted: the new boats are great</blockquote></div>'
        "</article>"
    )
    prune_tree(tree)
    assert "the new boats are great" in tree.text_content()


def test_prune_removes_a_paragraph_that_is_one_link_in_capitals() -> None:
    tree = page(
        f"<article>{ARTICLE}"
        '<p><strong><a href="/other">FERRY STRIKE ENDS AFTER TWO DAYS</a></strong></p>'
        '<p><a href="/timetable">The full timetable is online</a></p>'
        "</article>"
    )
    removed = prune_tree(tree)
    text = tree.text_content()
    assert "FERRY STRIKE" not in text
    assert "The full timetable is online" in text
    assert removed == [("FERRY STRIKE ENDS AFTER TWO DAYS", "link to another story in capitals")]


def test_page_titles_are_the_titles_the_page_declares() -> None:
    tree = page(
        "<h1>Harbour approves timetable</h1>",
        head='<meta property="og:title" content="Harbour approves faster ferry timetable">'
        "<title>Ferry timetable | Gazette</title>",
    )
    assert page_titles(tree) == ["Harbour approves faster ferry timetable", "Ferry timetable | Gazette"]


def test_a_heading_the_page_does_not_declare_as_its_title_stays() -> None:
    html = (
        "<html><head><title>Gazette</title></head><body><article><h1>What changes for passengers</h1>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</article></body></html>"
    )
    assert extract_text(html).split("\n")[0] == "What changes for passengers"


# --------------------------------------------------------------------------- extract_text


PARAGRAPHS = [
    "The harbour authority approved the new ferry timetable on Monday after a consultation that lasted "
    "most of the summer and drew hundreds of written responses from residents and businesses.",
    "Under the plan, boats will leave every twenty minutes at peak hours, up from every half hour, and the "
    "last crossing of the evening will move from nine o'clock to eleven.",
    "Local traders said the change was overdue and would bring more visitors to the old town, where shops "
    "have struggled since the bridge closed for repairs in the spring.",
    "The operator said it would hire twelve more crew members before the timetable starts in October, and "
    "that fares would not change this year.",
]


def test_extract_text_returns_the_article_without_the_page_furniture() -> None:
    html = (
        "<html><head><title>Harbour approves faster ferry timetable | Gazette</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        "<article><h1>Harbour approves faster ferry timetable</h1>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "<p>Subscribe to the Gazette newsletter</p>"
        '<div class="related-stories"><h3>Related stories</h3><ul>'
        '<li><a href="/a">Ferry strike ends after two days</a></li>'
        '<li><a href="/b">New bridge opens to cyclists</a></li></ul></div>'
        "</article><footer>Contact us</footer></body></html>"
    )
    text, removed = extract_text_with_removals(html, "https://gazette.example/ferry")
    assert text.split("\n") == PARAGRAPHS
    assert extract_text(html, "https://gazette.example/ferry") == text
    assert any(reason == "newsletter/subscribe prompt" for _, reason in removed)
    assert "Ferry strike ends" not in text


def test_extract_text_of_a_page_without_an_article_has_no_article_text() -> None:
    assert len(extract_text("<html><body><nav>Home</nav></body></html>")) < MIN_TEXT_CHARS
    assert extract_text("") == ""


def test_wire_credits_at_the_end_go_and_a_contribution_line_stays() -> None:
    contributed = "Two colleagues in the capital contributed to this report."
    text = text_of(*BODY, contributed, "(Reporting by Jo Marsh; Editing by Sam Lee)")
    out, removed = strip_boilerplate(text)
    assert out.split("\n") == [*BODY, contributed]
    assert removed == [("(Reporting by Jo Marsh; Editing by Sam Lee)", "reporting credit")]


# --------------------------------------------------------------------------- subheadings


def _loose_page(*blocks: str) -> str:
    """A page whose paragraphs and subheadings sit straight in the body, with no article box."""
    return "<html><head><title>Gazette</title></head><body>" + "".join(blocks) + "</body></html>"


def test_subheadings_between_loose_paragraphs_stay_in_their_place() -> None:
    p = [f"<p>{text}</p>" for text in PARAGRAPHS]
    html = _loose_page(
        p[0], "<h2>What changes for passengers</h2>", '<p><img src="map.png"></p>', p[1],
        p[2], "<hr><h3>What the operator says</h3>", p[3],
    )  # fmt: skip
    assert extract_text(html).split("\n") == [
        PARAGRAPHS[0], "What changes for passengers", PARAGRAPHS[1],
        PARAGRAPHS[2], "What the operator says", PARAGRAPHS[3],
    ]  # fmt: skip


def test_subheadings_between_repeated_paragraphs_each_keep_their_own_place() -> None:
    same = f"<p>{PARAGRAPHS[0]}</p>"
    html = _loose_page(same, "<h2>Morning crossings</h2>", same, "<h2>Evening crossings</h2>", same)
    assert extract_text(html).split("\n") == [
        PARAGRAPHS[0], "Morning crossings", PARAGRAPHS[0], "Evening crossings", PARAGRAPHS[0],
    ]  # fmt: skip


def test_the_heading_of_a_box_of_links_between_paragraphs_is_not_put_back() -> None:
    html = _loose_page(
        *(f"<p>{text}</p>" for text in PARAGRAPHS[:2]),
        '<div class="more"><h3>Readers also viewed</h3><ul><li><a href="/a">Ferry strike ends</a></li>'
        '<li><a href="/b">Bridge opens to cyclists</a></li></ul></div>',
        *(f"<p>{text}</p>" for text in PARAGRAPHS[2:]),
    )
    text = extract_text(html)
    assert "Readers also viewed" not in text
    assert [line for line in text.split("\n") if line in PARAGRAPHS] == PARAGRAPHS
