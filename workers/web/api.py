"""The JSON API, ``/api/v1``: records, stories, cases, alerts, feeds, stats and a timeline.

Read-only but for ``POST /api/v1/alerts/retry``, which always needs the bearer token
(``workers.web.auth``). Lists are newest first; records and stories page with a cursor.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from workers import alerting, notify
from workers.app import App
from workers.web import queries
from workers.web.schemas import (
    AlertList,
    AlertOut,
    CaseDetail,
    CaseStepOut,
    CaseSummary,
    Copy,
    Day,
    DeadLetter,
    Delivery,
    FeedHealth,
    Problem,
    RecordDetail,
    RecordPage,
    RecordSummary,
    RetryRequest,
    RetryResult,
    Stats,
    Story,
    StoryPage,
    Timeline,
    source_ref,
)

router = APIRouter(prefix="/api/v1", responses={400: {"model": Problem}, 401: {"model": Problem}})

Limit = Annotated[int, Query(ge=1, le=200, description="items per page")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


def get_app(request: Request) -> App:
    app: App = request.app.state.nw
    return app


Nw = Annotated[App, Depends(get_app)]


def _cursor_error(exc: queries.BadCursor) -> HTTPException:
    return HTTPException(status_code=400, detail=str(exc))


def record_query(
    text: Annotated[str | None, Query(description="words of the title, lead or names, all of them")] = None,
    source: Annotated[str | None, Query(description="outlet name")] = None,
    since: Annotated[datetime | None, Query(description="published at or after (ISO date or time)")] = None,
    until: Annotated[datetime | None, Query(description="published at or before")] = None,
    on_topic: Annotated[bool, Query(description="only records about the subject")] = False,
    event: Annotated[str | None, Query(description="reports this event type")] = None,
    entity: Annotated[str | None, Query(description="names this person, place or organization")] = None,
    case: Annotated[str | None, Query(description="reports this detention case (its id)")] = None,
    story: Annotated[str | None, Query(description="belongs to this story (its id)")] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> queries.RecordQuery:
    return queries.RecordQuery(
        text=text,
        source=source,
        since=since,
        until=until,
        on_topic=on_topic,
        event=event,
        entity=entity,
        case=case,
        story=story,
        cursor=cursor,
        limit=limit,
    )


@router.get("/records", response_model=RecordPage, summary="Search records, newest first")
def list_records(nw: Nw, q: Annotated[queries.RecordQuery, Depends(record_query)]) -> RecordPage:
    try:
        found, next_cursor = queries.search(nw, q)
    except queries.BadCursor as exc:
        raise _cursor_error(exc) from None
    return RecordPage(items=[RecordSummary.of(r) for r in found], next_cursor=next_cursor)


@router.get("/records/{record_id}", response_model=RecordDetail, responses={404: {"model": Problem}})
def get_record(nw: Nw, record_id: str) -> RecordDetail:
    record = nw.store.get(record_id)
    if record is None:
        raise HTTPException(status_code=404, detail=f"no record {record_id}")
    copies = [Copy(id=c.id, source=c.source, url=c.url) for c in queries.also_published_by(nw, record)]
    return RecordDetail(record=record, also_published_by=copies, revisions=queries.revisions(nw, record_id))


@router.get("/stories", response_model=StoryPage, summary="Stories by latest report, with every outlet's")
def list_stories(
    nw: Nw,
    since: Annotated[datetime | None, Query(description="last reported at or after")] = None,
    until: Annotated[datetime | None, Query(description="last reported at or before")] = None,
    event: Annotated[str | None, Query(description="stories reporting this event type")] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> StoryPage:
    try:
        found, next_cursor = queries.stories(
            nw, since=since, until=until, event=event, cursor=cursor, limit=limit
        )
    except queries.BadCursor as exc:
        raise _cursor_error(exc) from None
    return StoryPage(items=[Story.of(s) for s in found], next_cursor=next_cursor)


@router.get("/stories/{story_id}", response_model=Story, responses={404: {"model": Problem}})
def get_story(nw: Nw, story_id: str) -> Story:
    found = queries.story(nw, story_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no story {story_id}")
    return Story.of(found)


@router.get("/cases", response_model=list[CaseSummary], summary="Detention cases, most recently moved first")
def list_cases(
    nw: Nw,
    since: Annotated[datetime | None, Query(description="moved at or after")] = None,
    limit: Limit = 50,
) -> list[CaseSummary]:
    return [CaseSummary.of(c) for c in queries.cases(nw, since=since, limit=limit)]


def case_detail(nw: App, case_id: str) -> CaseDetail | None:
    found = queries.case(nw, case_id)
    if found is None:
        return None
    c, records = found
    steps = [
        CaseStepOut(
            status=s.status,
            date=s.date,
            evidence=s.evidence,
            sources=[source_ref(records[i]) for i in s.record_ids if i in records],
        )
        for s in c.steps
    ]
    return CaseDetail(
        **c.model_dump(exclude={"steps", "record_ids", "variants"}),
        variants=list(c.variants),
        steps=steps,
        records=[source_ref(r) for r in sorted(records.values(), key=lambda r: r.sort_time)],
    )


@router.get("/cases/{case_id}", response_model=CaseDetail, responses={404: {"model": Problem}})
def get_case(nw: Nw, case_id: str) -> CaseDetail:
    found = case_detail(nw, case_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no case {case_id}")
    return found


@router.get("/alerts", response_model=AlertList, summary="Alerts with delivery state, and the dead letters")
def list_alerts(
    nw: Nw,
    dead: Annotated[bool, Query(description="only alerts with a dead-lettered delivery")] = False,
    limit: Limit = 50,
) -> AlertList:
    items = [
        AlertOut(
            alert=alert,
            delivery={d: Delivery(**s) for d, s in delivery.items()},
            sources=[source_ref(r) for r in sources],
        )
        for alert, delivery, sources in queries.alerts(nw, dead=dead, limit=limit)
    ]
    letters = [DeadLetter(key=k, destination=d) for k, d in alerting.dead_letters(nw)]
    return AlertList(items=items, dead_letters=letters)


def retry_deliveries(nw: App, key: str | None, pending: bool) -> int:
    pairs = alerting.dead_letters(nw)
    if pending:
        pairs += notify.undelivered(nw)
    if key:
        pairs = [p for p in pairs if p[0].startswith(key)]
    return notify.retry(nw, list(dict.fromkeys(pairs)))


@router.post(
    "/alerts/retry",
    response_model=RetryResult,
    summary="Queue dead-lettered deliveries again (needs the bearer token)",
)
def retry(nw: Nw, body: RetryRequest) -> RetryResult:
    return RetryResult(queued=retry_deliveries(nw, body.key, body.pending))


@router.get("/feeds", response_model=list[FeedHealth], summary="Feeds with their health")
def list_feeds(nw: Nw) -> list[FeedHealth]:
    return [FeedHealth(**row) for row in queries.feeds(nw)]


@router.get("/stats", response_model=Stats)
def get_stats(nw: Nw) -> Stats:
    return Stats(**queries.stats(nw))


@router.get("/timeline", response_model=Timeline, summary="Articles per day, in all and by event type")
def get_timeline(
    nw: Nw,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    until: Annotated[date | None, Query(description="last day (default: the newest record's)")] = None,
) -> Timeline:
    return Timeline(days=[Day(**d) for d in queries.timeline(nw, days=days, until=until)])
