"""The dashboard's pages as served HTML (JavaScript plays no part in what they show)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from workers.app import App


class Scripts(HTMLParser):
    """Every <script> element of a page: its src and whether it has a body."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str | None, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs).get("src") or ""
            self.found.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None and data.strip():
            src, _ = self.found[-1]
            self.found[-1] = (src, data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def page(client: TestClient, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html; charset=utf-8")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    return resp.text


def test_home_shows_the_week_and_the_chart(client: TestClient) -> None:
    html = page(client, "/")
    assert '<figure class="chart" id="chart">' in html and "<svg" in html
    bars = re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#', html)
    assert bars and all(float(h) > 0 for h in bars)
    assert "New stories by event type" in html and "Cases that moved" in html
    assert "Baek Won-soon" in html  # the case moved in the last days up to the newest record
    assert "МИД России вызвал посла" in html and "백원순" in html


def test_search_page_finds_records_with_the_form_kept(client: TestClient) -> None:
    html = page(client, "/search?q=Zakharova&on_topic=1")
    assert 'value="Zakharova"' in html and "checked" in html
    assert "Moscow studying consular access" in html
    assert "No record matches" in page(client, "/search?q=nothing-here-at-all")
    assert "No record matches" not in page(client, "/search")  # nothing asked, nothing answered


def test_story_page_lists_every_source_with_copies_folded(client: TestClient) -> None:
    story = next(
        s
        for s in client.get("/api/v1/stories", params={"limit": 200}).json()["items"]
        if len(s["sources"]) > 1
    )
    html = page(client, f"/stories/{story['id']}")
    for source in story["sources"]:
        assert f'<span class="source">{source}</span>' in html
    assert '<details class="copies">' in html and "also published by Harbor Times" in html
    assert client.get("/stories/unknown").status_code == 404


def test_case_page_shows_the_timeline_with_evidence_and_sources(client: TestClient) -> None:
    html = page(client, "/cases/baek-won-soon")
    steps = re.findall(r'<li class="step">(.*?)</li>', html, re.S)
    assert len(steps) >= 2
    for step in steps:
        assert "<blockquote>" in step and 'href="/records/' in step
    statuses = [re.search(r'<div class="status tag">(.*?)</div>', step).group(1) for step in steps]  # type: ignore[union-attr]
    assert {"detained", "custody extended"} <= set(statuses)
    assert "Baek Won-soon" in page(client, "/cases")


def test_feeds_alerts_and_record_pages(client: TestClient) -> None:
    assert "never polled" in page(client, "/feeds")
    alerts = page(client, "/alerts")
    assert "detentions" in alerts and 'name="token"' in alerts
    rec = client.get("/api/v1/records", params={"text": "посла"}).json()["items"][0]
    html = page(client, f"/records/{rec['id']}")
    assert 'lang="ru"' in html and "Министерство иностранных дел России" in html


def test_a_hostile_title_is_shown_as_text_everywhere(client: TestClient, hostile: str) -> None:
    escaped = "Harbor council quotes &lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt; &amp; &lt;b&gt;bold"
    for path in (f"/records/{hostile}", "/search?q=harbor+council+quotes"):
        html = page(client, path)
        assert escaped in html, path
        parser = Scripts()
        parser.feed(html)
        assert parser.found == [("/static/app.js", "")], path  # only our own script, none inline
        assert "<b>bold" not in html


def test_links_out_are_http_only(client: TestClient, corpus: App, hostile: str) -> None:
    from workers.web.pages import safe_url

    assert safe_url("javascript:alert(1)") == "#" and safe_url("https://a.example/x") == "https://a.example/x"
    assert 'href="javascript:' not in page(client, f"/records/{hostile}")


def test_bad_search_input_is_a_clear_error(client: TestClient) -> None:
    resp = client.get("/search", params={"q": "x", "since": "yesterday"})
    assert resp.status_code == 422 and "since" in resp.text and "<" not in resp.text


def test_the_retry_form_needs_the_token_in_its_field(client: TestClient, corpus: App) -> None:
    from tests.workers.web.conftest import TOKEN
    from workers import alerting

    key = client.get("/api/v1/alerts").json()["items"][-1]["alert"]["key"]
    alerting.set_state(corpus, key, "feed", "dead", 3, "gave up")
    form = {"key": key, "token": "not-the-token-at-all"}
    refused = client.post("/alerts/retry", data=form, follow_redirects=False)
    assert refused.status_code == 401 and alerting.delivery(corpus, key)["feed"]["state"] == "dead"
    done = client.post("/alerts/retry", data={**form, "token": TOKEN}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/alerts?queued=1"
    assert alerting.delivery(corpus, key)["feed"]["state"] == "pending"
    assert "1 deliveries queued again." in page(client, done.headers["location"])
