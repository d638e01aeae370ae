"""An alert raised by a worker that died before queueing its delivery is still delivered."""

from __future__ import annotations

from config.settings import Settings
from tests.workers.test_notify import alerts_file, open_app, record
from workers import alerting, notify
from workers.alerting import raise_alerts
from workers.runner import drain, workers


def test_a_delivery_that_was_never_queued_is_queued_by_the_sweep(settings: Settings) -> None:
    with open_app(settings, alerts_file({"log": {"type": "log"}})) as app:
        [alert] = raise_alerts(app, record(1), steps=None)
        app.broker.flush("alerts")  # as if the worker had died between raising and queueing
        assert alerting.delivery(app, alert.key)["log"]["state"] == "pending"

        assert notify.resend_stalled(app, older_than_s=3600) == 0  # too recent: perhaps still queued
        assert notify.resend_stalled(app, older_than_s=0) == 1
        with workers(app, threads=1, queues={"alerts"}):
            drain(app, timeout_s=30)
        assert alerting.delivery(app, alert.key)["log"]["state"] == "delivered"
        assert notify.resend_stalled(app, older_than_s=0) == 0  # delivered: nothing to do
