"""Record + rules -> alerts. Matching only; delivery is a worker's (``workers.notify``).

An alert's key is its identity: the store claims it with SET NX, so a rule
fires once per (rule, record, event type) however often the record is
processed or replayed.
"""

from __future__ import annotations

from config.schema import AlertRule, AlertsFile
from pipeline.models import Alert, Record
from pipeline.urls import digest


def rule_matches(rule: AlertRule, record: Record) -> list[str]:
    """Event types of the record that this rule fires on (``["record"]`` for an event-less rule)."""
    if rule.on_topic is not None and record.on_topic != rule.on_topic:
        return []
    if record.relevance < rule.min_relevance:
        return []
    if rule.sources and record.source not in rule.sources:
        return []
    if not rule.events:
        return ["record"]
    return sorted(
        {e.type for e in record.events if e.type in rule.events and e.confidence >= rule.min_confidence}
    )


def alert_key(rule: str, subject_id: str, event_type: str) -> str:
    return digest(f"{rule}\n{subject_id}\n{event_type}", 24)


def match(record: Record, rules: AlertsFile) -> list[Alert]:
    """Alerts that a record raises; empty for duplicates, which alert through their original."""
    if record.dedup.status in ("duplicate", "near_duplicate", "unchanged"):
        return []
    alerts = []
    for rule in rules.rules:
        for etype in rule_matches(rule, record):
            evidence = next((e.evidence for e in record.events if e.type == etype), record.text[:300])
            alerts.append(
                Alert(
                    key=alert_key(rule.name, record.id, etype),
                    rule=rule.name,
                    record_id=record.id,
                    event_type=etype,
                    title=record.title,
                    evidence=evidence,
                    url=record.url,
                    source=record.source,
                )
            )
    return alerts
