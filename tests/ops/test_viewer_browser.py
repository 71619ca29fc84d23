"""The demo viewer end to end in headless Chromium: the real ``serve`` command, real tiles.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package; skipped with the
reason when any is missing. Set ``FAST_REGION_SCREENSHOTS=<dir>`` to keep the screenshots.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from omero_fast_region.sample.cells import make_cells
from omero_fast_region.sample.writers import write_ngff, write_romio
from omero_fast_region.loopback import free_port

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


def _catalog(root: Path) -> Path:
    """A 1024×768 three-level NGFF image and a small raw image, with visible windows."""
    big = make_cells(1024, 768, size_z=2, size_c=3, seed=5)
    write_ngff(str(root / "cells.zarr"), big, chunks=(256, 256), levels=3)
    small = make_cells(256, 192, size_z=1, size_c=2, seed=9)
    write_romio(str(root / "Pixels" / "2"), small)
    colours = [[0, 0, 255, 255], [0, 255, 0, 255], [255, 0, 0, 255]]

    def rendering(data: np.ndarray) -> dict:
        channels = []
        for c in range(data.shape[1]):
            lo, hi = np.percentile(data[0, c, 0, ::4, ::4], [1, 99.5])
            channels.append({"active": True, "window": [float(int(lo)), float(int(hi))], "rgba": colours[c],
                             "family": "linear", "coefficient": 1.0, "noise_reduction": False, "lut": None, "reverse": False})
        return {"model": "rgb", "default_z": 0, "default_t": 0,
                "quantization": {"bit_resolution": 255, "cd_start": 0, "cd_end": 255}, "channels": channels}

    def channels(data: np.ndarray) -> list[dict]:
        return [{"label": name, "emission_wavelength": None, "stats": [int(data[:, c].min()), int(data[:, c].max())]}
                for c, name in zip(range(data.shape[1]), ("DAPI", "GFP", "mCherry"))]

    t, c, z, y, x = small.shape
    catalog = {"images": [
        {"id": 1, "name": "cells.zarr", "source": {"format": "ngff", "path": "cells.zarr"},
         "channels": channels(big), "rendering": rendering(big)},
        {"id": 2, "name": "raw", "source": {"format": "romio", "path": "Pixels/2"},
         "pixels": {"type": "uint16", "size_x": x, "size_y": y, "size_z": z, "size_c": c, "size_t": t, "significant_bits": None},
         "channels": channels(small), "rendering": rendering(small)},
    ]}
    path = root / "catalog.json"
    path.write_text(json.dumps(catalog))
    return path




@pytest.fixture()
def server(tmp_path: Path):
    """``omero-fast-region serve`` on a free loopback port; yields the base URL."""
    catalog = _catalog(tmp_path)
    port = free_port()
    command = [str(Path(sys.executable).parent / "omero-fast-region"), "serve", "--catalog", str(catalog),
               "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
    log = open(tmp_path / "serve.log", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "viewer/images.json", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("serve did not start: " + (tmp_path / "serve.log").read_text(errors="replace"))
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


@pytest.fixture()
def browser(tmp_path: Path):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + (f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_ready(driver, loaded_before: int = 0, timeout: float = 60.0) -> int:
    """Wait until every wanted tile has answered and more have loaded than before; returns the count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ds = driver.execute_script("return Object.assign({}, document.body.dataset)")
        if ds.get("ready") == "1" and int(ds.get("loaded", 0)) > loaded_before:
            return int(ds["loaded"])
        time.sleep(0.1)
    raise AssertionError(f"tiles did not load: {driver.execute_script('return Object.assign({}, document.body.dataset)')}")


def _pixels(driver, element) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(element.screenshot_as_png)).convert("RGB"), dtype=np.float32)


def _keep(driver, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    driver.save_screenshot(str(path))
    keep = os.environ.get("FAST_REGION_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(path, os.path.join(keep, name))


def test_viewer_shows_tiles_and_a_channel_toggle_changes_the_image(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(server)
    loaded = _wait_ready(browser)
    _keep(browser, "viewer.png", tmp_path)
    viewport = browser.find_element(By.ID, "viewport")
    tiles = browser.execute_script(
        "return Array.from(document.querySelectorAll('#tiles img')).map(i => [i.naturalWidth, i.dataset.state, i.src])")
    assert tiles and all(width > 0 and state == "loaded" for width, state, _ in tiles)
    assert all("render_image_region/1/0/0/?tile=" in src and "&m=c" in src and "c=1|" in src for *_, src in tiles)
    before = _pixels(browser, viewport)
    assert before.std() > 10 and before.mean() > 5, "the rendered tiles look blank"

    browser.find_element(By.CSS_SELECTOR, '.channel[data-channel="1"] .toggle').click()
    _wait_ready(browser, loaded)
    _keep(browser, "viewer-channel-1-off.png", tmp_path)
    srcs = browser.execute_script("return Array.from(document.querySelectorAll('#tiles img')).map(i => i.src)")
    assert all("c=-1|" in src for src in srcs)
    after = _pixels(browser, viewport)
    assert np.abs(after - before).mean() > 1.0, "toggling channel 1 did not change the image"
    assert after[..., 2].mean() < before[..., 2].mean(), "channel 1 is blue: blue should drop"


def test_zoom_buttons_move_between_resolution_levels(server, browser):
    from selenium.webdriver.common.by import By

    def levels() -> set[str]:
        return set(browser.execute_script(
            "return Array.from(document.querySelectorAll('#tiles img'))"
            ".map(i => new URL(i.src).searchParams.get('tile').split(',')[0])"))

    browser.get(server)
    loaded = _wait_ready(browser)
    for _ in range(2):
        browser.find_element(By.ID, "zoom-out").click()
    loaded = _wait_ready(browser, loaded)
    assert levels() == {"2"} and "level 2" in browser.find_element(By.ID, "zoom-level").text
    for _ in range(3):
        browser.find_element(By.ID, "zoom-in").click()
    _wait_ready(browser, loaded)
    assert levels() == {"0"} and "level 0" in browser.find_element(By.ID, "zoom-level").text


def test_the_thumbnail_strip_lists_the_catalog_and_opens_an_image(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server)
    loaded = _wait_ready(browser)
    buttons = browser.find_elements(By.CSS_SELECTOR, "#thumbnails button")
    assert [b.get_attribute("data-id") for b in buttons] == ["1", "2"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not browser.execute_script(
            "return Array.from(document.querySelectorAll('#thumbnails img')).every(i => i.complete && i.naturalWidth > 0)"):
        time.sleep(0.1)
    assert browser.execute_script(
        "return Array.from(document.querySelectorAll('#thumbnails img')).every(i => i.naturalWidth > 0)")
    buttons[1].click()
    _wait_ready(browser, loaded)
    assert browser.find_element(By.ID, "image-name").text == "raw"
    srcs = browser.execute_script("return Array.from(document.querySelectorAll('#tiles img')).map(i => i.src)")
    assert srcs and all("render_image_region/2/0/0/" in s for s in srcs)
