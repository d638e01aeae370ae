"""Delivering an alert to one destination: signed webhook, Slack, a local command, Atom, the log.

One ``deliver_alert`` message per (alert, destination), on its own queue (``alerts``), so a
slow or failing receiver never delays ingestion nor another destination. A failure that may
pass (5xx, 429, a 3xx, a timeout, a command's non-zero exit) is retried by dramatiq with
exponential backoff and jitter (``NEWSWATCH_ALERT_MIN_BACKOFF_S`` doubling up to
``NEWSWATCH_ALERT_MAX_BACKOFF_S``, ``NEWSWATCH_ALERT_MAX_RETRIES`` times) or after the
receiver's ``Retry-After``; one that will not (4xx, a blocked address, no secret) and one that
runs out of retries land in the dead-letter list (``newswatch alerts list``, ``alerts retry``).

Exactly-once is not on offer over HTTP; what is: every attempt of one alert carries the same
``webhook-id`` (``msg_{alert key}``), so a receiver that dedupes on it (as Standard Webhooks,
GitHub and Stripe tell receivers to) sees the alert once, even when a worker dies between
sending and recording. A destination already ``delivered`` is not sent to again when its
message is redelivered. Secrets never reach a log line or an error message; neither does a
destination's URL (a Slack webhook URL is itself a secret).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import structlog

from config.schema import Destination
from pipeline.alerts import rules_sending_to
from pipeline.errors import ConfigError, PermanentError, TransientError, UpstreamError
from pipeline.models import Alert
from workers import alerting, webhooks
from workers.app import App
from workers.http import HttpClient, Response, raise_for_status

log = structlog.get_logger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_LIMIT = 100
SECRET_ENV = "NEWSWATCH_HOOK_SECRET"


def webhook_id(alert_key: str) -> str:
    """The Standard Webhooks message id: the same on every attempt and every resend of one alert."""
    return f"msg_{alert_key}"


def payload(app: App, alert: Alert) -> dict[str, Any]:
    """What every destination receives: the alert, with every source that reported it so far."""
    records = alerting.sources(app, alert.key)
    sources = [
        {
            "record_id": r.id,
            "source": r.source,
            "url": r.url,
            "title": r.title,
            "published_at": r.published_at.isoformat() if r.published_at else None,
        }
        for r in records
    ] or [{"record_id": alert.record_id, "source": alert.source, "url": alert.url, "title": alert.title}]
    return {
        "type": "alert.raised",
        "timestamp": alert.created_at.isoformat(),
        "data": {
            "id": alert.key,
            "rule": alert.rule,
            "event_type": alert.event_type,
            "status": alert.status,
            "title": alert.title,
            "evidence": alert.evidence,
            "subject": alert.subject,
            "story_id": alert.story_id,
            "case_id": alert.case_id,
            "url": sources[0]["url"],
            "sources": sources,
            "created_at": alert.created_at.isoformat(),
        },
    }


def _secret(app: App, dest: Destination) -> str:
    env = dest.secret_env or SECRET_ENV
    value = os.environ.get(env, "")
    if not value and env == SECRET_ENV and app.settings.hook_secret is not None:
        value = app.settings.hook_secret.get_secret_value()  # from .env or an override
    if not value:
        raise PermanentError(f"no webhook secret: set {env}", code="no_secret")
    try:
        webhooks.parse_secret(value)
    except ConfigError as exc:
        raise PermanentError(f"{env}: {exc}", code="bad_secret") from None
    return value


def _check(resp: Response) -> None:
    # Standard Webhooks: a 3xx is a failed attempt (we never follow a redirect with a signed body)
    if 300 <= resp.status < 400:
        raise UpstreamError(f"HTTP {resp.status}: redirect not followed", code=f"http_{resp.status}")
    raise_for_status(resp)


def _post(app: App, dest: Destination, body: bytes, headers: dict[str, str]) -> Response:
    assert dest.url is not None
    client, own = app.http, None
    if dest.allow_private_addresses and not app.http.allow_private:
        client = own = HttpClient(
            timeout_s=app.settings.http_timeout_s, user_agent=app.settings.user_agent, allow_private=True
        )
    try:
        resp = client.post(dest.url, body=body, headers={"content-type": "application/json", **headers})
        _check(resp)
        return resp
    finally:
        if own is not None:
            own.close()


def slack_text(data: dict[str, Any]) -> str:
    """The alert as Slack mrkdwn (``&``, ``<``, ``>`` escaped, as Slack's formatting guide asks)."""

    def esc(text: str | None) -> str:
        return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    kind = data["event_type"] + (f" · {data['status']}" if data.get("status") else "")
    links = ", ".join(f"<{s['url']}|{esc(s['source'])}>" for s in data["sources"])
    head = f"*{esc(kind)}* ({esc(data['rule'])}): {esc(data['title'] or '(no title)')}"
    return f"{head}\n> {esc(data['evidence'])}\n{links}"


def _command(app: App, dest: Destination, body: bytes, alert_key: str) -> None:
    hidden = {SECRET_ENV, *(d.secret_env for d in app.config.alerts.destinations.values() if d.secret_env)}
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env["NEWSWATCH_ALERT_ID"] = alert_key
    try:
        done = subprocess.run(  # argv from alerts.toml, no shell
            dest.command, input=body, capture_output=True, timeout=app.settings.http_timeout_s, env=env
        )
    except FileNotFoundError:
        raise PermanentError(f"command not found: {dest.command[0]}", code="command_missing") from None
    except PermissionError:
        raise PermanentError(f"command not executable: {dest.command[0]}", code="command_missing") from None
    except subprocess.TimeoutExpired:
        raise TransientError(
            f"command ran over {app.settings.http_timeout_s} s", code="command_timeout"
        ) from None
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip()[-300:]
        raise TransientError(f"command exited {done.returncode}: {tail}", code="command_failed")


def send(app: App, alert: Alert, name: str, dest: Destination) -> None:
    """One attempt at one destination; raises TransientError (retry) or PermanentError (don't)."""
    data = payload(app, alert)
    body = json.dumps(data, ensure_ascii=False).encode()
    if dest.type == "log":
        d = data["data"]
        log.info(
            "alert_fired",
            rule=d["rule"],
            event_type=d["event_type"],
            status=d["status"],
            title=d["title"],
            evidence=d["evidence"],
            subject=d["subject"],
            sources=[s["source"] for s in d["sources"]],
            urls=[s["url"] for s in d["sources"]],
        )
    elif dest.type == "webhook":
        signed = webhooks.headers(_secret(app, dest), webhook_id(alert.key), body)
        _post(app, dest, body, signed)
    elif dest.type == "slack":
        _post(app, dest, json.dumps({"text": slack_text(data["data"])}).encode(), {})
    elif dest.type == "command":
        _command(app, dest, body, alert.key)
    elif dest.type == "atom" and dest.path:
        write_atom(app, dest)


def _redact(text: str, dest: Destination) -> str:
    return text.replace(dest.url, "<url>") if dest.url else text


def deliver(app: App, alert_key: str, destination: str | None = None, *, retries: int = 0) -> None:
    """Deliver an alert to one destination (all of its rule's when none is named: fans out).

    ``retries``: how many times this message was retried already. Raises TransientError when
    the attempt should be retried; records the outcome otherwise.
    """
    alert = alerting.get(app, alert_key)
    if alert is None:
        log.warning("alert_missing")
        return
    if destination is None:
        for name in alerting.destinations(app, alert.rule):
            alerting.enqueue(app, alert_key, name)
        return
    structlog.contextvars.bind_contextvars(destination=destination, rule=alert.rule)
    dest = app.config.alerts.destinations.get(destination)
    if dest is None or destination not in alerting.destinations(app, alert.rule):
        alerting.set_state(app, alert_key, destination, "dead", 0, "destination no longer in alerts.toml")
        log.warning("alert_destination_gone")
        return
    state = alerting.delivery(app, alert_key).get(destination, {})
    if state.get("state") == "delivered":
        log.info("alert_already_delivered")
        return
    attempts = int(state.get("attempts", 0)) + 1
    try:
        send(app, alert, destination, dest)
    except TransientError as exc:
        error = _redact(f"{exc.code}: {exc}", dest)
        if retries >= app.settings.alert_max_retries:
            alerting.set_state(app, alert_key, destination, "dead", attempts, f"gave up: {error}")
            log.error("alert_dead", error=error, attempts=attempts)
            return
        alerting.set_state(app, alert_key, destination, "retrying", attempts, error)
        log.warning("alert_retry_scheduled", error=error, attempts=attempts, retry_after_s=exc.retry_after_s)
        raise
    except PermanentError as exc:
        error = _redact(f"{exc.code}: {exc}", dest)
        alerting.set_state(app, alert_key, destination, "dead", attempts, error)
        log.error("alert_dead", error=error, attempts=attempts)
        return
    alerting.set_state(app, alert_key, destination, "delivered", attempts)
    log.info("alert_delivered", attempts=attempts)


def retry(app: App, pairs: list[tuple[str, str]]) -> int:
    """Send dead or stuck deliveries again (``newswatch alerts retry``); the number queued."""
    n = 0
    for key, dest in pairs:
        if alerting.get(app, key) is None:
            continue
        alerting.set_state(app, key, dest, "pending", 0, "resent by hand")
        alerting.enqueue(app, key, dest)
        n += 1
    return n


def undelivered(
    app: App, *, states: tuple[str, ...] = ("pending", "retrying"), older_than_s: float = 0.0
) -> list[tuple[str, str]]:
    """(alert key, destination) of deliveries in one of ``states`` whose state is older than that."""
    cutoff = time.time() - older_than_s
    found = []
    for key in app.redis.zrangebyscore(app.store.k("alerts", "pending"), "-inf", cutoff):
        for dest, state in alerting.delivery(app, key).items():
            at = datetime.fromisoformat(state["at"]).timestamp() if state.get("at") else 0.0
            if state.get("state") in states and at <= cutoff:
                found.append((key, dest))
    return found


def resend_stalled(app: App, *, older_than_s: float = 600.0) -> int:
    """Queue again deliveries still "pending" (never attempted) long after their alert was raised.

    That is an alert raised by a worker that died before it could queue the delivery; the
    receiver dedupes on the webhook-id should the first message turn up after all.
    """
    wait_s = older_than_s + app.settings.alert_hold_s
    stalled = [
        (key, dest)
        for key, dest in undelivered(app, states=("pending",), older_than_s=wait_s)
        if not alerting.delivery(app, key)[dest].get("attempts")
    ]
    if stalled:
        log.warning("alert_deliveries_stalled", count=len(stalled))
    return retry(app, stalled)


def sample_alert(app: App, rule_name: str) -> Alert:
    """A made-up alert for ``newswatch alerts test RULE`` (never stored)."""
    rule = next(r for r in app.config.alerts.rules if r.name == rule_name)
    return Alert(
        key=f"test-{uuid.uuid4().hex[:16]}",
        rule=rule.name,
        record_id="test",
        event_type=rule.events[0] if rule.events else "record",
        status=rule.statuses[0] if rule.statuses else None,
        title="newswatch test alert",
        evidence="This is a test alert sent by `newswatch alerts test`; nothing happened.",
        url="https://example.org/newswatch-test-alert",
        source="newswatch",
        subject="test",
    )


def test_rule(app: App, rule_name: str) -> dict[str, str]:
    """Send a sample alert to each destination of a rule, now; destination -> "ok" or the error."""
    alert = sample_alert(app, rule_name)
    results = {}
    for name in alerting.destinations(app, rule_name):
        dest = app.config.alerts.destinations[name]
        try:
            if dest.type == "atom":
                results[name] = "ok (the feed lists stored alerts; nothing to send)"
                continue
            send(app, alert, name, dest)
            results[name] = "ok"
        except (TransientError, PermanentError) as exc:
            results[name] = _redact(f"{exc.code}: {exc}", dest)
    return results


# --- Atom (RFC 4287) -------------------------------------------------------------------------------------


def atom_feed(
    app: App, *, rules: set[str] | None = None, title: str | None = None, limit: int = ATOM_LIMIT
) -> bytes:
    """An Atom feed of the newest alerts (of ``rules``, when given) for a feed reader to subscribe to."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    alerts = [a for a in alerting.recent(app, limit * 4) if rules is None or a.rule in rules][:limit]
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", f"urn:newswatch:{app.prefix}:alerts")
    sub(feed, "title", title or "newswatch alerts")
    updated = max((a.created_at for a in alerts), default=datetime.now(UTC))
    sub(feed, "updated", updated.isoformat())
    author = sub(feed, "author")
    sub(author, "name", "newswatch")
    for alert in alerts:
        d = payload(app, alert)["data"]
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:newswatch:alert:{alert.key}")
        kind = alert.event_type + (f" · {alert.status}" if alert.status else "")
        sub(entry, "title", f"[{kind}] {alert.title or '(no title)'}")
        sub(entry, "published", alert.created_at.isoformat())
        sub(entry, "updated", alert.created_at.isoformat())
        sub(entry, "link", href=d["url"])
        sub(entry, "category", term=alert.event_type)
        if alert.status:
            sub(entry, "category", term=alert.status, label="case status")
        lines = [alert.evidence, "", f"rule: {alert.rule}", f"subject: {alert.subject}", "sources:"]
        lines += [f"- {s['source']}: {s['url']}" for s in d["sources"]]
        sub(entry, "summary", "\n".join(lines), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def atom_rules(app: App, destination: str | None = None) -> set[str] | None:
    """Rules whose alerts a feed lists: those sending to that atom destination, to any, or all."""
    alerts = app.config.alerts
    if destination is not None:
        return {r.name for r in alerts.rules if destination in r.destinations}
    names = rules_sending_to(alerts, ["atom"])
    return names or None


def write_atom(app: App, dest: Destination) -> None:
    """Rewrite an atom destination's file (atomically: a reader never sees half a feed)."""
    assert dest.path is not None
    name = next(n for n, d in app.config.alerts.destinations.items() if d is dest)
    body = atom_feed(app, rules=atom_rules(app, name), title=dest.title)
    tmp = f"{dest.path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(body)
        os.replace(tmp, dest.path)
    except OSError as exc:
        raise TransientError(f"cannot write {dest.path}: {exc}", code="atom_write") from None
