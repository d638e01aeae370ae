"""Delivery: real dramatiq workers, real Redis, and local HTTP receivers that verify every signature."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from dramatiq.brokers.redis import MAINTENANCE_SCALE
from pydantic import SecretStr
from structlog.testing import capture_logs

from config.schema import AlertsFile
from config.settings import Settings
from pipeline.models import DedupVerdict, Event, Record
from tests.conftest import ROOT
from workers import alerting, notify
from workers.alerting import raise_alerts
from workers.app import App
from workers.runner import drain, workers
from workers.web.server import serving
from workers.webhooks import WebhookVerificationError, new_secret, verify

SECRET = new_secret()
# The production retry schedule is NEWSWATCH_ALERT_MIN_BACKOFF_S=10 s doubling up to 3 h; the tests
# run the same schedule 1000 times faster (10 ms doubling up to 10.8 s), so one real millisecond
# stands for one simulated second.
TIME_SCALE = 1000.0


@dataclass
class Hit:
    at: float
    headers: dict[str, str]
    body: bytes
    webhook_id: str | None = None
    verified: bool = False
    status: int = 0


@dataclass
class Receiver:
    """A local receiver: verifies each request, answers ``respond(n, hit)`` -> (status, headers)."""

    respond: Callable[[int, Hit], tuple[int, dict[str, str]]] = lambda n, hit: (200, {})
    secret: str = SECRET
    hits: list[Hit] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Hit]:
        """Verified requests that were answered 2xx: what the receiver's application acted on."""
        return [h for h in self.hits if h.verified and 200 <= h.status < 300]


@contextlib.contextmanager
def receiver(given: Receiver | None = None) -> Iterator[Receiver]:
    rcv = given or Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            hit = Hit(time.monotonic(), {k.lower(): v for k, v in self.headers.items()}, body)
            try:
                hit.webhook_id = verify(rcv.secret, hit.headers, body)
                hit.verified = True
            except WebhookVerificationError:
                pass
            with rcv.lock:
                rcv.hits.append(hit)
                n = len(rcv.hits)
            status, headers = rcv.respond(n, hit)
            if not hit.verified and "webhook-signature" in hit.headers:
                status = 401
            hit.status = status
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rcv.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rcv
    finally:
        server.shutdown()
        server.server_close()


def alerts_file(destinations: dict[str, dict[str, Any]], **rule: Any) -> AlertsFile:
    rule = {"name": "detentions", "events": ["detention"], "destinations": list(destinations), **rule}
    return AlertsFile.model_validate({"rules": [rule], "destinations": destinations})


def fast(settings: Settings, scale: float = TIME_SCALE, **more: Any) -> Settings:
    """The production retry schedule, ``scale`` times faster (TIME_SCALE unless said)."""
    values = {
        "alert_min_backoff_s": 10 / scale,
        "alert_max_backoff_s": 3 * 3600 / scale,
        "alert_max_retries": 16,
        "hook_secret": SecretStr(SECRET),
        **more,
    }
    return settings.model_copy(update=values)


@contextlib.contextmanager
def open_app(settings: Settings, alerts: AlertsFile) -> Iterator[App]:
    from config.loader import load_config

    config = load_config(settings.config_dir).model_copy(update={"alerts": alerts})
    with App.open(settings, config=config) as app:
        yield app


def record(n: int = 0, *, status: str = "detained", source: str = "Eastern Wire", **more: Any) -> Record:
    rid = f"rec{n:04d}"
    data: dict[str, Any] = {
        "id": rid,
        "url": f"https://outlet{n}.example/news/{rid}",
        "canonical_url": f"https://outlet{n}.example/news/{rid}",
        "source": source,
        "title": "South Korean missionary detained in Vladivostok",
        "text": "The FSB detained a South Korean missionary.",
        "fetched_at": datetime(2025, 5, 6, tzinfo=UTC),
        "content_hash": f"h{n}",
        "dedup": DedupVerdict(status="unique"),
        "story_id": "story-kim",
        "relevance": 0.9,
        "on_topic": True,
        "events": (
            Event(
                type="detention",
                evidence=f"The FSB said on Tuesday it had {status} Kim Jung-hoon ({n}).",
                confidence=0.9,
                status=status,
                person_key="name:kim-jung-hoon:south_korea",
            ),
        ),
        "case_ids": ("south_korea-kim-jung-hoon",),
    }
    data.update(more)
    return Record(**data)


def test_signed_webhook_arrives_once_with_everything_a_reader_needs(settings: Settings) -> None:
    with receiver() as rcv:
        alerts = alerts_file({"hook": {"type": "webhook", "url": rcv.url}})
        with open_app(fast(settings), alerts) as nw, workers(nw, threads=2, queues={"alerts"}):
            fired = raise_alerts(nw, record(1))
            assert len(fired) == 1
            assert raise_alerts(nw, record(1)) == []  # processed again: nothing new
            drain(nw)
            state = alerting.delivery(nw, fired[0].key)
    assert len(rcv.hits) == 1 and rcv.hits[0].verified
    assert rcv.hits[0].webhook_id == f"msg_{fired[0].key}"
    assert rcv.hits[0].headers["content-type"] == "application/json"
    data = json.loads(rcv.hits[0].body)["data"]
    assert data["event_type"] == "detention" and data["status"] == "detained"
    assert data["case_id"] == "south_korea-kim-jung-hoon" and data["story_id"] == "story-kim"
    assert data["evidence"].startswith("The FSB said") and data["title"]
    assert data["sources"][0]["url"] == "https://outlet1.example/news/rec0001"
    assert state == {"hook": state["hook"]} and state["hook"]["state"] == "delivered"


def test_receiver_down_for_ten_simulated_minutes_gets_the_alert_once_with_one_id(settings: Settings) -> None:
    # 100 times faster, not 1000: a worker picks a delayed retry up within 100 ms of real time, which
    # at 1000 times would be 100 simulated seconds and, on a loaded machine, too few tries in ten minutes
    scale = 100.0
    start: list[float] = []

    def respond(n: int, hit: Hit) -> tuple[int, dict[str, str]]:
        start.append(hit.at) if not start else None
        simulated_s = (hit.at - start[0]) * scale
        return (500, {}) if simulated_s < 600 else (200, {})

    with receiver(Receiver(respond=respond)) as rcv:
        alerts = alerts_file({"hook": {"type": "webhook", "url": rcv.url}})
        with open_app(fast(settings, scale), alerts) as nw, workers(nw, threads=2, queues={"alerts"}):
            (alert,) = raise_alerts(nw, record(2))
            deadline = time.monotonic() + 60  # the last try comes some 6 to 13 s of real time in
            while alerting.delivery(nw, alert.key)["hook"]["state"] != "delivered":
                assert time.monotonic() < deadline, alerting.delivery(nw, alert.key)
                time.sleep(0.02)
            drain(nw)
            state = alerting.delivery(nw, alert.key)["hook"]
    statuses = [h.status for h in rcv.hits]
    assert statuses[-1] == 200 and statuses.count(200) == 1 and set(statuses[:-1]) == {500}
    assert len(rcv.hits) >= 6  # 10 s, 20 s, 40 s ... (with jitter): six or more tries in ten minutes
    assert {h.webhook_id for h in rcv.hits} == {f"msg_{alert.key}"} and all(h.verified for h in rcv.hits)
    simulated_s = (rcv.hits[-1].at - rcv.hits[0].at) * scale
    assert 600 <= simulated_s < 4 * 3600
    gaps = [b.at - a.at for a, b in zip(rcv.hits, rcv.hits[1:], strict=False)]
    assert gaps[-1] > gaps[0]  # the waits grow: exponential backoff
    assert state["state"] == "delivered" and state["attempts"] == len(rcv.hits)


def test_retry_after_is_honoured_and_a_redirect_is_a_failure_not_followed(settings: Settings) -> None:
    def respond(n: int, hit: Hit) -> tuple[int, dict[str, str]]:
        if n == 1:
            return 503, {"retry-after": "1"}
        if n == 2:
            return 302, {"location": "http://127.0.0.1:9/elsewhere"}
        return 200, {}

    with receiver(Receiver(respond=respond)) as rcv:
        alerts = alerts_file({"hook": {"type": "webhook", "url": rcv.url}})
        with open_app(fast(settings), alerts) as nw, workers(nw, threads=2, queues={"alerts"}):
            (alert,) = raise_alerts(nw, record(3))
            deadline = time.monotonic() + 20
            while alerting.delivery(nw, alert.key)["hook"]["state"] != "delivered":
                assert time.monotonic() < deadline
                time.sleep(0.02)
    assert len(rcv.hits) == 3
    assert rcv.hits[1].at - rcv.hits[0].at >= 0.95  # Retry-After: 1, not the 10 ms backoff
    assert {h.webhook_id for h in rcv.hits} == {f"msg_{alert.key}"}


def test_a_4xx_or_exhausted_retries_land_in_the_dead_letter_list_and_retry_resends(
    settings: Settings,
) -> None:
    answer = {"status": 410}
    with receiver(Receiver(respond=lambda n, hit: (answer["status"], {}))) as rcv:
        alerts = alerts_file({"hook": {"type": "webhook", "url": rcv.url}})
        with (
            open_app(fast(settings, alert_max_retries=2), alerts) as nw,
            workers(nw, threads=2, queues={"alerts"}),
        ):
            (gone,) = raise_alerts(nw, record(4))
            drain(nw)
            answer["status"] = 503
            (down,) = raise_alerts(nw, record(5, status="sentenced"))
            drain(nw)
            dead = alerting.dead_letters(nw)
            gone_state = alerting.delivery(nw, gone.key)["hook"]
            down_state = alerting.delivery(nw, down.key)["hook"]
            assert sorted(dead) == sorted([(gone.key, "hook"), (down.key, "hook")])
            assert gone_state["state"] == "dead" and "http_410" in gone_state["error"]
            assert gone_state["attempts"] == 1  # a 4xx is not retried
            assert down_state["state"] == "dead" and down_state["attempts"] == 3  # 1 + 2 retries
            assert "gave up" in down_state["error"] and rcv.url not in down_state["error"]
            answer["status"] = 204
            assert notify.retry(nw, dead) == 2
            drain(nw)
            assert alerting.dead_letters(nw) == []
            assert {alerting.delivery(nw, k)["hook"]["state"] for k in (gone.key, down.key)} == {"delivered"}
            assert nw.redis.zcard(nw.store.k("alerts", "pending")) == 0
    assert len({h.webhook_id for h in rcv.hits}) == 2  # one id per alert, however many attempts


def test_the_address_guard_holds_unless_allowed(settings: Settings) -> None:
    guarded = fast(settings, allow_private_addresses=False)
    with receiver() as rcv:
        blocked = alerts_file({"hook": {"type": "webhook", "url": rcv.url}})
        with open_app(guarded, blocked) as nw, workers(nw, threads=1, queues={"alerts"}):
            (alert,) = raise_alerts(nw, record(6))
            drain(nw)
            state = alerting.delivery(nw, alert.key)["hook"]
        assert state["state"] == "dead" and "internal address" in state["error"] and not rcv.hits
        allowed = alerts_file({"hook": {"type": "webhook", "url": rcv.url, "allow_private_addresses": True}})
        with open_app(guarded.model_copy(update={"key_prefix": settings.key_prefix + "-b"}), allowed) as nw:
            try:
                with workers(nw, threads=1, queues={"alerts"}):
                    (alert,) = raise_alerts(nw, record(6))
                    drain(nw)
                    assert alerting.delivery(nw, alert.key)["hook"]["state"] == "delivered"
            finally:
                keys = list(nw.redis.scan_iter(match=nw.prefix + ":*"))
                nw.redis.delete(*keys)
    assert len(rcv.accepted()) == 1


def test_secrets_never_reach_the_logs(settings: Settings, monkeypatch: Any) -> None:
    own = new_secret()
    monkeypatch.setenv("NW_TEST_OWN_SECRET", own)
    with receiver(Receiver(secret=own, respond=lambda n, hit: (500 if n == 1 else 401, {}))) as rcv:
        alerts = alerts_file(
            {
                "hook": {"type": "webhook", "url": rcv.url, "secret_env": "NW_TEST_OWN_SECRET"},
                "log": {"type": "log"},
            }
        )
        with (
            capture_logs() as logs,
            open_app(fast(settings), alerts) as nw,
            workers(nw, threads=1, queues={"alerts"}),
        ):
            (alert,) = raise_alerts(nw, record(7))
            drain(nw)
            results = notify.test_rule(nw, "detentions")
            listed = json.dumps(alerting.delivery(nw, alert.key))
    assert rcv.hits and rcv.hits[0].verified  # signed with the destination's own secret
    assert any(e["event"] == "alert_fired" for e in logs) and any(e["event"] == "alert_dead" for e in logs)
    text = repr(logs) + repr(results) + listed + repr(fast(settings)) + str(fast(settings).model_dump())
    for secret in (own, SECRET, own.removeprefix("whsec_"), SECRET.removeprefix("whsec_")):
        assert secret not in text


def test_command_and_slack_destinations(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "alert.json"
    script = (
        f"import sys, os; open({str(out)!r}, 'w').write(os.environ['NEWSWATCH_ALERT_ID'] + sys.stdin.read())"
    )
    with receiver(Receiver(respond=lambda n, hit: (200, {}))) as slack:
        alerts = alerts_file(
            {
                "cmd": {"type": "command", "command": [sys.executable, "-c", script]},
                "chat": {"type": "slack", "url": slack.url},
            }
        )
        with open_app(fast(settings), alerts) as nw, workers(nw, threads=2, queues={"alerts"}):
            (alert,) = raise_alerts(nw, record(8))
            drain(nw)
            state = alerting.delivery(nw, alert.key)
    assert {d: s["state"] for d, s in state.items()} == {"cmd": "delivered", "chat": "delivered"}
    written = out.read_text()
    assert written.startswith(alert.key) and json.loads(written[len(alert.key) :])["data"]["id"] == alert.key
    (hit,) = slack.hits
    text = json.loads(hit.body)["text"]
    assert "webhook-signature" not in hit.headers
    assert text.startswith("*detention · detained* (detentions)") and "Eastern Wire" in text


def test_atom_feed_served_and_written(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "alerts.atom"
    alerts = alerts_file({"feed": {"type": "atom", "path": str(path), "title": "Detentions"}})
    with open_app(fast(settings), alerts) as nw:
        with workers(nw, threads=1, queues={"alerts"}):
            (a1,) = raise_alerts(nw, record(9))
            (a2,) = raise_alerts(nw, record(10, status="sentenced"))
            drain(nw)
        with serving(nw) as base:
            with urlopen(base + "/alerts.atom") as resp:
                served = resp.read().decode()
                ctype = resp.headers["content-type"]
            with urlopen(base + "/alerts/feed.atom") as resp:
                assert resp.read().decode() == served
            with urlopen(base + "/healthz") as resp:
                assert resp.status == 200 and resp.read() == b"ok\n"
    assert ctype.startswith("application/atom+xml")
    import feedparser

    feed = feedparser.parse(served)
    assert not feed.bozo and feed.feed.title == "Detentions"
    assert [e.id for e in feed.entries] == [f"urn:newswatch:alert:{a2.key}", f"urn:newswatch:alert:{a1.key}"]
    assert feed.entries[0].title.startswith("[detention · sentenced]")
    assert "outlet10.example" in feed.entries[0].summary
    assert feedparser.parse(path.read_text()).entries  # the file destination too


def _config_dir(tmp_path: Path, url: str) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    for name in ("feeds.toml", "topic.toml"):
        shutil.copy(ROOT / "config" / name, folder / name)
    (folder / "alerts.toml").write_text(
        '[[rules]]\nname = "detentions"\nevents = ["detention"]\ndestinations = ["hook"]\n\n'
        f'[destinations.hook]\ntype = "webhook"\nurl = "{url}"\nsecret_env = "NEWSWATCH_HOOK_SECRET"\n'
    )
    return folder


def test_a_worker_killed_after_sending_never_makes_two_ids_for_one_alert(
    settings: Settings, env: dict[str, str], tmp_path: Path
) -> None:
    worker: list[subprocess.Popen[bytes]] = []

    def respond(n: int, hit: Hit) -> tuple[int, dict[str, str]]:
        if n == 1:  # the request is sent; kill the worker before it can record the delivery
            worker[0].send_signal(signal.SIGKILL)
            worker[0].wait()
        return 200, {}

    with receiver(Receiver(respond=respond)) as rcv:
        config_dir = _config_dir(tmp_path, rcv.url)
        run_env = {
            **env,
            "NEWSWATCH_CONFIG_DIR": str(config_dir),
            "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
            "NEWSWATCH_HOOK_SECRET": SECRET,
            "NEWSWATCH_WORKER_THREADS": "1",
        }
        ours = settings.model_copy(update={"config_dir": config_dir, "hook_secret": SecretStr(SECRET)})
        with App.open(ours) as nw:
            (alert,) = raise_alerts(nw, record(11))
            worker.append(
                subprocess.Popen(
                    [sys.executable, "-m", "workers.cli", "worker"],
                    env=run_env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            deadline = time.monotonic() + 30
            while worker[0].poll() is None:
                assert time.monotonic() < deadline, "the worker never delivered"
                time.sleep(0.05)
            assert worker[0].returncode == -signal.SIGKILL
            assert alerting.delivery(nw, alert.key)["hook"]["state"] == "pending"  # sent, not recorded
            # A fresh worker. dramatiq gives a dead worker's unacked messages to the living after its
            # heartbeat times out (60 s by default); here after 1 s, so the test does not wait a minute.
            nw.broker.heartbeat_timeout = 1000
            nw.broker.maintenance_chance = MAINTENANCE_SCALE  # on every command
            time.sleep(1.2)
            with workers(nw, threads=1, queues={"alerts"}):
                deadline = time.monotonic() + 20
                while alerting.delivery(nw, alert.key)["hook"]["state"] != "delivered":
                    assert time.monotonic() < deadline, alerting.delivery(nw, alert.key)
                    time.sleep(0.05)
    assert len(rcv.hits) == 2 and all(h.verified for h in rcv.hits)
    assert {h.webhook_id for h in rcv.hits} == {f"msg_{alert.key}"}  # twice, but never two ids
