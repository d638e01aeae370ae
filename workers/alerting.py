"""Raising alerts: claiming each one once in Redis, adding sources to alerts already raised.

An alert's key is its identity (``pipeline.alerts.alert_key``). Claiming is one Lua script, so
"store the alert if it is new, queue it for delivery and index it" cannot half-happen: the first
report of a thing raises the alert, every later report (another outlet, a replay, a redelivered
message) only adds its record to the alert's sources.

Keys: ``{p}:alert:{key}`` the alert (JSON); ``{p}:alert:{key}:sources`` record ids;
``{p}:alerts:index`` every alert by creation time; ``{p}:alerts:pending`` alerts waiting for
delivery; ``{p}:stream:alerts`` new alerts for downstream consumers.
"""

from __future__ import annotations

import structlog

from pipeline.alerts import match
from pipeline.models import Alert, Record
from workers.app import App

log = structlog.get_logger(__name__)

# KEYS: alert, sources, index, pending, stream. ARGV: alert JSON, record id, created (epoch s), key, rule.
CLAIM = """
local new = redis.call('SET', KEYS[1], ARGV[1], 'NX')
redis.call('SADD', KEYS[2], ARGV[2])
if new then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
  redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', 100000, '*', 'key', ARGV[4], 'rule', ARGV[5], 'record', ARGV[2])
  return 1
end
return 0
"""


def claim(app: App, alert: Alert, record_id: str) -> bool:
    """Store the alert if it is new (True); else only add the record to its sources (False)."""
    k = app.store.k
    keys = [
        k("alert", alert.key),
        k("alert", alert.key, "sources"),
        k("alerts", "index"),
        k("alerts", "pending"),
        k("stream", "alerts"),
    ]
    args = [alert.model_dump_json(), record_id, alert.created_at.timestamp(), alert.key, alert.rule]
    return bool(app.redis.eval(CLAIM, len(keys), *keys, *args))


def raise_alerts(app: App, record: Record) -> list[Alert]:
    """The alerts a record raises that were not raised before; each is queued for delivery."""
    fired = []
    for alert in match(record, app.config.alerts):
        if claim(app, alert, record.id):
            fired.append(alert)
            log.info("alert_raised", alert_key=alert.key, rule=alert.rule, event_type=alert.event_type)
            app.send("deliver_alert", alert_key=alert.key)
    return fired


def get(app: App, key: str) -> Alert | None:
    raw = app.redis.get(app.store.k("alert", key))
    return Alert.model_validate_json(raw) if raw else None


def delivered(app: App, key: str, destination: str, state: str) -> None:
    with app.redis.pipeline(transaction=True) as pipe:
        pipe.hset(app.store.k("alert", key, "delivery"), destination, state)
        pipe.zrem(app.store.k("alerts", "pending"), key)
        pipe.execute()
