"""Site template learning, pure: which repeated lines are template and which are news."""

from __future__ import annotations

from pipeline.templates import (
    LineCount,
    SiteTemplates,
    fingerprint,
    fingerprints,
    strip_template_lines,
)

FOOTER = "Please direct questions or comments to the news desk"
QUOTE = '"We will not accept this," the minister said.'
BODY = [
    "The port authority approved the new ferry timetable after a long consultation with traders.",
    "Boats will leave every twenty minutes at peak hours, up from every half hour.",
    "Local shops expect more visitors in the old town this summer.",
]


def test_fingerprints_ignore_case_spacing_and_punctuation() -> None:
    assert fingerprint("MOST  POPULAR!") == fingerprint("most popular")
    assert fingerprint("Share") is None  # one word: left to the line rules
    assert fingerprint("x " * 200) is None  # a paragraph is never template
    assert fingerprints(["Related stories", "related stories", BODY[0]]) == [
        fingerprint("Related stories"),
        fingerprint(BODY[0]),
    ]


def test_a_line_in_nearly_every_article_of_a_source_is_stripped() -> None:
    text = "\n".join([*BODY, FOOTER])
    out, removed = strip_template_lines(
        text, SiteTemplates("Harbor Daily", {fingerprint(FOOTER) or "": LineCount(30, 31)})
    )
    assert out.split("\n") == BODY
    assert removed and removed[0][0] == FOOTER and "site template" in removed[0][1] and "30" in removed[0][1]


def test_a_quote_repeated_in_two_stories_is_news_not_template() -> None:
    text = "\n".join([BODY[0], QUOTE, BODY[1]])
    table = SiteTemplates("Harbor Daily", {fingerprint(QUOTE) or "": LineCount(2, 3)})
    assert strip_template_lines(text, table) == (text, [])
    # nor when it recurs now and then over many articles
    table = SiteTemplates("Harbor Daily", {fingerprint(QUOTE) or "": LineCount(8, 200)})
    assert strip_template_lines(text, table) == (text, [])


def test_an_article_is_never_emptied_by_template_lines() -> None:
    lines = [*BODY, FOOTER]
    table = SiteTemplates("Harbor Daily", {fingerprint(t) or "": LineCount(50, 50) for t in lines})
    text = "\n".join(lines)
    assert strip_template_lines(text, table) == (text, [])


def test_no_templates_known_changes_nothing() -> None:
    assert strip_template_lines("a b\nc d", None) == ("a b\nc d", [])
