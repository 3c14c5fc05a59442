"""The live view in a real headless Chromium, against a real server fed by a video file.

Skipped where Chromium or ChromeDriver is missing, except in CI (DIGITSTREAM_CI=1),
where a missing browser is a failure: `.ci/run` installs Debian's chromium and
chromium-driver. Screenshots are kept in artifacts/ as test artefacts.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from recognizer.scoring import load_truth
from tests.conftest import REPOSITORY, SAMPLES, RunningServer
from tests.samples_index import CLEAN_PHOTO, LIVE_PHOTO
from tests.videos import write_drifting_video

ARTIFACTS = REPOSITORY / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.browser

if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("DIGITSTREAM_CI"):
        raise RuntimeError("CI must run the browser test: install Debian's chromium and chromium-driver")
    pytest.skip(
        "Chromium and ChromeDriver are not installed (apt install chromium chromium-driver)", allow_module_level=True
    )


@pytest.fixture
def browser() -> Iterator:  # type: ignore[type-arg]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def live_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("browser") / "desk.mp4"
    return path, write_drifting_video(SAMPLES / LIVE_PHOTO, path, frames=60, drift_x=2, drift_y=0)


def _stable(driver) -> list[str]:  # type: ignore[no-untyped-def]
    """The stable numbers on the page, read in one go (the list is redrawn with every reading)."""
    texts = driver.execute_script("return [...document.querySelectorAll('#stable li')].map(e => e.textContent)")
    return sorted(texts)


def _text(driver, element_id: str) -> str:  # type: ignore[no-untyped-def]
    return str(driver.execute_script(f"return document.getElementById('{element_id}').textContent"))


def _wait_for(driver, condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition(driver):
            return
        time.sleep(0.1)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "browser-failure.png"))
    raise AssertionError(f"timed out waiting for {what}; page state: {_text(driver, 'state')!r}")


def test_live_view_shows_frames_boxes_and_the_right_numbers(start_server, browser, live_video) -> None:  # type: ignore[no-untyped-def]
    video, expected = live_video
    server: RunningServer = start_server([f"desk={video}"])
    started = time.monotonic()
    browser.get(f"http://127.0.0.1:{server.service.port}/")

    def stable_numbers(driver) -> list[str]:  # type: ignore[no-untyped-def]
        return _stable(driver)

    _wait_for(browser, lambda d: stable_numbers(d) == expected, 20, f"stable numbers {expected}")
    seen_after = time.monotonic() - started
    _wait_for(
        browser,
        lambda d: d.execute_script("return document.getElementById('view').width") > 300,
        10,
        "a thumbnail frame",
    )
    # The canvas shows the frame with boxes: its pixels are not a blank background.
    colourful = browser.execute_script(
        """
        const c = document.getElementById('view');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let green = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 1] > 140 && data[i] < 90 && data[i + 2] < 110) green++;
        return green;
        """
    )
    assert colourful > 50, "no digit boxes drawn over the frame"
    assert "live" in _text(browser, "state")
    assert "frames/s" in _text(browser, "stats")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "live-view.png"))
    # The user sees the right numbers within seconds of opening the page (the budget is 2 s on an idle machine).
    assert seen_after < 10


def test_upload_shows_the_digits_of_a_sample(start_server, browser) -> None:  # type: ignore[no-untyped-def]
    server: RunningServer = start_server([])
    browser.get(f"http://127.0.0.1:{server.service.port}/")
    photo = SAMPLES / CLEAN_PHOTO
    expected = sorted(load_truth(photo.with_suffix(".truth.json"))[0].numbers)
    browser.find_element("id", "file").send_keys(str(photo))
    _wait_for(browser, lambda d: _text(d, "upload-text").strip() != "", 20, "the upload's reading")
    read = sorted(_text(browser, "upload-text").split())
    assert read == expected
    assert browser.execute_script("return document.getElementById('upload-view').hidden") is False
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "upload.png"))


def test_page_honours_the_token(start_server, browser, live_video) -> None:  # type: ignore[no-untyped-def]
    video, expected = live_video
    server: RunningServer = start_server([f"desk={video}"], token="browser-token")
    browser.get(f"http://127.0.0.1:{server.service.port}/")
    _wait_for(browser, lambda d: "retrying" in _text(d, "state"), 10, "a refused connection")
    browser.get(f"http://127.0.0.1:{server.service.port}/?token=browser-token")
    _wait_for(
        browser,
        lambda d: _stable(d) == expected,
        20,
        "stable numbers with the token",
    )


def test_page_is_served_with_its_assets(start_server) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    server: RunningServer = start_server([])
    base = f"http://127.0.0.1:{server.service.port}"
    for path, kind in (("/", "text/html"), ("/app.js", "text/javascript"), ("/style.css", "text/css")):
        with urllib.request.urlopen(base + path, timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith(kind)
            assert len(response.read()) > 500


def test_a_stream_that_is_gone_falls_back_to_one_that_is_there(start_server, browser, live_video) -> None:  # type: ignore[no-untyped-def]
    # A bookmark of a stream from before a restart: the server refuses it with HTTP 404.
    video, _ = live_video
    server: RunningServer = start_server([f"desk={video}"])
    browser.get(f"http://127.0.0.1:{server.service.port}/#ghost")
    _wait_for(browser, lambda d: "live: desk" in _text(d, "state"), 15, "the page to fall back to stream desk")
