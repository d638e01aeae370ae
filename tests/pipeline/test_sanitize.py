"""pipeline.sanitize: plain text out of whatever a source sends, the same on every pass."""

from __future__ import annotations

import pytest

from pipeline.errors import BadInput, Unusable
from pipeline.sanitize import check_size, optional_text, required_text, text

CASES = {
    "<script>alert(1)</script>Headline": "Headline",
    'Read <a href="javascript:alert(1)">this</a> now': "Read this now",
    "Before <svg onload=alert(1)> after": "Before after",
    "Cut off <svg onload=alert(1)//": "Cut off svg onload=alert(1)//",
    "&lt;script&gt;alert(1)&lt;/script&gt;Escaped once": "Escaped once",
    "&amp;lt;img src=x onerror=alert(1)&amp;gt;Escaped twice": "Escaped twice",
    "AT&T and Tom &amp; Jerry": "AT&T and Tom & Jerry",
    "Prices: 3 < 5 > 2": "Prices: 3 < 5 > 2",
    "bell\x07 escape\x1b[31m lone\ud800 surrogate": "bell escape[31m lone surrogate",
    "&#x1b;&#0;decoded controls": "\ufffddecoded controls",
}


@pytest.mark.parametrize("raw", list(CASES))
def test_markup_stripped_entities_decoded_controls_dropped_and_idempotent(raw: str) -> None:
    once = text(raw, multiline=False)
    assert once == CASES[raw]
    assert text(once, multiline=False) == once


def test_paragraphs_survive_in_multiline_text() -> None:
    assert text("<p>One.</p>\n<p>Two <b>bold</b>.</p>").strip() == "One.\n\nTwo bold."


def test_fields_of_the_wrong_type_are_warnings_or_typed_errors() -> None:
    assert optional_text(42, "title") == (None, "title: expected text, got int; ignored")
    assert optional_text("x\ud800y", "title") == (
        "xy",
        "title: control characters or lone surrogates dropped",
    )
    assert optional_text("  ", "title") == (None, None)
    with pytest.raises(BadInput):
        required_text(["a"], "text")


def test_one_size_cap_in_bytes() -> None:
    check_size("é" * 500, 1000, "text")
    with pytest.raises(Unusable) as info:
        check_size("é" * 501, 1000, "text")
    assert info.value.code == "too_large"
