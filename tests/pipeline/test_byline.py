"""A page's byline: the one trafilatura's own author search finds, found at a third of its cost.

All pages are made up for these tests.
"""

from __future__ import annotations

import copy

import pytest
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.metadata import extract_metainfo
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from pipeline.byline import find_byline
from pipeline.clean import parse_html

STORY = "<p>The harbour authority approved the new ferry timetable on Monday after a long consultation.</p>"


def page(body: str) -> str:
    return f"<html><head><title>Gazette</title></head><body>{body}{STORY}</body></html>"


PAGES = {
    # the byline as the page writes it -> what a reader would call its author
    "link with rel=author": (page('<p>By <a rel="author" href="/staff/ana">Ana Ortiz</a></p>'), "Ana Ortiz"),
    "class byline with a time in it": (
        page('<div class="byline">By Jonas Berg <time>12 March</time>, harbour reporter</div>'),
        "By Jonas Berg , harbour reporter",
    ),
    "itemprop author": (page('<span itemprop="author">Mira Okafor</span>'), "Mira Okafor"),
    "author name class": (page('<span class="article-author-name">Lena Park</span>'), "Lena Park"),
    "author box by id, after a comments box naming another author": (
        page(
            '<section id="comments"><span class="author">A. Reader</span> wrote: nice</section>'
            '<div id="authorbox"><b>Sam Rivera</b></div>'
        ),
        "Sam Rivera",
    ),
    "a sidebar author is no byline": (
        page('<div class="sidebar"><span class="author">Columnist of the week</span></div>'),
        None,
    ),
    "a figure credit is no byline": (
        page('<figure><img src="a.png"><span class="author">Photo desk</span></figure>'),
        None,
    ),
    "a name too long to be one": (page(f'<span class="author">{"word " * 40}</span>'), None),
    "the first search wins over an earlier generic match": (
        page('<div class="posted-by">Desk</div><p class="author">Kim Lee</p>'),
        "Kim Lee",
    ),
    "last resort: a writer class on any element": (
        page('<li class="writer">Ola Nordmann</li>'),
        "Ola Nordmann",
    ),
    "no byline at all": (page("<p>Filed from the harbour.</p>"), None),
}


def trafilatura_byline(html: str) -> str | None:
    tree = parse_html(html)
    assert tree is not None
    return extract_metainfo(prune_unwanted_nodes(tree, AUTHOR_DISCARD_XPATHS), AUTHOR_XPATHS, len_limit=120)


@pytest.mark.parametrize("name", list(PAGES))
def test_the_byline_is_the_one_trafilatura_finds(name: str) -> None:
    html, expected = PAGES[name]
    tree = parse_html(html)
    assert tree is not None
    before = copy.deepcopy(tree)
    assert find_byline(tree) == expected
    assert trafilatura_byline(html) == expected
    assert [el.tag for el in tree.iter()] == [el.tag for el in before.iter()]  # the page is left as it is
