"""A corpus for the web tests: the test backlog plus Korean, Russian and hostile-title reports, replayed
once per module through the real pipeline into a prefix of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from pipeline.clean import article_from_text
from pipeline.dedup import fingerprint
from pipeline.enrich import enrich
from pipeline.models import DedupVerdict, Record
from pipeline.record import build_record
from tests.conftest import TESTDATA, wipe
from workers.app import App
from workers.replay import replay
from workers.runner import workers
from workers.web.server import create_app

EXTRA = Path(__file__).resolve().parent / "testdata" / "extra.jsonl"
TOKEN = "test-token-0123456789abcdef"
HOSTILE = "Harbor council quotes <script>document.title='owned'</script> & <b>bold</b> words"


def corpus_settings(redis_url: str, prefix: str, data_dir: Path, **more: object) -> Settings:
    return Settings(
        redis_url=redis_url,
        key_prefix=prefix,
        data_dir=data_dir,
        allow_private_addresses=True,
        worker_threads=2,
        max_retries=1,
        **more,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def corpus(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    prefix = f"nwtest-{uuid.uuid4().hex[:10]}"
    settings = corpus_settings(redis_url, prefix, tmp_path_factory.mktemp("data"), api_token=TOKEN)
    try:
        with App.open(settings) as nw:
            with workers(nw, threads=2, queues={"articles"}):
                replay(nw, [TESTDATA / "backlog.jsonl", EXTRA], alerts=True)
            yield nw
    finally:
        wipe(redis_url, prefix)


@pytest.fixture(scope="module")
def client(corpus: App) -> Iterator[TestClient]:
    with TestClient(create_app(corpus), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture(scope="module")
def hostile(corpus: App) -> str:
    """A record whose title holds markup. The pipeline strips markup from what it stores
    (``pipeline.sanitize``), so this one is written to the store directly, as an older version
    or another writer could have: the pages must show it as text all the same."""
    article = article_from_text(
        url="https://harbortimes.example/local/2024/07/05/markup-in-title",
        text="The harbor council printed a visitor's comment as it was typed, markup and all, on its notice "
        "board.\n\nThe council said the board shows comments as plain text and that nothing on it runs.",
        source="Harbor Times",
        language="en",
        published_at="2024-07-05T08:00:00+00:00",
    )
    fps = fingerprint(article)
    enrichment = enrich(article, corpus.config.topic)

    def build(verdict: DedupVerdict, previous: Record | None) -> Record:
        record = build_record(article, fps, verdict, enrichment, previous)
        return record.model_copy(update={"title": HOSTILE})

    saved = corpus.store.save(article, fps, build)
    assert saved.record.title == HOSTILE
    return saved.record.id
