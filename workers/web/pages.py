"""The dashboard: server-rendered pages that work with JavaScript off (a script only shows times in
the reader's own zone). Jinja2 escapes every value; links out are http(s) only.

``/`` home (the last days: counts, new stories by event type, cases that moved, a chart of
attention over time), ``/search``, ``/stories`` and ``/stories/{id}``, ``/cases`` and
``/cases/{id}``, ``/records/{id}``, ``/feeds``, ``/alerts`` (with a retry form).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from workers.app import App
from workers.web import api, auth, queries

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
HOME_DAYS = 7  # "the last days" of the home page, up to the newest record
CHART_DAYS = 60
# one colour per event type, in the order of the topic's event types (colour-blind safe, Okabe-Ito)
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999"]

router = APIRouter(include_in_schema=False)


def safe_url(url: str | None) -> str:
    """A link target: the URL if it is http(s), else nothing clickable."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return url
    return "#"


def when(value: datetime | str | None, short: bool = False) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d") if short else value.strftime("%Y-%m-%d %H:%M UTC")


def iso(value: datetime | str | None) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return value or ""


def label(value: str | None) -> str:
    return (value or "").replace("_", " ")


env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,  # record text is untrusted: every {{ value }} is escaped
    undefined=StrictUndefined,
    auto_reload=False,  # templates ship with the package: compiled once, not checked on every page
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(safe_url=safe_url, when=when, iso=iso, label=label)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    nw: App = request.app.state.nw
    body = env.get_template(name).render(
        request_path=request.url.path, types=queries.event_types(nw), **context
    )
    return HTMLResponse(body, status_code=status)


def colours(types: list[str]) -> dict[str, str]:
    return {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}


def _geo(x: float, y: float, w: float, h: float) -> Markup:
    """A rectangle's attributes, formatted once here: numbers only, so nothing to escape."""
    return Markup(f'x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"')


def chart(days: list[dict[str, Any]], types: list[str]) -> dict[str, Any]:
    """Attention over time as SVG geometry: per day, a bar of its articles, stacked by event type."""
    width, height, pad = 720, 200, 28
    top = max([d["articles"] for d in days] + [sum(d["events"].values()) for d in days] + [1])
    step = (width - pad) / max(1, len(days))
    bars, totals = [], []
    for n, day in enumerate(days):
        x = pad + n * step
        h = (height - pad) * day["articles"] / top
        if h:
            totals.append({"geo": _geo(x, height - pad - h, max(1.0, step - 2), h), "day": day})
        y = height - pad
        for etype in types:
            count = day["events"].get(etype, 0)
            if not count:
                continue
            eh = (height - pad) * count / top
            y -= eh
            geo = _geo(x + step * 0.2, y, max(1.0, step * 0.6 - 2), eh)
            bars.append({"geo": geo, "type": etype, "count": count, "day": day["date"]})
    ticks = [
        {"x": pad + n * step, "label": d["date"].strftime("%b %d")} for n, d in enumerate(days) if n % 10 == 0
    ]
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "top": top,
        "bars": bars,
        "totals": totals,
        "ticks": ticks,
        "colours": colours(types),
        "first": days[0]["date"] if days else None,
        "last": days[-1]["date"] if days else None,
    }


def _nw(request: Request) -> App:
    app: App = request.app.state.nw
    return app


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    nw = _nw(request)
    types = queries.event_types(nw)
    newest = queries.latest_time(nw)
    end = newest or datetime.now(UTC)
    since = end - timedelta(days=HOME_DAYS)
    days = queries.timeline(nw, days=CHART_DAYS, until=end.date())
    new_stories = queries.new_stories_by_event(nw, types, since=since, limit=3)
    latest, _ = queries.search(nw, queries.RecordQuery(on_topic=True, since=since, limit=10))
    recent = days[-HOME_DAYS:]
    return render(
        request,
        "home.html",
        stats=queries.stats(nw),
        newest=newest,
        since=since,
        week={
            "articles": sum(d["articles"] for d in recent),
            "events": {t: sum(d["events"][t] for d in recent) for t in types},
        },
        chart=chart(days, types),
        new_stories=new_stories,
        cases=queries.cases(nw, since=end - timedelta(days=30), limit=10),
        latest=latest,
    )


def _date(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(status_code=422, detail=f"{field}: not a date (use YYYY-MM-DD)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.get("/search", response_class=HTMLResponse)
def search(request: Request) -> HTMLResponse:
    nw = _nw(request)
    p = request.query_params
    form = {k: p.get(k, "") for k in ("q", "source", "event", "entity", "case", "story", "since", "until")}
    form["on_topic"] = "1" if p.get("on_topic") else ""
    asked = any(form.values())
    results: list[Any] = []
    next_url = None
    if asked:
        q = queries.RecordQuery(
            text=form["q"] or None,
            source=form["source"] or None,
            event=form["event"] or None,
            entity=form["entity"] or None,
            case=form["case"] or None,
            story=form["story"] or None,
            since=_date(form["since"], "since"),
            until=_date(form["until"], "until"),
            on_topic=bool(form["on_topic"]),
            cursor=p.get("cursor") or None,
            limit=20,
        )
        try:
            results, cursor = queries.search(nw, q)
        except queries.BadCursor as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        if cursor:
            next_url = "/search?" + urlencode({**{k: v for k, v in form.items() if v}, "cursor": cursor})
    sources = sorted({f.name for f in nw.config.feeds.feeds})
    return render(
        request, "search.html", form=form, asked=asked, results=results, next_url=next_url, sources=sources
    )


@router.get("/stories", response_class=HTMLResponse)
def stories(request: Request, event: str | None = None, cursor: str | None = None) -> HTMLResponse:
    try:
        found, next_cursor = queries.stories(_nw(request), event=event or None, cursor=cursor, limit=25)
    except queries.BadCursor as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    params = {"event": event} if event else {}
    next_url = "/stories?" + urlencode({**params, "cursor": next_cursor}) if next_cursor else None
    return render(request, "stories.html", stories=found, event=event or "", next_url=next_url)


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story(request: Request, story_id: str) -> HTMLResponse:
    found = queries.story(_nw(request), story_id)
    if found is None:
        return render(request, "missing.html", status=404, what="story", id=story_id)
    return render(request, "story.html", story=found, reports=queries.fold_copies(found["articles"]))


@router.get("/cases", response_class=HTMLResponse)
def cases(request: Request) -> HTMLResponse:
    return render(request, "cases.html", cases=queries.cases(_nw(request), limit=200))


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case(request: Request, case_id: str) -> HTMLResponse:
    found = api.case_detail(_nw(request), case_id)
    if found is None:
        return render(request, "missing.html", status=404, what="case", id=case_id)
    return render(request, "case.html", case=found)


@router.get("/records/{record_id}", response_class=HTMLResponse)
def record(request: Request, record_id: str) -> HTMLResponse:
    nw = _nw(request)
    found = nw.store.get(record_id)
    if found is None:
        return render(request, "missing.html", status=404, what="record", id=record_id)
    return render(
        request,
        "record.html",
        record=found,
        copies=queries.also_published_by(nw, found),
        revisions=queries.revisions(nw, record_id),
        paragraphs=[p for p in found.text.split("\n") if p.strip()],
    )


@router.get("/feeds", response_class=HTMLResponse)
def feeds(request: Request) -> HTMLResponse:
    return render(request, "feeds.html", feeds=queries.feeds(_nw(request)))


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request, dead: bool = False, queued: int | None = None) -> HTMLResponse:
    nw = _nw(request)
    from workers import alerting

    return render(
        request,
        "alerts.html",
        alerts=queries.alerts(nw, dead=dead, limit=100),
        dead=dead,
        dead_letters=alerting.dead_letters(nw),
        queued=queued,
        token_set=bool(request.app.state.token),
    )


@router.post("/alerts/retry")
async def retry(request: Request) -> Response:
    """The retry form: the token comes in its ``token`` field (or as a bearer header)."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = request.app.state.token
    given = auth.presented(request, basic=False) or (form.get("token") or [""])[0]
    if not token:
        return PlainTextResponse("retrying needs NEWSWATCH_API_TOKEN, and the server has none set\n", 403)
    if not auth.form_token_ok(token, given):
        return PlainTextResponse("wrong or missing token\n", 401)
    key = (form.get("key") or [""])[0] or None
    n = api.retry_deliveries(_nw(request), key, pending=bool(form.get("pending")))
    return RedirectResponse(f"/alerts?queued={n}", status_code=303)
