"""End to end in a real Chromium: `python -m sim ui` on the embedded model, driven like a user would.

Screenshots of every step go to artifacts/browser/ (desktop-*.png, mobile-*.png); the desktop
rehearsal screenshot is copied to docs/screenshot.png for the README.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
TURNS = [
    "Wen, I want to be straight with you. Calling your criteria p-hacking in front of Michael was wrong, "
    "and I am sorry.",
    "How did that land for you? I would like to hear your side before I say anything else.",
    "I can see it felt like an attack on your integrity, in front of the whole lab. That must have hurt.",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 375, "height": 812}}
REPLY_TIMEOUT_MS = 120_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system` (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("browser")
    port = free_port()
    env = {**os.environ, "REHEARSE_DB_PATH": str(folder / "db.sqlite"), "PYTHONUNBUFFERED": "1"}
    log = (folder / "app.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "ui", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while "Model ready" not in (folder / "app.log").read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the app did not start:\n" + (folder / "app.log").read_text()[-3000:])
            time.sleep(0.5)
        assert httpx.get(url, timeout=10).status_code == 200
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_for_reply(page: "Page", turns_done: int) -> None:
    page.wait_for_function(
        """(n) => {
            const bots = document.querySelectorAll('#chat .message-row.bot-row, #chat [data-testid="bot"]');
            const users = document.querySelectorAll('#chat [data-testid="user"]');
            const last = bots[bots.length - 1];
            const box = document.querySelector('#msg textarea');
            return users.length === n && last && !last.innerText.trim().endsWith('…')
                && box && !box.disabled && document.querySelector('#panel').innerText.includes('Turn ' + n);
        }""",
        arg=turns_done,
        timeout=REPLY_TIMEOUT_MS,
    )


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_rehearse_retry_review_and_export_in_a_real_browser(app_url: str, viewport: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(step: str) -> Path:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[viewport]["width"], f"{step}: the page scrolls sideways ({width}px)"
        path = SHOTS / f"{viewport}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORTS[viewport], accept_downloads=True)  # type: ignore[arg-type]
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(app_url)
        expect(page.locator("#start-wen-li")).to_be_visible()
        expect(page.locator("#start-wen-li")).to_be_enabled()  # once the page's load has answered
        shot("1-choose")

        page.locator("#start-wen-li").click()
        expect(page.locator("#chat")).to_contain_text("notebook")
        phases_before = page.locator("#panel .rh-phases").inner_text()
        assert page.locator('#panel [aria-current="step"]').inner_text().startswith("Acknowledge")

        page.locator("#msg textarea").fill("<b>bold?</b> " + TURNS[0])
        page.locator("#msg textarea").press("Enter")
        wait_for_reply(page, 1)
        first_user = page.locator('#chat [data-testid="user"]').first
        assert "<b>bold?</b>" in first_user.inner_text() and first_user.locator("b").count() == 0
        for n, text in enumerate(TURNS[1:], start=2):
            page.locator("#msg textarea").fill(text)
            page.locator("#msg textarea").press("Enter")
            wait_for_reply(page, n)
        assert page.locator("#panel .rh-chip.rh-good").count() >= 1
        assert page.locator("#panel .rh-phases").inner_text() != phases_before
        assert page.locator("#panel .rh-phase.rh-done, #panel .rh-phase.rh-skipped").count() >= 1
        rehearse_shot = shot("2-rehearse")

        page.reload()
        expect(page.locator("#chat")).to_contain_text("hear your side")
        assert page.locator('#chat [data-testid="user"]').count() == 3

        page.locator("#turn-pick input").click()
        page.get_by_role("option", name=re.compile(r"^Turn 2:")).click()
        page.locator("#retry").click()
        expect(page.locator("body")).to_contain_text("retried from turn 2")
        assert page.locator('#chat [data-testid="user"]').count() == 1
        assert page.locator("#msg textarea").input_value() == TURNS[1]
        shot("3-retried")

        page.locator("#end").click()
        expect(page.locator("#review")).to_contain_text("Turn by turn")
        expect(page.locator("#download-md")).to_be_visible()
        shot("4-review")
        with page.expect_download() as download:
            page.locator("#download-md").click()
        markdown = Path(download.value.path()).read_text(encoding="utf-8")
        assert markdown.startswith("# Rehearsal with Wen Li")
        assert "Branched from session" in markdown and "## Turn 1" in markdown
        assert "Wen, I want to be straight with you" in markdown and r"\<b\>bold?\</b\>" in markdown

        page.get_by_role("tab", name="Sessions").click()
        expect(page.locator("#sessions")).to_contain_text("retry of turn 2")
        assert page.locator("#sessions label").count() == 2
        shot("5-sessions")
        browser.close()

    if viewport == "desktop":
        shutil.copyfile(rehearse_shot, ROOT / "docs" / "screenshot.png")
