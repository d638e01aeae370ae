"""`newswatch run --once`, `feeds list`, `feeds import` and `feeds export` as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from config.settings import DEFAULT_CONFIG_DIR
from tests.conftest import synthetic_text

NEWSWATCH = [sys.executable, "-m", "workers.cli"]
ARTICLE = (
    "<html><head><title>{t}</title></head><body><article><h1>{t}</h1>"
    + "<p>A Moscow court extended the custody of a South Korean missionary accused of espionage; "
    "Seoul's foreign ministry asked Russia for consular access and summoned the Russian ambassador.</p>"
    * 4
    + "<p>{more}</p></article></body></html>"
)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSWATCH, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def last_json(proc: subprocess.CompletedProcess[str]) -> object:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_run_once_then_feeds_list_export_and_import(
    env: dict[str, str], httpserver: HTTPServer, tmp_path: Path
) -> None:
    base = httpserver.url_for("").rstrip("/")
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
        + "".join(
            f"<item><title>Russia detains South Korean {n}</title><link>{base}/a/{n}</link><guid>w{n}</guid></item>"
            for n in (1, 2)
        )
        + "</channel></rss>"
    )

    def feed_handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"w1"':
            return Response(status=304)
        return Response(feed, content_type="application/rss+xml", headers={"ETag": '"w1"'})

    httpserver.expect_request("/rss.xml").respond_with_handler(feed_handler)
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=410)
    for n in (1, 2):
        httpserver.expect_request(f"/a/{n}").respond_with_data(
            ARTICLE.format(
                t=f"Russia detains South Korean {n}", more=synthetic_text(n, 8).replace("\n", " ")
            ),
            content_type="text/html; charset=utf-8",
        )
    config = tmp_path / "config"
    config.mkdir()
    for name in ("topic.toml", "alerts.toml"):
        shutil.copy(DEFAULT_CONFIG_DIR / name, config / name)
    (config / "feeds.toml").write_text(
        f'[[feeds]]\nname = "Wire"\nurl = "{base}/rss.xml"\nlanguage = "en"\n\n'
        f'[[feeds]]\nname = "Gone"\nurl = "{base}/gone.xml"\n'
    )
    env = {**env, "NEWSWATCH_CONFIG_DIR": str(config), "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": "true"}

    once = run(env, "run", "--once", "--json", "--threads", "2")
    assert once.returncode == 1 and "1 feeds failed" in once.stderr  # exit 1: some items failed, counted
    first = json.loads(once.stdout.strip().splitlines()[-1])
    assert isinstance(first, dict)
    assert {k: first[k] for k in ("feeds", "polled", "not_modified", "failed", "entries_new")} == {
        "feeds": 2,
        "polled": 2,
        "not_modified": 0,
        "failed": 1,
        "entries_new": 2,
    }
    # every new entry was taken through the stages and has an outcome; "stored" counts those stored
    wire = next(f for f in first["per_feed"] if f["name"] == "Wire")
    assert sum(wire["outcomes"].values()) == 2 and "pending" not in wire["outcomes"]
    assert first["stored"] == wire["outcomes"].get("stored", 0)
    second = last_json(run(env, "run", "--once", "--json", "--threads", "2"))
    assert isinstance(second, dict)
    assert (second["polled"], second["not_modified"], second["entries_new"], second["held"]) == (1, 1, 0, 1)

    health = last_json(run(env, "feeds", "list", "--json"))
    assert isinstance(health, list)
    gone = next(h for h in health if h["name"] == "Gone")
    assert (
        gone["last_status"] == "error"
        and "HTTP 410" in gone["last_error"]
        and gone["consecutive_errors"] == 1
    )
    assert next(h for h in health if h["name"] == "Wire")["entries_seen"] == 2

    exported = run(env, "feeds", "export")
    assert exported.returncode == 0 and f'xmlUrl="{base}/rss.xml"' in exported.stdout
    opml = tmp_path / "more.opml"
    opml.write_text(
        exported.stdout.replace(
            "</body>",
            '<outline text="Folder"><outline type="rss" text="Новости" xmlUrl="https://news.example/rss" language="ru"/></outline></body>',
        )
    )
    imported = last_json(run(env, "feeds", "import", str(opml), "--json"))
    assert imported == {"file": str(config / "feeds.toml"), "found": 3, "added": 1, "already": 2}
    health = last_json(run(env, "feeds", "list", "--json"))
    assert isinstance(health, list) and [h["name"] for h in health][-1] == "Новости"
