"""Hostile text in a real Chromium: HTML and script in a message show as text and never run; a markdown image
in a message is never fetched. Real engine and scorer (its spans quote the user's text in the panel)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.config import Settings
from sim.engine.session import Rehearsal
from sim.engine.store import sqlite_checkpointer
from sim.llm.embedded import free_port
from sim.llm.fake import FakeChatModel
from sim.scoring import load_scorer
from sim.ui.app import build_app, launch
from tests.engine_fakes import FakeModels, persona

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ATTACK = "<img src=x onerror=alert(1)><script>alert(2)</script>"
SORRY = " I'm sorry I blamed you in front of Michael; that must have felt awful."
IMAGE = "![x](http://127.0.0.1:9/x.png) Can we talk about how to fix this?"
REPLY = "You said it in front of Michael, and that is what stays with me."


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system` (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("hostile")
    settings = Settings(_env_file=None, db_path=folder / "db.sqlite", port=free_port())
    with sqlite_checkpointer(settings.db_path) as saver:
        models = FakeModels(persona=FakeChatModel(default=REPLY))
        rehearsal = Rehearsal(
            models,
            load_scorer(settings),
            saver,
            {"wen-li": persona("wen-li")},
            settings=settings,
            use_default_coach=False,
        )
        app = build_app(rehearsal, rehearsal.personas, settings, "test-secret-0123456789")
        try:
            yield launch(app, settings, block=False, quiet=True)
        finally:
            app.close()


def test_html_and_images_in_a_message_are_shown_as_text_and_never_run_or_fetched(app_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    dialogs: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(app_url)
        page.locator("#start-wen-li").click()
        expect(page.locator("#chat")).to_contain_text("notebook")
        users = page.locator('#chat [data-testid="user"]')
        for n, text in enumerate((ATTACK + SORRY, IMAGE), start=1):
            page.locator("#msg textarea").fill(text)
            page.locator("#msg textarea").press("Enter")
            expect(users).to_have_count(n, timeout=60_000)
            expect(page.locator("#panel")).to_contain_text(f"Turn {n}")
            expect(page.locator("#chat")).to_contain_text(REPLY)
        assert ATTACK in users.nth(0).inner_text()
        assert "![x](http://127.0.0.1:9/x.png)" in users.nth(1).inner_text()
        page.locator("#end").click()
        expect(page.locator("#review")).to_contain_text("Turn by turn")
        expect(page.locator("#review")).to_contain_text(ATTACK)
        page.wait_for_timeout(1500)
        found = page.evaluate(
            """() => ({
                scripts: [...document.querySelectorAll('script')]
                    .filter(s => s.textContent.includes('alert(')).length,
                handlers: document.querySelectorAll('[onerror], [onload]').length,
                images: [...document.querySelectorAll('img')].map(i => i.getAttribute('src') || ''),
            })"""
        )
        browser.close()
    assert any(url.startswith(app_url) for url in requests) and dialogs == []
    assert found["scripts"] == 0 and found["handlers"] == 0
    assert not [src for src in found["images"] if src in ("x", "http://127.0.0.1:9/x.png")]
    assert not [url for url in requests if "127.0.0.1:9/" in url or url.rstrip("/").endswith("/x")]
