"""Raising alerts: claiming each one once in Redis, adding sources to alerts already raised.

An alert's key is its identity (``pipeline.alerts``: rule, story or case, event type, case
status). Claiming is one Lua script, so "store the alert if it is new, index it, set up its
delivery" cannot half-happen: the first report of a thing raises the alert; every later
report (another outlet, a copy, a replay, a redelivered message) only adds its record to the
alert's sources. Delivery messages are sent after the claim; a crash between the two leaves
the alert ``pending`` in its delivery hash, and ``newswatch alerts retry --pending`` sends it.

Keys (prefix ``p``):

- ``{p}:alert:{key}`` the alert (JSON); ``{p}:alert:{key}:sources`` record ids;
  ``{p}:alert:{key}:delivery`` destination -> delivery state (JSON: state, attempts, error, at)
- ``{p}:alerts:index`` every alert by creation time; ``{p}:alerts:pending`` alerts with a
  destination not yet delivered; ``{p}:alerts:dead`` ``{key}:{destination}`` pairs that gave up
  (the dead-letter list); ``{p}:stream:alerts`` new alerts for downstream consumers
- ``{p}:alerts:story:{story_id}`` alert keys raised for a story (its copies join them)
- ``{p}:alerts:latest:{base}`` the newest alert of a repeatable case step (custody extended)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import structlog

from pipeline.alerts import COPY_STATUSES, plan
from pipeline.models import Alert, CaseStep, Record
from workers.app import App

log = structlog.get_logger(__name__)

STATES = ("pending", "retrying", "delivered", "dead")

# KEYS: alert, sources, index, pending, stream, delivery, story set (or ""), latest pointer.
# ARGV: alert JSON, record id, created (epoch s), key, rule, pending-state JSON, destinations...
CLAIM = """
local new = redis.call('SET', KEYS[1], ARGV[1], 'NX')
redis.call('SADD', KEYS[2], ARGV[2])
if new then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
  redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', 100000, '*', 'key', ARGV[4], 'rule', ARGV[5], 'record', ARGV[2])
  for i = 7, #ARGV do
    redis.call('HSETNX', KEYS[6], ARGV[i], ARGV[6])
  end
  if KEYS[7] ~= KEYS[1] then
    redis.call('SADD', KEYS[7], ARGV[4])
  end
  redis.call('SET', KEYS[8], ARGV[4])
  return 1
end
return 0
"""

# KEYS: story set (or the first sources key again: none), then one sources set per alert.
# ARGV: record id, then the alert keys. Adds the record to each alert present (and the alert to the story).
JOIN = """
local n = 0
for i = 2, #KEYS do
  local alert = string.sub(KEYS[i], 1, -9)
  if redis.call('EXISTS', alert) == 1 then
    n = n + redis.call('SADD', KEYS[i], ARGV[1])
    if KEYS[1] ~= KEYS[2] then
      redis.call('SADD', KEYS[1], ARGV[i])
    end
  end
end
return n
"""


def enqueue(app: App, alert_key: str, destination: str, *, delay_s: float = 0.0) -> None:
    """Queue one delivery, with the retry schedule of the settings."""
    s = app.settings
    app.send_with_options(
        "deliver_alert",
        {"alert_key": alert_key, "destination": destination},
        delay_ms=int(delay_s * 1000) or None,
        max_retries=s.alert_max_retries,
        min_backoff=max(1, int(s.alert_min_backoff_s * 1000)),
        max_backoff=max(1, int(s.alert_max_backoff_s * 1000)),
    )


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def state_json(state: str, attempts: int = 0, error: str = "") -> str:
    return json.dumps({"state": state, "attempts": attempts, "error": error, "at": now_iso()})


def claim(app: App, alert: Alert, record_id: str) -> bool:
    """Store the alert if it is new (True); else only add the record to its sources (False)."""
    k = app.store.k
    story = k("alerts", "story", alert.story_id) if alert.story_id else k("alert", alert.key)
    keys = [
        k("alert", alert.key),
        k("alert", alert.key, "sources"),
        k("alerts", "index"),
        k("alerts", "pending"),
        k("stream", "alerts"),
        k("alert", alert.key, "delivery"),
        story,
        k("alerts", "latest", alert.base_key or alert.key),
    ]
    dests = destinations(app, alert.rule)
    args = [
        alert.model_dump_json(),
        record_id,
        alert.created_at.timestamp(),
        alert.key,
        alert.rule,
        state_json("pending"),
        *dests,
    ]
    return bool(app.redis.eval(CLAIM, len(keys), *keys, *args))


def join(app: App, keys: Sequence[str], record_id: str, story_id: str | None = None) -> int:
    """Add a record to the sources of those of these alerts that exist; the number it was new to.

    With ``story_id``, the alerts found are also listed under that story, so its copies find them.
    """
    if not keys:
        return 0
    sources = [app.store.k("alert", key, "sources") for key in keys]
    story = app.store.k("alerts", "story", story_id) if story_id else sources[0]
    return int(app.redis.eval(JOIN, len(sources) + 1, story, *sources, record_id, *keys))


def _resolve(app: App, bases: Sequence[str]) -> list[str]:
    """Alert keys for base keys: the newest alert of a repeatable step, else the base itself."""
    if not bases:
        return []
    latest = app.redis.mget([app.store.k("alerts", "latest", b) for b in bases])
    return [cur or base for base, cur in zip(bases, latest, strict=True)]


def _raised_for_story(app: App, story_id: str | None) -> dict[tuple[str, str, str | None], str]:
    """The story alerts raised for a story (and the stories merged into it): (rule, event, status) -> key."""
    if not story_id:
        return {}
    keys = sorted(app.redis.smembers(app.store.k("alerts", "story", story_id)))
    found: dict[tuple[str, str, str | None], str] = {}
    for key, raw in zip(
        keys, app.redis.mget([app.store.k("alert", key) for key in keys]) if keys else [], strict=True
    ):
        if raw:
            alert = Alert.model_validate_json(raw)
            if alert.subject.startswith("story:"):
                found.setdefault((alert.rule, alert.event_type, alert.status), key)
    return found


def raise_alerts(app: App, record: Record, steps: Sequence[CaseStep] | None = None) -> list[Alert]:
    """The alerts a record raises that were not raised before; each is queued for delivery.

    ``steps``: the case steps the ledger found new in this record (``workers.cases.update_cases``);
    ``None`` when no ledger was consulted. A copy (duplicate, near-duplicate) raises nothing and
    adds its record to the alerts of its story; a report of a step already alerted on adds its
    record to that alert.
    """
    if record.dedup.status in COPY_STATUSES:
        if record.dedup.status != "unchanged" and record.story_id:
            keys = sorted(app.redis.smembers(app.store.k("alerts", "story", record.story_id)))
            added = join(app, keys, record.id)
            if added:
                log.info("alert_sources_added", count=added, record_id=record.id)
        return []
    outcome = plan(record, app.config.alerts, steps)
    fired = []
    copies = None
    raised = _raised_for_story(app, record.story_id)
    for alert in outcome.raise_.values():
        same = raised.get((alert.rule, alert.event_type, alert.status))
        if alert.subject.startswith("story:") and same and same != alert.key:
            # a story merged from two already has this alert (raised under the other's id): a source
            join(app, [same], record.id, record.story_id)
            continue
        if claim(app, alert, record.id):
            fired.append(alert)
            log.info(
                "alert_raised",
                alert_key=alert.key,
                rule=alert.rule,
                event_type=alert.event_type,
                status=alert.status,
                subject=alert.subject,
            )
            for dest in destinations(app, alert.rule):
                enqueue(app, alert.key, dest, delay_s=app.settings.alert_hold_s)
        # copies of this record stored before its alert existed (workers race) join it now
        if copies is None:
            copies = [c.id for c in app.store.copies(record.id)]
        for copy_id in copies:
            join(app, [alert.key], copy_id)
    join(app, _resolve(app, sorted(outcome.join)), record.id, record.story_id)
    return fired


def destinations(app: App, rule: str) -> list[str]:
    found = next((r for r in app.config.alerts.rules if r.name == rule), None)
    return list(found.destinations) if found else []


def get(app: App, key: str) -> Alert | None:
    raw = app.redis.get(app.store.k("alert", key))
    return Alert.model_validate_json(raw) if raw else None


def delivery(app: App, key: str) -> dict[str, dict[str, Any]]:
    """Destination -> {state, attempts, error, at} of one alert."""
    raw = app.redis.hgetall(app.store.k("alert", key, "delivery"))
    return {dest: json.loads(value) for dest, value in raw.items()}


def set_state(app: App, key: str, destination: str, state: str, attempts: int = 0, error: str = "") -> None:
    """Record a destination's delivery state; keep the pending and dead-letter lists in step."""
    k = app.store.k
    with app.redis.pipeline(transaction=True) as pipe:
        pipe.hset(k("alert", key, "delivery"), destination, state_json(state, attempts, error))
        if state == "dead":
            pipe.zadd(k("alerts", "dead"), {f"{key}:{destination}": datetime.now(UTC).timestamp()})
        else:
            pipe.zrem(k("alerts", "dead"), f"{key}:{destination}")
        pipe.hincrby(k("metrics", "alert_deliveries"), state, 1)  # workers.metrics
        pipe.hvals(k("alert", key, "delivery"))
        values = pipe.execute()[-1]
    if all(json.loads(v)["state"] in ("delivered", "dead") for v in values):
        app.redis.zrem(k("alerts", "pending"), key)
    else:
        app.redis.zadd(k("alerts", "pending"), {key: datetime.now(UTC).timestamp()}, nx=True)


def sources(app: App, key: str) -> list[Record]:
    """The records that reported an alert's thing, oldest first."""
    ids = sorted(app.redis.smembers(app.store.k("alert", key, "sources")))
    records = [r for r in (app.store.get(i) for i in ids) if r is not None]
    return sorted(records, key=lambda r: r.sort_time)


def dead_letters(app: App) -> list[tuple[str, str]]:
    """(alert key, destination) of every delivery that gave up, oldest first."""
    members = app.redis.zrange(app.store.k("alerts", "dead"), 0, -1)
    return [(m.partition(":")[0], m.partition(":")[2]) for m in members]


def recent(app: App, limit: int = 50) -> list[Alert]:
    """The newest alerts first."""
    keys = app.redis.zrevrange(app.store.k("alerts", "index"), 0, limit - 1)
    return [a for a in (get(app, key) for key in keys) if a is not None]
