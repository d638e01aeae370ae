"""The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, driven by selenium).

Each test saves a screenshot in its own output folder (pytest's tmp_path). They are skipped, with
the reason, only where Chromium or its driver is not installed (``scripts/check`` installs both).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.workers.web.conftest import HOSTILE
from workers.app import App
from workers.web import queries
from workers.web.server import serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def base(corpus: App, hostile: str) -> Iterator[str]:
    with serving(corpus) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    profile = tempfile.mkdtemp(prefix="nw-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,1000",
        "--lang=en-US",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER or ""), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shot(driver: WebDriver, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    return path


def test_home_shows_the_chart(browser: WebDriver, base: str, tmp_path: Path) -> None:
    browser.get(base + "/")
    chart = browser.find_element(By.CSS_SELECTOR, "#chart svg")
    assert chart.is_displayed() and chart.size["width"] > 400 and chart.size["height"] > 80
    bars = chart.find_elements(By.CSS_SELECTOR, "rect[fill]")
    assert bars and all(b.size["height"] > 0 for b in bars)
    assert "What happened" in browser.find_element(By.TAG_NAME, "h1").text
    shot(browser, tmp_path, "home")


def test_search_finds_a_record(browser: WebDriver, base: str, tmp_path: Path) -> None:
    browser.get(base + "/search")
    form = browser.find_element(By.ID, "search-form")
    box = form.find_element(By.NAME, "q")
    box.send_keys("Zakharova")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # the click starts a navigation; read the results page once it has come, not the form's page
    WebDriverWait(browser, 10).until(
        lambda b: (
            "q=Zakharova" in b.current_url and b.execute_script("return document.readyState") == "complete"
        )
    )
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".results a.title")]
    assert any("consular access for detained South Korean" in t for t in titles), titles
    shot(browser, tmp_path, "search")


def test_a_story_page_lists_its_sources(browser: WebDriver, base: str, corpus: App, tmp_path: Path) -> None:
    found, _ = queries.stories(corpus, limit=200)
    story = next(s for s in found if len(s["sources"]) > 1)
    browser.get(f"{base}/stories/{story['id']}")
    shown = {e.text for e in browser.find_elements(By.CSS_SELECTOR, "p.sources .source")}
    assert shown == set(story["sources"]) and len(shown) > 1
    copies = browser.find_element(By.CSS_SELECTOR, "details.copies")
    assert "also published by" in copies.text
    shot(browser, tmp_path, "story")


def test_a_case_page_shows_its_timeline(browser: WebDriver, base: str, tmp_path: Path) -> None:
    browser.get(base + "/cases/baek-won-soon")
    steps = browser.find_elements(By.CSS_SELECTOR, "#timeline li.step")
    assert len(steps) >= 2
    for step in steps:
        assert step.find_element(By.TAG_NAME, "blockquote").text
        assert step.find_element(By.CSS_SELECTOR, "a[href^='/records/']").is_displayed()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Baek Won-soon"
    shot(browser, tmp_path, "case")


def test_a_script_in_a_title_renders_as_text(
    browser: WebDriver, base: str, hostile: str, tmp_path: Path
) -> None:
    browser.get(f"{base}/records/{hostile}")
    assert browser.find_element(By.ID, "record-title").text == HOSTILE
    assert browser.title.startswith("Harbor council quotes <script>")
    assert browser.execute_script("return document.title") != "owned"
    assert not browser.find_elements(By.CSS_SELECTOR, "#record-title script, #record-title b")
    shot(browser, tmp_path, "hostile-title")
