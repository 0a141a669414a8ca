"""Safe defaults: loopback only, no share link, no file served outside the app, capped uploads, quiet logs."""

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from sim.config import Settings
from sim.engine.session import Rehearsal
from sim.engine.store import sqlite_checkpointer
from sim.llm.embedded import free_port
from sim.llm.fake import FakeChatModel
from sim.ui import handlers as h
from sim.ui.app import MAX_UPLOAD, build_app, launch
from sim.ui.wiring import browser_secret
from tests.engine_fakes import FakeModels, KeywordScorer, persona

SECRET_PHRASE = "zebra-kumquat-7731 about the budget spreadsheet"
REPLY = "You said it in front of Michael, and that is what stays with me."


class Served(NamedTuple):
    url: str
    db: Path
    key: str
    settings: Settings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app with default settings (but a free port and a temp database), real engine, fake model."""
    folder = tmp_path_factory.mktemp("defaults")
    settings = Settings(_env_file=None, db_path=folder / "db.sqlite", port=free_port())
    key = browser_secret(settings)
    with sqlite_checkpointer(settings.db_path) as saver:
        rehearsal = _rehearsal(saver, settings)
        rehearsal.send(rehearsal.start("wen-li", owner="x").id, SECRET_PHRASE, owner="x")
        app = build_app(rehearsal, rehearsal.personas, settings, key)
        try:
            yield Served(launch(app, settings, block=False, quiet=True), settings.db_path, key, settings)
        finally:
            app.close()


def test_the_defaults_are_loopback_without_a_share_link_or_login() -> None:
    settings = Settings(_env_file=None)
    assert settings.host == "127.0.0.1" and settings.share is False
    assert settings.max_chars == 20_000


def test_the_app_listens_on_loopback_only(served: Served) -> None:
    assert httpx.get(served.url, timeout=10).status_code == 200
    assert served.url.startswith("http://127.0.0.1:")


def forbidden_paths(served: Served) -> list[str]:
    db = str(served.db)
    return [
        "/gradio_api/file=/etc/passwd",
        "/file=/etc/passwd",
        "/gradio_api/file=../../../../../../etc/passwd",
        "/gradio_api/file=%2Fetc%2Fpasswd",
        "/gradio_api/file=/proc/self/environ",
        f"/gradio_api/file={db}",
        f"/gradio_api/file={db}.browser-key",
        "/gradio_api/file=pyproject.toml",
        "/gradio_api/file=.env",
        "/gradio_api/file=personas/wen-li.yaml",
        "/static/../../../../etc/passwd",
        "/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/gradio_api/file=" + str(Path(__file__).resolve()),
    ]


def test_no_file_outside_the_apps_own_assets_is_served(served: Served) -> None:
    markers = ["root:x:0:0", "SQLite format", served.key, "REHEARSE", "[project]", "lines:"]
    with httpx.Client(base_url=served.url, timeout=10) as client:
        for path in forbidden_paths(served):
            response = client.get(path)
            leaked = [m for m in markers if m in response.text]
            assert response.status_code != 200 or not leaked, (path, response.status_code, leaked)


def test_uploads_past_the_limit_are_refused(served: Served) -> None:
    assert MAX_UPLOAD
    big = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    response = httpx.post(served.url + "gradio_api/upload", files={"files": ("big.json", big)}, timeout=30)
    assert response.status_code == 413 or "exceed" in response.text.lower(), response.text[:200]
    small = httpx.post(served.url + "gradio_api/upload", files={"files": ("s.json", b"{}")}, timeout=30)
    assert small.status_code == 200


def test_a_turn_past_max_chars_gets_a_message_naming_the_limit(tmp_path: Path) -> None:
    with sqlite_checkpointer(tmp_path / "db.sqlite") as saver:
        rehearsal = _rehearsal(saver, Settings(_env_file=None, max_chars=20_000))
        store, _ = h.start(rehearsal, h.Store(owner="big"), "wen-li", None)
        refused = list(h.send(rehearsal, store, "x" * 20_001))[-1]
        assert refused.error and "20000" in refused.error and not refused.retry_send
        assert rehearsal.view(str(store.current), owner="big").turns == []


def test_logs_carry_no_conversation_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with sqlite_checkpointer(tmp_path / "db.sqlite") as saver:
        models = FakeModels(persona=FakeChatModel(default=REPLY))
        rehearsal = Rehearsal(
            models, KeywordScorer(), saver, {"wen-li": persona("wen-li")}, use_default_coach=False
        )
        store, _ = h.start(rehearsal, h.Store(owner="logs"), "wen-li", None)
        shown = list(h.send(rehearsal, store, SECRET_PHRASE))[-1]
        list(h.send(rehearsal, store, ""))
        list(h.send(rehearsal, store, "x" * 30_000))
    assert shown.error is None
    out, err = capfd.readouterr()
    for text in (caplog.text, out, err):
        assert "zebra-kumquat" not in text and REPLY not in text


def _rehearsal(saver: Any, settings: Settings) -> Rehearsal:
    """The real engine with wen-li, the keyword scorer and a fake model that always says REPLY."""
    models = FakeModels(persona=FakeChatModel(default=REPLY))
    return Rehearsal(
        models,
        KeywordScorer(),
        saver,
        {"wen-li": persona("wen-li")},
        settings=settings,
        use_default_coach=False,
    )
