"""``newswatch demo``: the main job, offline.

Serves the example site in ``site/`` (three fictional outlets with RSS feeds
and article pages full of realistic boilerplate; one outlet republishes
another's wire copy) on a loopback port, polls it through the real poller,
processes it through real dramatiq workers on an embedded Redis in a
temporary folder, and prints what was stored and what would alert.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rich.console import Console

from config.loader import load_config
from config.schema import Config, FeedConfig, FeedsFile
from config.settings import Settings
from pipeline.alerts import match
from workers.app import App
from workers.feed_health import feeds_summary
from workers.poller import enqueue_due, sync_feeds
from workers.runner import drain, workers
from workers.tables import records_table
from workers.web.server import serving, url_of

SITE = Path(__file__).resolve().parent / "site"
OUTLETS = {
    "eastwire": "Eastern Wire",
    "seoulledger": "Seoul Ledger",
    "harbortimes": "Harbor Times",
    "hanbit": "Hanbit Daily",
    "vostok": "Vostok Courier",
}
LANGUAGES = {"hanbit": "ko", "vostok": "ru"}  # the others write in English
DASHBOARD_PORT = 8476  # `newswatch demo --serve` (any free port when it is taken)


class _Handler(SimpleHTTPRequestHandler):
    """Serves the site with ``{base}`` replaced by this server's address, as a real site would link."""

    base = ""

    def do_GET(self) -> None:
        path = (SITE / self.path.lstrip("/").split("?")[0]).resolve()
        if SITE not in path.parents or not path.is_file():
            self.send_error(404)
            return
        body = path.read_text(encoding="utf-8").replace("{base}", self.base).encode("utf-8")
        ctype = "application/rss+xml" if path.suffix == ".xml" else "text/html"
        self.send_response(200)
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_site() -> Iterator[str]:
    """The example site on 127.0.0.1 at a free port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    handler = functools.partial(type("H", (_Handler,), {"base": base}))
    server.RequestHandlerClass = handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def demo_config(base: str, settings: Settings) -> Config:
    """The configured topic and alert rules, with the example site's feeds instead of the real ones."""
    config = load_config(settings.config_dir)
    feeds = [
        FeedConfig(
            url=f"{base}/{slug}/rss.xml", name=name, language=LANGUAGES.get(slug, "en"), prefilter=False
        )
        for slug, name in OUTLETS.items()
    ]
    return config.model_copy(update={"feeds": FeedsFile(feeds=feeds)})


def run_demo(
    settings: Settings,
    *,
    console: Console,
    keep: bool = False,
    serve: bool = False,
    port: int = DASHBOARD_PORT,
) -> dict[str, Any]:
    """Run the demo; with ``serve``, keep its dashboard up (and the site) until Ctrl-C."""
    with serve_site() as base, tempfile.TemporaryDirectory(prefix="newswatch-demo-") as tmp:
        console.print(f"Example site at {base}: {', '.join(OUTLETS.values())}")
        demo_settings = settings.model_copy(
            update={
                "redis_url": None,
                "data_dir": Path(tmp),
                "key_prefix": "nwdemo",
                "allow_private_addresses": True,
            }
        )
        with App.open(demo_settings, config=demo_config(base, settings)) as nw, workers(nw, threads=4):
            sync_feeds(nw)
            polled = enqueue_due(nw, force=True)
            drain(nw, timeout_s=300)
            summary = feeds_summary(nw, polled)
            ids = list(nw.redis.keys(nw.store.k("article", "*")))
            records = sorted(
                (r for r in (nw.store.get(i.rsplit(":", 1)[1]) for i in ids) if r),
                key=lambda r: (r.sort_time, r.source),
            )
            alerts = {r.id: [f"{a.rule}:{a.event_type}" for a in match(r, nw.config.alerts)] for r in records}
            console.print(records_table(records, title="What newswatch stored", alerts=alerts))
            stats = nw.store.stats()
            console.print(
                f"{summary['polled']} feeds polled, {len(records)} articles processed: "
                f"{stats['records']} records ({stats['on_topic']} on the subject), "
                f"{stats['duplicates']} copies pointing to their original, {stats['alerts']} alerts fired."
            )
            result = {"summary": summary, "stats": stats, "records": [r.id for r in records]}
            if serve:
                with _dashboard(nw, port) as url:
                    console.print(f"Dashboard at {url}/ (the example site at {base}) until Ctrl-C")
                    _wait()
            elif keep:
                console.print(f"Serving {base} until Ctrl-C")
                _wait()
            else:
                console.print(
                    f"Dashboard: {url_of('127.0.0.1', port)}/ (`newswatch demo --serve` keeps it up)"
                )
            return result


@contextlib.contextmanager
def _dashboard(nw: App, port: int) -> Iterator[str]:
    """``newswatch serve``'s application on 127.0.0.1 for the demo's app (another port if taken)."""
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(serving(nw, "127.0.0.1", port))
        except OSError:
            url = stack.enter_context(serving(nw, "127.0.0.1", 0))
        yield url


def _wait() -> None:
    """Until Ctrl-C or SIGTERM; then the blocks above close (the embedded Redis stops cleanly)."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
