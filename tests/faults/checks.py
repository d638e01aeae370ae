"""The three things every fault case asserts, against the real Redis and a real receiver.

1. every input ends as a record or a recorded outcome (nothing silently lost);
2. no record is doubled (one primary record per canonical URL, one per body);
3. no alert is delivered under two ids (each alert reaches a receiver under one webhook-id, and
   one (rule, subject, event, status) is one alert).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pipeline.models import Alert, Record
from tests.workers.test_notify import Receiver
from workers import alerting
from workers.app import App


def records(app: App) -> list[Record]:
    found = []
    for key in app.redis.scan_iter(match=app.store.k("article", "*"), count=1000):
        raw = app.redis.get(key)
        if raw:
            found.append(Record.model_validate_json(raw))
    return found


def no_record_doubled(app: App) -> list[Record]:
    """Every record once: no two primary records share a canonical URL, an id or a body."""
    found = records(app)
    primary = [r for r in found if r.dedup.status not in ("duplicate", "near_duplicate")]
    by_url = Counter(r.canonical_url for r in primary)
    by_body = Counter(r.content_hash for r in primary)
    assert not [u for u, n in by_url.items() if n > 1], f"records doubled by URL: {by_url.most_common(3)}"
    assert not [h for h, n in by_body.items() if n > 1], f"records doubled by body: {by_body.most_common(3)}"
    indexed = app.redis.zrange(app.store.k("idx", "time"), 0, -1)
    assert len(indexed) == len(set(indexed)) == len(primary)
    return found


def every_input_accounted(app: App, run_id: str, summary: dict[str, Any], read: int) -> None:
    """A replay read ``read`` items, and each ended as a counted outcome (none lost, none twice)."""
    assert summary["read"] == read
    outcomes = sum(int(summary[k]) for k in summary if k not in ("run_id", "read", "alerts"))
    assert outcomes == read, summary
    for value in app.store.run_outcomes(run_id).values():
        assert not value["detail"].startswith("lost"), value


def no_alert_under_two_ids(app: App, rcv: Receiver | None = None) -> list[Alert]:
    """Each alert stored once, and delivered (2xx) to a receiver under one webhook-id only."""
    keys = app.redis.zrange(app.store.k("alerts", "index"), 0, -1)
    assert len(keys) == len(set(keys))
    alerts = [a for a in (alerting.get(app, key) for key in keys) if a is not None]
    assert len(alerts) == len(keys)
    if rcv is not None:
        ids_of: dict[str, set[str]] = {}
        alerts_of: dict[str, set[str]] = {}
        for hit in rcv.accepted():
            key = json.loads(hit.body)["data"]["id"]
            ids_of.setdefault(key, set()).add(hit.webhook_id or "")
            alerts_of.setdefault(hit.webhook_id or "", set()).add(key)
        assert all(len(ids) == 1 for ids in ids_of.values()), ids_of
        assert all(len(keys) == 1 for keys in alerts_of.values()), alerts_of
    return alerts
