"""The extraction guard: hostile pages are rejected in time and the worker goes on."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import Settings
from pipeline.errors import Unusable
from pipeline.models import Page
from workers import guard
from workers.app import App
from workers.replay import replay
from workers.runner import workers

DEMO = Path(__file__).resolve().parents[2] / "workers" / "demo" / "site"


@pytest.fixture(autouse=True)
def logs_to_a_live_stream() -> Iterator[None]:
    """Log to the real stderr here: a command run by an earlier test may have left logging
    pointed at a stream that is closed now, and the guard logs every timeout."""
    import logging
    import sys

    import structlog

    saved = structlog.get_config()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.__stderr__))
    root = logging.getLogger()
    handlers = list(root.handlers)
    root.handlers[:] = [logging.StreamHandler(sys.__stderr__)]
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers


def demo_html(path: str) -> str:
    return (DEMO / path).read_text().replace("{base}", "https://eastwire.example")


def slow_page() -> str:
    """Within the size and element caps, but seconds of work: 50,000 paragraphs."""
    body = "".join(
        f"<p>Paragraph {i} is about the harbour and the ferry timetable.</p>" for i in range(50_000)
    )
    return f"<html><body>{body}</body></html>"


def test_hostile_pages_are_rejected_in_time_and_the_worker_goes_on(
    settings: Settings, tmp_path: Path
) -> None:
    lines = [
        {
            "url": "https://hostile.example/huge",
            "html": "<html><body><p>" + "x" * (20 * 1024 * 1024) + "</p></body></html>",
        },
        {
            "url": "https://hostile.example/deep",
            "html": "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "</body></html>",
        },
        {"url": "https://hostile.example/slow", "html": slow_page()},
        {
            "url": "https://eastwire.example/world/2024/03/13/baek",
            "html": demo_html("eastwire/2024/03/baek-consular-access.html"),
        },
    ]
    backlog = tmp_path / "hostile.jsonl"
    backlog.write_text("".join(json.dumps(line) + "\n" for line in lines))
    started = time.monotonic()
    with (
        App.open(settings.model_copy(update={"extract_timeout_s": 1.0})) as nw,
        workers(nw, threads=1, queues={"articles", "alerts"}),
    ):
        result = replay(nw, [backlog], timeout_s=60)
    elapsed = time.monotonic() - started
    summary = result.summary()
    assert summary["read"] == 4
    assert summary["rejected"] == 3
    assert summary["stored"] + summary["off_topic"] == 1  # the ordinary page after them went through
    reasons = " ".join(detail for _, detail in result.problems)
    assert "too_large" in reasons and "too_complex" in reasons and "timeout" in reasons
    assert elapsed < 30  # the slow page was stopped at its limit, not run to the end


def test_after_a_timeout_the_next_page_is_cleaned_by_a_fresh_process() -> None:
    proc = guard.CleanerProcess()
    try:
        start = time.monotonic()
        with pytest.raises(Unusable) as info:
            proc.clean(
                Page(url="https://h.example/slow", html=slow_page()), timeout_s=0.5, max_html_bytes=10**8
            )
        assert info.value.code == "timeout"
        assert time.monotonic() - start < 5
        page = Page(
            url="https://eastwire.example/a", html=demo_html("eastwire/2024/03/baek-consular-access.html")
        )
        article = proc.clean(page, timeout_s=20, max_html_bytes=10**8)
        assert "Baek" in article.text and proc.restarts == 1
    finally:
        proc.close()


def test_rejections_inside_the_child_keep_their_code() -> None:
    proc = guard.CleanerProcess()
    try:
        with pytest.raises(Unusable) as info:
            proc.clean(
                Page(url="https://h.example/", html="<html><body><nav>Home</nav></body></html>"),
                timeout_s=20,
                max_html_bytes=10**8,
            )
        assert info.value.code == "no_text"
    finally:
        proc.close()


def test_the_guard_costs_little_over_cleaning_in_the_thread() -> None:
    from pipeline.clean import clean

    page = Page(
        url="https://eastwire.example/a", html=demo_html("eastwire/2024/03/baek-consular-access.html")
    )
    proc = guard.CleanerProcess()
    try:
        proc.clean(page, timeout_s=20, max_html_bytes=10**8)  # start the child outside the clock
        clean(page)
        n = 20
        start = time.perf_counter()
        for _ in range(n):
            clean(page)
        direct = (time.perf_counter() - start) / n
        start = time.perf_counter()
        for _ in range(n):
            proc.clean(page, timeout_s=20, max_html_bytes=10**8)
        guarded = (time.perf_counter() - start) / n
    finally:
        proc.close()
    print(f"clean in thread {direct * 1000:.2f} ms, in the guard's process {guarded * 1000:.2f} ms")
    assert guarded - direct < 0.02  # a pipe round trip, not a process start


def test_enrichment_in_the_child_follows_the_topic_it_is_given() -> None:
    """The child keeps the topic it was sent; a changed topic (a reloaded configuration) reaches it,
    and so does the topic after the child was replaced."""
    from config.loader import load_config
    from pipeline.record import prepare

    topic = load_config(Path(__file__).resolve().parents[2] / "config").topic
    never = topic.model_copy(update={"on_topic_threshold": 1.01})  # nothing scores above 1
    page = Page(
        url="https://eastwire.example/a", html=demo_html("eastwire/2024/03/baek-consular-access.html")
    )
    proc = guard.CleanerProcess()
    try:
        article, prepared = proc.prepare(page, topic, timeout_s=20, max_html_bytes=10**8)
        assert prepared.enrichment.on_topic
        assert prepared == prepare(article, topic)  # the same as enriching in the worker
        assert [e.type for e in prepared.enrichment.events]
        _, again = proc.prepare(page, never, timeout_s=20, max_html_bytes=10**8)
        assert not again.enrichment.on_topic
        proc.close()  # a new child holds no topic until it is sent one
        _, fresh = proc.prepare(page, topic, timeout_s=20, max_html_bytes=10**8)
        assert fresh.enrichment.on_topic
    finally:
        proc.close()


def test_worker_threads_share_the_pools_cleaners_and_wait_for_a_free_one() -> None:
    """Three threads cleaning at once with one cleaner: each page is cleaned, in one child process;
    a slow page that times out frees its cleaner for the next caller."""
    import threading

    page = Page(
        url="https://eastwire.example/a", html=demo_html("eastwire/2024/03/baek-consular-access.html")
    )
    guard.close_all()
    guard.configure(1)
    try:
        texts: list[str] = []
        errors: list[BaseException] = []

        def clean_one() -> None:
            try:
                texts.append(guard.clean_guarded(page, timeout_s=20, max_html_bytes=10**8).text)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=clean_one) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors and len(texts) == 3 and all("Baek" in t for t in texts)
        assert guard.pool.started() == 1
        with pytest.raises(Unusable) as info:
            guard.clean_guarded(
                Page(url="https://h.example/slow", html=slow_page()), timeout_s=0.5, max_html_bytes=10**8
            )
        assert info.value.code == "timeout"
        assert "Baek" in guard.clean_guarded(page, timeout_s=20, max_html_bytes=10**8).text
        assert guard.pool.started() == 1
    finally:
        guard.close_all()
        guard.configure()
    assert guard.pool.started() == 0


def test_a_cleaner_whose_answer_was_never_read_is_not_lent_again() -> None:
    """A thread that sent a page and failed before reading the answer gives the cleaner back: that
    child is stopped, so the next page's answer cannot be the abandoned page's."""
    first = Page(
        url="https://eastwire.example/a", html=demo_html("eastwire/2024/03/baek-consular-access.html")
    )
    other_text = "\n".join(
        f"<p>Harbour pilots in Kelmouth logged {n} more night arrivals than the season before.</p>"
        for n in range(12)
    )
    second = Page(
        url="https://harbour.example/b",
        html=f"<html><head><title>Pilots</title></head><body><article>{other_text}</article></body></html>",
    )
    guard.close_all()
    guard.configure(1)
    try:
        proc = guard.pool.take()
        proc.begin(first, None, timeout_s=20, max_html_bytes=10**8)
        with pytest.raises(RuntimeError):  # one page at a time
            proc.begin(second, None, timeout_s=20, max_html_bytes=10**8)
        guard.pool.give(proc)  # its answer unread
        assert guard.pool.started() == 0
        again = guard.pool.take()
        try:
            article, _ = again.answer(again.begin(second, None, timeout_s=20, max_html_bytes=10**8))
        finally:
            guard.pool.give(again)
        assert "Kelmouth" in article.text and "Baek" not in article.text
        assert guard.pool.started() == 1
    finally:
        guard.close_all()
        guard.configure()
