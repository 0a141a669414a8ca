"""The app over loopback with gradio_client, on the real engine, scorer, SQLite file and embedded model."""

import socket
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from gradio_client import Client, handle_file
from pydantic import SecretStr

from sim.config import Settings
from sim.ui.app import build_app, launch
from sim.ui.handlers import RehearsalLike
from sim.ui.pages import NO_SESSION
from sim.ui.wiring import load_all, open_rehearsal

pytestmark = pytest.mark.integration


class Served(NamedTuple):
    url: str
    auth_url: str
    rehearsal: RehearsalLike


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("ui-app")
    settings = Settings(db_path=folder / "db.sqlite", port=free_port())
    with_users = settings.model_copy(update={"port": free_port(), "users": SecretStr("alice:open-sesame")})
    personas = load_all()
    with ExitStack() as stack:
        rehearsal = open_rehearsal(stack, settings, personas)
        app = build_app(rehearsal, personas, settings, "test-secret-0123456789")
        guarded = build_app(rehearsal, personas, with_users, "test-secret-0123456789")
        try:
            url = launch(app, settings, block=False, quiet=True)
            auth_url = launch(guarded, with_users, block=False, quiet=True)
            yield Served(url, auth_url, rehearsal)
        finally:
            app.close()
            guarded.close()


def text_of(message: dict[str, Any]) -> str:
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content)
    return str(content)


def test_start_send_review_and_retry_over_loopback(served: Served) -> None:
    client = Client(served.url, verbose=False)
    store, heading, chat, *_ = client.predict({"owner": "browser-1"}, "hard", api_name="/start_wen_li")
    assert store["owner"] == "browser-1" and store["current"]
    assert "Wen Li" in heading and "hard" in heading
    assert [m["role"] for m in chat] == ["assistant"]

    said = "I am sorry I called your criteria p-hacking in front of Michael. <b>That</b> was wrong of me."
    heading, chat, panel, msg, error, turns = client.predict(store, said, api_name="/send")
    assert [m["role"] for m in chat] == ["assistant", "user", "assistant"]
    assert "&lt;b&gt;That&lt;/b&gt;" in text_of(chat[1]) and "<b>" not in text_of(chat[1])
    assert text_of(chat[2]).strip() and not text_of(chat[2]).endswith("…")
    assert "Turn 1 · score" in panel and 'class="rh-phases"' in panel
    assert msg["value"] == "" and error["visible"] is False
    assert [(label[:18], index) for label, index in turns["choices"]] == [("Turn 1: I am sorry", 0)]
    view = served.rehearsal.view(store["current"], owner="browser-1")
    assert [t.user_text for t in view.turns] == [said]

    head, report, review_turns, markdown_file, json_file, _message = client.predict(store, api_name="/review")
    assert "Wen Li" in head and "Trust over the turns" in head
    assert "### Strengths" in report and "### Action plan" in report
    assert "Turn 1 · score" in review_turns and "&lt;b&gt;That&lt;/b&gt;" in review_turns
    markdown = Path(markdown_file["value"]).read_text(encoding="utf-8")
    assert markdown.startswith("# Rehearsal with Wen Li") and r"\<b\>That\</b\>" in markdown
    loaded = client.predict(handle_file(json_file["value"]), api_name="/load_export")
    assert list(loaded[:3]) == [head, report, review_turns]

    branched, heading, chat, _panel, msg, *_ = client.predict(store, 0, api_name="/retry_from")
    assert branched["current"] != store["current"]
    assert "retried from turn 1" in heading and len(chat) == 1 and msg["value"] == said
    assert len(served.rehearsal.view(store["current"], owner="browser-1").turns) == 1

    listed = client.predict(branched, api_name="/sessions")
    assert {choice[1] for choice in listed["choices"]} == {store["current"], branched["current"]}


def test_another_browser_never_sees_the_session(served: Served) -> None:
    client = Client(served.url, verbose=False)
    store, *_ = client.predict({"owner": "browser-2"}, "default", api_name="/start_yuki_tanaka")
    intruder = {"owner": "browser-3", "current": store["current"]}
    reopened = client.predict(intruder, api_name="/load")
    assert reopened[0]["owner"] == "browser-3" and reopened[1] == NO_SESSION and reopened[2] == []
    assert client.predict(intruder, api_name="/sessions")["choices"] == []
    assert client.predict(intruder, "hello", api_name="/send")[1] == []
    assert served.rehearsal.view(store["current"], owner="browser-2").turns == []


def test_with_users_the_login_name_is_the_owner(served: Served) -> None:
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do: no credentials, no app
        Client(served.auth_url, verbose=False)
    client = Client(served.auth_url, auth=("alice", "open-sesame"), verbose=False)
    store, *_ = client.predict({"owner": "someone-else"}, "default", api_name="/start_wen_li")
    assert store["owner"] == "alice"
    assert served.rehearsal.view(store["current"], owner="alice").owner == "alice"
