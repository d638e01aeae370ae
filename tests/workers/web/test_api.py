"""The JSON API over a corpus replayed through the real pipeline: every route, its filters, its pages."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.workers.web.conftest import TOKEN
from workers import alerting
from workers.app import App

API = "/api/v1"


def get(client: TestClient, path: str, **params: Any) -> Any:
    resp = client.get(API + path, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def ids(client: TestClient, **params: Any) -> list[str]:
    return [r["id"] for r in get(client, "/records", limit=200, **params)["items"]]


def test_records_newest_first_and_every_page_once(client: TestClient, corpus: App) -> None:
    everything = get(client, "/records", limit=200)
    times = [r["published_at"] for r in everything["items"]]
    assert len(times) == corpus.redis.zcard(corpus.store.k.idx("time")) >= 8
    assert times == sorted(times, reverse=True) and everything["next_cursor"] is None
    walked, cursor, pages = [], None, 0
    while True:
        page = get(client, "/records", limit=3, **({"cursor": cursor} if cursor else {}))
        walked += [r["id"] for r in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == [r["id"] for r in everything["items"]] and pages == -(-len(walked) // 3)


def test_records_filters(client: TestClient, corpus: App) -> None:
    every = get(client, "/records", limit=200)["items"]
    by_id = {r["id"]: r for r in every}
    seoul = ids(client, source="Seoul Ledger")
    assert seoul and all(by_id[i]["source"] == "Seoul Ledger" for i in seoul)
    assert set(seoul) == {r["id"] for r in every if r["source"] == "Seoul Ledger"}
    on = ids(client, on_topic="true")
    assert set(on) == {r["id"] for r in every if r["on_topic"]} and len(on) < len(every)
    detentions = ids(client, event="detention")
    assert detentions and set(detentions) == {r["id"] for r in every if "detention" in r["events"]}
    both = ids(client, event="detention", source="Eastern Wire")
    assert both and set(both) == {i for i in detentions if by_id[i]["source"] == "Eastern Wire"}
    summer = ids(client, since="2024-06-01", until="2024-06-30T23:59:59Z")
    assert summer and all("2024-06" <= by_id[i]["published_at"] < "2024-07" for i in summer)
    baek = ids(client, entity="Baek Won-soon")
    assert len(baek) >= 3 and set(baek) == set(ids(client, case="baek-won-soon"))
    story = by_id[baek[0]]["story_id"]
    assert set(ids(client, story=story)) >= {baek[0]}


def test_records_text_search_in_three_scripts(client: TestClient) -> None:
    (korean,) = get(client, "/records", text="러시아")["items"]  # "러시아에서" in the lead
    assert korean["language"] == "ko" and "백원순" in korean["title"]
    (russian,) = get(client, "/records", text="посла")["items"]
    assert russian["title"].startswith("МИД России")
    found = get(client, "/records", text="Zakharova consular")["items"]
    assert found and all("Zakharova" in (r["title"] + r["lead"]) for r in found)
    assert get(client, "/records", text="nothing-like-this-anywhere")["items"] == []


def test_records_bad_input_gets_a_clear_error(client: TestClient) -> None:
    resp = client.get(API + "/records", params={"cursor": "garbage"})
    assert resp.status_code == 400 and "cursor" in resp.json()["detail"]
    resp = client.get(API + "/records", params={"limit": 0})
    assert resp.status_code == 422 and resp.json()["detail"].startswith("limit")
    resp = client.get(API + "/records", params={"since": "last tuesday"})
    assert resp.status_code == 422 and "since" in resp.json()["detail"]


def test_one_record_with_its_copies(client: TestClient) -> None:
    every = get(client, "/records", limit=200)["items"]
    copied = [r for r in every if r["title"] and "consular access for detained" in r["title"]]
    (original,) = copied
    data = get(client, f"/records/{original['id']}")
    assert data["record"]["text"].startswith("MOSCOW, March 13")
    assert [c["source"] for c in data["also_published_by"]] == ["Harbor Times"]
    copy = get(client, f"/records/{data['also_published_by'][0]['id']}")["record"]
    assert copy["dedup"]["duplicate_of"] == original["id"]
    resp = client.get(API + "/records/0000000000000000")
    assert resp.status_code == 404 and "no record" in resp.json()["detail"]


def test_stories_with_every_outlet_and_pages(client: TestClient) -> None:
    every = get(client, "/stories", limit=200)["items"]
    consular = next(s for s in every if "Harbor Times" in s["sources"] and "Eastern Wire" in s["sources"])
    assert {a["status"] for a in consular["articles"]} >= {"unique", "duplicate"}
    walked, cursor = [], None
    while True:
        page = get(client, "/stories", limit=2, **({"cursor": cursor} if cursor else {}))
        walked += [s["id"] for s in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert walked == [s["id"] for s in every]
    last = [s["last_seen"] for s in every]
    assert last == sorted(last, reverse=True)
    sanctions = get(client, "/stories", event="sanctions")["items"]
    assert sanctions and all("sanctions" in s["events"] for s in sanctions)
    assert len(sanctions) < len(every)
    one = get(client, f"/stories/{consular['id']}")
    assert one["articles"] == consular["articles"]
    assert client.get(API + "/stories/nope").status_code == 404


def test_cases_with_their_timeline(client: TestClient) -> None:
    (case,) = get(client, "/cases")
    assert case["person"] == "Baek Won-soon" and case["steps"] >= 2
    detail = get(client, f"/cases/{case['id']}")
    statuses = [s["status"] for s in detail["steps"]]
    assert {"detained", "custody_extended"} <= set(statuses)
    for step in detail["steps"]:
        assert step["evidence"] and step["sources"] and step["sources"][0]["url"].startswith("https://")
    assert {r["source"] for r in detail["records"]} >= {"Eastern Wire", "Seoul Ledger"}
    assert client.get(API + "/cases/nobody").status_code == 404


def test_alerts_delivery_dead_letters_and_retry(client: TestClient, corpus: App) -> None:
    data = get(client, "/alerts")
    assert data["items"] and data["dead_letters"] == []
    first = data["items"][0]
    assert set(first["delivery"]) == {"log", "feed"} and first["delivery"]["log"]["state"] == "pending"
    assert first["sources"] and first["alert"]["rule"] in ("detentions", "sanctions")
    key = first["alert"]["key"]
    alerting.set_state(corpus, key, "log", "dead", 16, "http_500: gave up")
    dead = get(client, "/alerts", dead="true")
    assert [a["alert"]["key"] for a in dead["items"]] == [key]
    assert dead["dead_letters"] == [{"key": key, "destination": "log"}]
    assert dead["items"][0]["delivery"]["log"] == {
        "state": "dead",
        "attempts": 16,
        "error": "http_500: gave up",
        "at": dead["items"][0]["delivery"]["log"]["at"],
    }
    refused = client.post(API + "/alerts/retry", json={})
    assert refused.status_code == 401 and get(client, "/alerts")["dead_letters"]
    resp = client.post(
        API + "/alerts/retry", json={"key": key[:8]}, headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert resp.status_code == 200 and resp.json() == {"queued": 1}
    assert get(client, "/alerts")["dead_letters"] == []
    assert alerting.delivery(corpus, key)["log"]["state"] == "pending"


def test_feeds_with_their_health(client: TestClient, corpus: App) -> None:
    feeds = get(client, "/feeds")
    assert len(feeds) == len(corpus.config.feeds.feeds)
    assert {f["status"] for f in feeds} == {"never polled"}
    one = feeds[0]
    corpus.redis.hset(
        corpus.store.k("feed", one["id"]),
        mapping={
            "last_status": "error",
            "last_error": "http_503: HTTP 503",
            "consecutive_errors": "3",
            "last_poll": "2024-07-01T10:00:00+00:00",
            "next_poll": "2024-07-01T10:40:00+00:00",
            "polls": "7",
        },
    )
    again = next(f for f in get(client, "/feeds") if f["id"] == one["id"])
    assert again["status"] == "error" and again["consecutive_errors"] == 3 and again["polls"] == 7
    assert again["last_error"] == "http_503: HTTP 503" and again["next_poll"].startswith("2024-07-01T10:40")


def test_stats_and_timeline(client: TestClient) -> None:
    every = get(client, "/records", limit=200)["items"]
    stats = get(client, "/stats")
    assert stats["records"] == len(every) and stats["on_topic"] == sum(r["on_topic"] for r in every)
    assert stats["duplicates"] >= 1 and stats["cases"] == 1
    assert stats["events"]["detention"] == sum("detention" in r["events"] for r in every)
    days = get(client, "/timeline", days=10)["days"]
    assert len(days) == 10 and days[-1]["date"] == "2024-07-04"  # up to the newest record
    assert [d["articles"] for d in days[-3:]] == [1, 1, 1]
    assert days[-2]["events"]["sanctions"] == 1
    march = get(client, "/timeline", days=31, until="2024-03-31")["days"]
    assert sum(d["articles"] for d in march) == sum(r["published_at"].startswith("2024-03") for r in every)
    assert sum(d["events"]["detention"] for d in march) >= 2


def test_openapi_document_names_every_route(client: TestClient) -> None:
    doc = client.get(API + "/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        f"{API}/{p}"
        for p in (
            "records",
            "records/{record_id}",
            "stories",
            "stories/{story_id}",
            "cases",
            "cases/{case_id}",
            "alerts",
            "alerts/retry",
            "feeds",
            "stats",
            "timeline",
        )
    }
    assert "RecordSummary" in doc["components"]["schemas"]


@pytest.mark.parametrize("path", ["/healthz", "/alerts.atom"])
def test_healthz_and_atom(client: TestClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 200 and resp.headers["x-content-type-options"] == "nosniff"


def test_a_page_reads_a_bounded_number_of_ids_and_its_cursor_goes_on(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers.web import queries

    full = ids(client, on_topic="true", source="Eastern Wire")
    assert len(full) >= 2
    monkeypatch.setattr(queries, "SCAN_BUDGET", 2)  # each page examines at most two ids of the index
    walked, cursor, pages = [], None, 0
    while True:
        page = get(
            client,
            "/records",
            on_topic="true",
            source="Eastern Wire",
            **({"cursor": cursor} if cursor else {}),
        )
        assert len(page["items"]) <= 2
        walked += [r["id"] for r in page["items"]]
        pages += 1
        if not (cursor := page["next_cursor"]):
            break
    assert walked == full and pages > 1
