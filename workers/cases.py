"""The detention case ledger in Redis: one case per detainee, joined across articles and languages.

Keys (under the app prefix):

- ``{p}:case:{id}``              the case (JSON of ``pipeline.models.Case``)
- ``{p}:case:idx:updated``       zset of case ids by last update
- ``{p}:case:idx:nat:{nation}``  set of case ids per detainee nationality (candidates for matching)
- ``{p}:case:records:{id}``      zset of the record ids that report the case, by publication time

``update_cases(app, record)`` folds a record's detention events into the ledger under
WATCH/MULTI on the keys it reads, so two workers reporting the same case at once leave
one case with both steps; it returns only the steps that are new (what an alert fires on).
Replaying the same record changes nothing and returns no step.
"""

from __future__ import annotations

import redis

from pipeline.cases import match, merge, reports
from pipeline.models import Case, CaseStep, Record
from workers.app import App


def _keys(app: App) -> tuple[str, str]:
    return app.store.k("case", "idx", "updated"), app.store.k("case", "idx", "nat")


def case_key(app: App, case_id: str) -> str:
    return app.store.k("case", case_id)


def update_cases(app: App, record: Record) -> list[CaseStep]:
    """Fold the record's detention reports into the ledger; the new status steps."""
    if record.dedup.status in ("duplicate", "near_duplicate", "unchanged") or not record.on_topic:
        return []  # a copy adds nothing; an article off the subject (held elsewhere) is no case of it
    new_steps: list[CaseStep] = []
    updated_idx, nat_idx = _keys(app)
    r = app.redis
    for report in reports(record.events):
        nat_key = f"{nat_idx}:{report.nationality or '-'}"
        with r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(nat_key)
                    ids = sorted(r.smembers(nat_key))
                    if report.case_id and report.case_id not in ids:
                        ids.append(report.case_id)
                    raws = r.mget([case_key(app, i) for i in ids]) if ids else []
                    cases = [Case.model_validate_json(raw) for raw in raws if raw]
                    case_id = match(report, cases, record.published_at) or report.case_id
                    if case_id is None:
                        pipe.unwatch()
                        break  # only "a South Korean" and no case to join: nothing to open
                    pipe.watch(case_key(app, case_id))
                    raw = r.get(case_key(app, case_id))
                    case = Case.model_validate_json(raw) if raw else None
                    updated, steps = merge(
                        case,
                        report,
                        case_id,
                        record.id,
                        record.sort_time,
                        app.config.topic.cases.review_after_days,
                        reported_at=record.published_at,
                    )
                    pipe.multi()
                    pipe.set(case_key(app, case_id), updated.model_dump_json())
                    pipe.sadd(nat_key, case_id)
                    # its newest report's time: an older report processed later must not move it back
                    pipe.zadd(updated_idx, {case_id: record.sort_time.timestamp()}, gt=True)
                    pipe.zadd(
                        app.store.k("case", "records", case_id), {record.id: record.sort_time.timestamp()}
                    )
                    pipe.execute()
                    new_steps.extend(steps)
                    break
                except redis.WatchError:
                    continue
    return new_steps


def get_case(app: App, case_id: str) -> Case | None:
    raw = app.redis.get(case_key(app, case_id))
    return Case.model_validate_json(raw) if raw else None


def list_cases(app: App, limit: int = 100) -> list[Case]:
    """Cases, most recently updated first."""
    updated_idx, _ = _keys(app)
    ids = app.redis.zrevrange(updated_idx, 0, limit - 1)
    raws = app.redis.mget([case_key(app, i) for i in ids]) if ids else []
    return [Case.model_validate_json(raw) for raw in raws if raw]


def case_record_ids(app: App, case_id: str) -> list[str]:
    """Ids of the records reporting a case, newest first (for ``search --case``)."""
    return list(app.redis.zrevrange(app.store.k("case", "records", case_id), 0, -1))
