"""Delivering an alert to its rule's destinations.

Delivery runs in its own actor (queue ``alerts``), so a slow receiver never
delays ingestion. An alert already delivered to a destination is not sent
there again when its message is redelivered.
"""

from __future__ import annotations

import structlog

from pipeline.errors import PermanentError
from workers import alerting
from workers.app import App
from workers.http import raise_for_status

log = structlog.get_logger(__name__)


def deliver(app: App, alert_key: str) -> None:
    alert = alerting.get(app, alert_key)
    if alert is None:
        log.warning("alert_missing")
        return
    rule = next((r for r in app.config.alerts.rules if r.name == alert.rule), None)
    if rule is None:
        log.warning("alert_rule_gone", rule=alert.rule)
        alerting.delivered(app, alert_key, "-", "rule removed")
        return
    done = app.redis.hgetall(app.store.k("alert", alert_key, "delivery"))
    for name in rule.destinations:
        if done.get(name) == "delivered":
            continue
        dest = app.config.alerts.destinations[name]
        if dest.type == "log":
            log.info(
                "alert_fired",
                rule=alert.rule,
                event_type=alert.event_type,
                title=alert.title,
                url=alert.url,
                source=alert.source,
                evidence=alert.evidence,
                record_id=alert.record_id,
            )
        elif dest.url:
            body = alert.model_dump_json().encode()
            try:
                resp = app.http.post(dest.url, body=body, headers={"content-type": "application/json"})
                raise_for_status(resp)
            except PermanentError as exc:  # transient errors propagate: dramatiq retries the delivery
                log.error("alert_failed", destination=name, error=str(exc))
                alerting.delivered(app, alert_key, name, f"failed: {exc}")
                continue
            log.info("alert_delivered", destination=name, status=resp.status)
        alerting.delivered(app, alert_key, name, "delivered")
