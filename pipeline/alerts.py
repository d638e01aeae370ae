"""Record (+ its new case steps) + rules -> alerts. Matching only; delivery is a worker's.

An alert is about one thing that happened, not about one article: its identity is
(rule, subject, event type, case status), where the subject is

- a detention case (``case:{case_id}``) for an event that is a step of a case (it has a
  ``status``: detained, charged, custody extended, sentenced ...): one alert per new step,
  however many outlets report it;
- else the story (``story:{story_id}``, every outlet's article on one event; the record's
  own id when it has no story).

``match`` gives the alerts a record may *raise*: the store claims each key with SET NX, so a
later report of the same thing only adds its record to the alert's sources. ``joins`` gives
the alert keys a record reports on without raising them: a case step that is not new (the
third outlet reporting an arrest already alerted on) adds a source, never a new alert.
Copies (duplicates, near-duplicates) raise nothing; the worker adds them to their story's
alerts (``workers.alerting``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from config.schema import AlertRule, AlertsFile
from pipeline.cases import REPEATABLE, reports
from pipeline.models import Alert, CaseStep, Event, Record
from pipeline.urls import digest

COPY_STATUSES = ("duplicate", "near_duplicate", "unchanged")


def _entity_match(rule: AlertRule, record: Record) -> bool:
    if not rule.entities:
        return True
    wanted = {e.casefold() for e in rule.entities}
    for ent in record.entities:
        names = {ent.id, ent.name, *(ent.variants or ())}
        if ent.actor:
            names.add(ent.actor)
        if wanted & {n.casefold() for n in names}:
            return True
    return False


def rule_matches(rule: AlertRule, record: Record) -> list[str]:
    """Event types of the record that this rule fires on (``["record"]`` for an event-less rule)."""
    if rule.on_topic is not None and record.on_topic != rule.on_topic:
        return []
    if record.relevance < rule.min_relevance:
        return []
    if rule.sources and record.source not in rule.sources:
        return []
    if not _entity_match(rule, record):
        return []
    if not rule.events:
        return ["record"]
    return sorted(
        {
            e.type
            for e in record.events
            if e.type in rule.events and e.confidence >= rule.min_confidence and not e.background
        }
    )


def alert_key(rule: str, subject: str, event_type: str, status: str | None = None) -> str:
    """The identity of an alert: (rule, story or case, event type, case status)."""
    return digest(f"{rule}\n{subject}\n{event_type}\n{status or ''}", 24)


def _events(record: Record, etype: str, rule: AlertRule) -> list[Event]:
    if etype == "record":
        return []
    found = [
        e
        for e in record.events
        if e.type == etype and e.confidence >= rule.min_confidence and not e.background
    ]
    return sorted(found, key=lambda e: -e.confidence)


def _story(record: Record) -> str:
    return f"story:{record.story_id or record.id}"


def _status_ok(rule: AlertRule, status: str | None) -> bool:
    return not rule.statuses or status in rule.statuses


def _make(
    rule: AlertRule,
    record: Record,
    etype: str,
    subject: str,
    evidence: str,
    *,
    status: str | None = None,
    case_id: str | None = None,
    date: str | None = None,
) -> Alert:
    base = alert_key(rule.name, subject, etype, status)
    # a repeatable step (custody extended in March, again in June) is a new thing each time
    repeat = status in REPEATABLE and date
    return Alert(
        key=alert_key(rule.name, subject, etype, f"{status}@{date}") if repeat else base,
        base_key=base,
        rule=rule.name,
        record_id=record.id,
        event_type=etype,
        title=record.title,
        evidence=evidence,
        url=record.url,
        source=record.source,
        subject=subject,
        story_id=record.story_id,
        case_id=case_id,
        status=status,
    )


class Plan:
    """What one record does to alerts: the ones it may raise, the ones it only reports on."""

    def __init__(self) -> None:
        self.raise_: dict[str, Alert] = {}
        self.join: set[str] = set()

    def add(self, alert: Alert) -> None:
        self.raise_.setdefault(alert.key, alert)


def plan(record: Record, rules: AlertsFile, steps: Sequence[CaseStep] | None = None) -> Plan:
    """The alerts a record raises and joins (see the module docstring).

    ``steps`` are the case steps the ledger found new in this record (``workers.cases``);
    ``None`` when no ledger was consulted: then every case step the record reports is a
    candidate, and the alert's SET NX claim alone keeps it to one per (case, status).
    """
    out = Plan()
    if record.dedup.status in COPY_STATUSES:
        return out
    for rule in rules.rules:
        for etype in rule_matches(rule, record):
            events = _events(record, etype, rule)
            case_events = [e for e in events if e.status]
            if not case_events:  # not a case event: one alert per story
                if not rule.statuses:
                    evidence = events[0].evidence if events else record.text[:300]
                    out.add(_make(rule, record, etype, _story(record), evidence))
                continue
            named = [r for r in reports(case_events) if r.case_id]
            statuses = {e.status for e in case_events}
            # what the record says about each named case: (case, status) -> evidence
            said = {(r.case_id, st): ev for r in named for st, _date, ev in r.steps if _status_ok(rule, st)}
            for (cid, status), evidence in said.items():
                assert cid is not None
                base = alert_key(rule.name, f"case:{cid}", etype, status)
                if steps is None:
                    out.add(_make(rule, record, etype, f"case:{cid}", evidence, status=status, case_id=cid))
                else:
                    out.join.add(base)
            for step in steps or ():
                if step.status in statuses and _status_ok(rule, step.status):
                    said_step = (e.evidence for e in case_events if e.status == step.status)
                    evidence = step.evidence or next(said_step)
                    subject = f"case:{step.case_id}"
                    out.add(
                        _make(
                            rule,
                            record,
                            etype,
                            subject,
                            evidence,
                            status=step.status,
                            case_id=step.case_id,
                            date=step.date,
                        )
                    )
                    out.join.add(alert_key(rule.name, subject, etype, step.status))
            if not named and not steps:
                # no detainee named (and no ledger to place the report): one alert per story and status
                for ev in case_events:
                    if _status_ok(rule, ev.status):
                        out.add(_make(rule, record, etype, _story(record), ev.evidence, status=ev.status))
    out.join -= set(out.raise_)
    return out


def match(record: Record, rules: AlertsFile, steps: Sequence[CaseStep] | None = None) -> list[Alert]:
    """Alerts a record may raise; empty for copies, which add their source to their original's."""
    return list(plan(record, rules, steps).raise_.values())


def joins(record: Record, rules: AlertsFile, steps: Sequence[CaseStep] | None = None) -> list[str]:
    """Base keys of case alerts the record reports on without raising them (a step that is not new)."""
    return sorted(plan(record, rules, steps).join)


def rules_sending_to(rules: AlertsFile, kinds: Iterable[str]) -> set[str]:
    """Names of the rules with a destination of one of these types (e.g. ``atom``)."""
    wanted = set(kinds)
    return {r.name for r in rules.rules if any(rules.destinations[d].type in wanted for d in r.destinations)}
