"""Alerts once per thing that happened: per (rule, story or case, event type, case status)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pipeline.models import CaseStep, DedupVerdict
from tests.workers.test_notify import Receiver, alerts_file, fast, open_app, receiver, record
from workers import alerting
from workers.alerting import raise_alerts
from workers.replay import replay
from workers.runner import drain, workers

OUTLETS = [
    ("Eastern Wire", "eastwire"),
    ("Seoul Ledger", "seoulledger"),
    ("Harbor Times", "harbortimes"),
    ("Pacific Daily", "pacificdaily"),
    ("Korea Monitor", "koreamonitor"),
]
ARREST = [
    "Russia's Federal Security Service has detained South Korean missionary Kim Jung-hoon in Vladivostok on "
    "suspicion of espionage, the agency said on Tuesday. The FSB said the South Korean citizen had passed state "
    "secrets to foreign intelligence. Seoul's foreign ministry said it was seeking consular access.",
    "A South Korean missionary, Kim Jung-hoon, was arrested in Vladivostok by the FSB and accused of spying, "
    "Russian investigators said on Tuesday. South Korea's foreign ministry said its consulate was trying to reach "
    "him. Relations between Moscow and Seoul have been strained by Russia's military cooperation with North Korea.",
    "The FSB detained Kim Jung-hoon, a South Korean citizen working as a missionary in Vladivostok, on suspicion "
    "of espionage, Russian state media reported on Tuesday. The South Korean embassy in Moscow said it had asked "
    "for consular access to the detained man.",
    "South Korean national Kim Jung-hoon has been detained in Vladivostok on espionage charges, according to a "
    "statement by Russia's Federal Security Service on Tuesday. Seoul summoned no diplomats but said it was "
    "following the case closely and requested a consular visit.",
    "The FSB has detained South Korean missionary Kim Jung-hoon in Vladivostok on suspicion of spying, a court "
    "document published on Tuesday shows. The South Korean foreign ministry confirmed the detention and said it "
    "had asked Moscow for consular access.",
]
SENTENCE = [
    "A court in Vladivostok on Friday sentenced South Korean missionary Kim Jung-hoon to 13 years in a maximum "
    "security penal colony for espionage, Russian news agencies reported. South Korea's foreign ministry called "
    "the verdict deeply regrettable.",
    "South Korean citizen Kim Jung-hoon was sentenced to 13 years in prison by a Russian court in Vladivostok on "
    "Friday after being found guilty of espionage. Seoul said it would keep seeking his release through "
    "diplomatic channels with Moscow.",
]


def backlog(path: Path) -> Path:
    """Five outlets report one arrest; months later two of them report the sentence."""
    lines = []
    for i, (name, host) in enumerate(OUTLETS):
        lines.append(
            {
                "url": f"https://{host}.example/2025/05/06/kim-detained",
                "source": name,
                "title": f"South Korean missionary detained in Russia on spying charges ({name})",
                "published": f"2025-05-06T0{i + 1}:00:00+00:00",
                "text": ARREST[i],
            }
        )
    for i, (name, host) in enumerate(OUTLETS[:2]):
        lines.append(
            {
                "url": f"https://{host}.example/2025/09/12/kim-sentenced",
                "source": name,
                "title": f"Russian court sentences South Korean missionary to 13 years ({name})",
                "published": f"2025-09-12T0{i + 1}:00:00+00:00",
                "text": SENTENCE[i],
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_replayed_backlog_five_outlets_then_two_sentences_gives_two_alerts(
    settings: Any, tmp_path: Path
) -> None:
    path = backlog(tmp_path / "backlog.jsonl")
    with receiver() as rcv:
        alerts = alerts_file({"hook": {"type": "webhook", "url": rcv.url}}, on_topic=True)
        with open_app(fast(settings), alerts) as nw:
            # Articles first, deliveries after: so the webhook shows every source (in production
            # NEWSWATCH_ALERT_HOLD_S does this; the alert list and the feed always show them all).
            with workers(nw, threads=2, queues={"articles"}):
                first = replay(nw, [path], alerts=True).summary()
            with workers(nw, threads=2, queues={"alerts"}):
                drain(nw)
                listed = {a.status: a for a in alerting.recent(nw)}
                sources = {s: {r.source for r in alerting.sources(nw, a.key)} for s, a in listed.items()}
                states = {s: alerting.delivery(nw, a.key)["hook"]["state"] for s, a in listed.items()}
                delivered = len(rcv.hits)
            with workers(nw, threads=2, queues={"articles", "alerts"}):
                again = replay(nw, [path], alerts=True).summary()
                drain(nw)
    assert first["read"] == 7 and first["errors"] == 0 and first["alerts"] == 2
    assert (
        set(listed) == {"detained", "sentenced"}
        and len(alerting_keys := {a.key for a in listed.values()}) == 2
    )
    assert sources == {"detained": {n for n, _ in OUTLETS}, "sentenced": {n for n, _ in OUTLETS[:2]}}
    assert states == {"detained": "delivered", "sentenced": "delivered"}
    # the receiver: exactly two alerts, every signature verified, each with all its sources and links
    assert delivered == 2 and all(h.verified for h in rcv.hits)
    assert {h.webhook_id for h in rcv.hits} == {f"msg_{k}" for k in alerting_keys}
    received = {d["status"]: d for d in (json.loads(h.body)["data"] for h in rcv.hits)}
    assert {s["source"] for s in received["detained"]["sources"]} == {n for n, _ in OUTLETS}
    assert len({s["url"] for s in received["detained"]["sources"]}) == 5
    assert {s["source"] for s in received["sentenced"]["sources"]} == {"Eastern Wire", "Seoul Ledger"}
    assert received["sentenced"]["case_id"] == received["detained"]["case_id"]
    assert "sentenced" in received["sentenced"]["evidence"]
    # the same backlog again, alerts on: nothing new raised, nothing sent
    assert again["alerts"] == 0 and again["unchanged"] == 7 and len(rcv.hits) == 2


def test_with_ledger_steps_only_new_steps_raise_and_the_rest_join(settings: Any) -> None:
    case = "south_korea-kim-jung-hoon"
    with open_app(fast(settings), alerts_file({"log": {"type": "log"}})) as nw:
        raised = []
        for n in range(5):  # five outlets; the ledger says the step is new only for the first
            steps = [CaseStep(case_id=case, status="detained", record_ids=("rec0000",))] if n == 0 else []
            raised += raise_alerts(nw, record(n, source=f"Outlet {n}"), steps)
        for n in (5, 6):
            steps = [CaseStep(case_id=case, status="sentenced")] if n == 5 else []
            raised += raise_alerts(nw, record(n, status="sentenced", source=f"Outlet {n}"), steps)
        # the same arrest processed again (a replay, a redelivery): the ledger finds nothing new
        raised += raise_alerts(nw, record(0, source="Outlet 0"), [])
        by_status = {a.status: a for a in raised}
        sources = {
            s: sorted(nw.redis.smembers(nw.store.k("alert", a.key, "sources"))) for s, a in by_status.items()
        }
        pending = nw.redis.zcard(nw.store.k("alerts", "pending"))
    assert len(raised) == 2 and set(by_status) == {"detained", "sentenced"}
    assert sources == {"detained": [f"rec{n:04d}" for n in range(5)], "sentenced": ["rec0005", "rec0006"]}
    assert by_status["detained"].subject == by_status["sentenced"].subject == f"case:{case}"
    assert pending == 2


def test_a_repeatable_step_alerts_again_on_a_new_date_and_later_reports_join_the_newest(
    settings: Any,
) -> None:
    case = "south_korea-kim-jung-hoon"
    with open_app(fast(settings), alerts_file({"log": {"type": "log"}})) as nw:
        march = raise_alerts(
            nw,
            record(1, status="custody_extended"),
            [CaseStep(case_id=case, status="custody_extended", date="2025-03")],
        )
        june = raise_alerts(
            nw,
            record(2, status="custody_extended"),
            [CaseStep(case_id=case, status="custody_extended", date="2025-06")],
        )
        assert raise_alerts(nw, record(3, status="custody_extended"), []) == []
        june_sources = nw.redis.smembers(nw.store.k("alert", june[0].key, "sources"))
        march_sources = nw.redis.smembers(nw.store.k("alert", march[0].key, "sources"))
    assert len(march) == len(june) == 1 and march[0].key != june[0].key
    assert june_sources == {"rec0002", "rec0003"} and march_sources == {"rec0001"}


def test_copies_add_their_source_whichever_is_processed_first(settings: Any) -> None:
    with open_app(fast(settings), alerts_file({"log": {"type": "log"}}, events=["sanctions"])) as nw:
        sanction: dict[str, Any] = {
            "events": (record(0).events[0].model_copy(update={"type": "sanctions", "status": None}),),
            "case_ids": (),
        }
        original = record(1, **sanction)
        (alert,) = raise_alerts(nw, original)
        assert alert.subject == "story:story-kim" and alert.status is None
        near = record(
            2, dedup=DedupVerdict(status="near_duplicate", duplicate_of=original.id), events=(), case_ids=()
        )
        assert raise_alerts(nw, near) == []
        # another outlet's own article on the same story: same alert, one more source
        assert raise_alerts(nw, record(3, source="Harbor Times", **sanction)) == []
        # a copy stored before its original's alert existed (two workers racing) joins when it is raised
        late = record(4, story_id="story-late", **sanction)
        early_copy = record(
            5, story_id="story-late", dedup=DedupVerdict(status="duplicate", duplicate_of=late.id)
        )
        nw.redis.set(nw.store.k.article(early_copy.id), early_copy.model_dump_json())
        nw.redis.sadd(nw.store.k.copies(late.id), early_copy.id)
        assert raise_alerts(nw, early_copy) == []
        (late_alert,) = raise_alerts(nw, late)
        got = nw.redis.smembers(nw.store.k("alert", alert.key, "sources"))
        got_late = nw.redis.smembers(nw.store.k("alert", late_alert.key, "sources"))
    assert got == {"rec0001", "rec0002", "rec0003"}
    assert got_late == {"rec0004", "rec0005"}


def test_hold_lets_other_outlets_join_before_the_alert_is_sent(settings: Any) -> None:
    with receiver(Receiver()) as rcv:
        alerts = alerts_file({"hook": {"type": "webhook", "url": rcv.url}})
        with (
            open_app(fast(settings, alert_hold_s=0.5), alerts) as nw,
            workers(nw, threads=1, queues={"alerts"}),
        ):
            for rec in (record(1), record(2, source="Seoul Ledger")):
                nw.redis.set(nw.store.k.article(rec.id), rec.model_dump_json())  # as the store would
                raise_alerts(nw, rec)
            deadline = time.monotonic() + 10
            while not rcv.hits:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            drain(nw)
    (hit,) = rcv.hits
    assert {s["source"] for s in json.loads(hit.body)["data"]["sources"]} == {"Eastern Wire", "Seoul Ledger"}
