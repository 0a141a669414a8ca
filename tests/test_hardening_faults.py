"""Model faults against the real engine: a scripted HTTP server that fails on purpose, and the real embedded
llama.cpp server killed with SIGKILL mid-session. The user's turn is never lost."""

from collections.abc import Iterator
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from evals.app_client import error_text
from evals.reliability_app import AppProcess, Browser
from evals.reliability_data import Check
from evals.reliability_faults import FAULTS, GOOD, OWNER, TURN, kill_embedded, one_fault
from sim.engine.session import Rehearsal
from sim.llm.client import OpenAIChat
from sim.llm.embedded import EmbeddedServer
from sim.llm.protocol import ModelError
from sim.llm.supervised import SupervisedChat
from sim.ui import handlers as h
from tests.engine_fakes import KeywordScorer, persona
from tests.fakeserver import FakeServer, Status

PERSONAS = {"wen-li": persona("wen-li")}
HELLO = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_fault_keeps_the_turn_pending_on_disk_and_a_resend_records_it_once(name: str) -> None:
    assert one_fault(FAULTS[name], KeywordScorer(), PERSONAS, "wen-li") is None


def test_the_page_shows_the_models_error_with_a_retry_and_the_retry_works() -> None:
    with FakeServer(default=Status(500)) as server:
        model = OpenAIChat(server.base_url, None, "fake", timeout=1.0, max_retries=0)
        rehearsal = Rehearsal(
            SimpleNamespace(persona=model, coach=model),
            KeywordScorer(),
            InMemorySaver(),
            PERSONAS,
            use_default_coach=False,
        )
        store = h.Store(owner=OWNER)
        store, _ = h.start(rehearsal, store, "wen-li", None)
        failed = list(h.send(rehearsal, store, TURN))[-1]
        assert failed.error and "HTTP 500" in failed.error and failed.retry_send
        assert failed.draft == TURN
        server.default = GOOD
        done = list(h.send(rehearsal, store, failed.draft))[-1]
    assert done.error is None and not done.retry_send
    assert [unescape(m["content"]) for m in done.messages if m["role"] == "user"] == [TURN]


def test_the_error_box_is_read_from_the_update_gradio_sends() -> None:
    box = '<p class="rh-error" role="alert">Too &amp; long</p>'
    shown = {"__type__": "update", "visible": True, "value": box}
    hidden = {**shown, "visible": False}
    assert error_text(["<p>title</p>", [], shown]) == "Too & long"
    assert error_text(["<p>title</p>", [], hidden]) == ""
    assert error_text(['<p role="alert">plain</p>']) == "plain"


def test_the_browser_client_sees_the_models_error_and_the_resend_lands(tmp_path: Path) -> None:
    """Through the real app and gradio_client, as the load check drives it: the error reaches the client,
    the turn is not shown as said, and sending it again once the server is back records it once."""
    env = {"REHEARSE_BASE_URL": "", "REHEARSE_MAX_RETRIES": "0"}
    with FakeServer(default=Status(500)) as server:
        env["REHEARSE_BASE_URL"] = server.base_url
        with AppProcess(tmp_path / "app.sqlite", env) as app:
            browser = Browser(app.url)
            browser.start("wen-li")
            shown, error = browser.send(TURN)
            assert "HTTP 500" in error and TURN not in shown
            server.default = GOOD
            shown, error = browser.send(TURN)
    assert error == "" and shown == [TURN]


class StubServer:
    """Stands in for EmbeddedServer: 'dead' until restarted."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.up = False
        self.restart_calls = 0

    def alive(self) -> bool:
        return self.up

    def restart(self) -> "StubServer":
        self.up = True
        self.restart_calls += 1
        return self


def test_a_dead_server_is_restarted_before_the_request() -> None:
    with FakeServer() as server:
        stub = StubServer(server.base_url)
        chat = SupervisedChat(stub, None, "fake", timeout=1.0, max_retries=0)  # type: ignore[arg-type]
        assert chat.complete(HELLO).text
    assert stub.restart_calls == 1 and server.attempts == 1


def test_a_live_server_that_errs_is_not_restarted() -> None:
    with FakeServer(default=Status(500)) as server:
        stub = StubServer(server.base_url)
        stub.up = True
        chat = SupervisedChat(stub, None, "fake", timeout=1.0, max_retries=0)  # type: ignore[arg-type]
        with pytest.raises(ModelError):
            chat.complete(HELLO)
    assert stub.restart_calls == 0


def test_the_token_cap_bounds_every_request() -> None:
    with FakeServer() as server:
        stub = StubServer(server.base_url)
        stub.up = True
        chat = SupervisedChat(stub, None, "fake", max_tokens_cap=16)  # type: ignore[arg-type]
        chat.complete(HELLO, max_tokens=200)
        chat.complete(HELLO, max_tokens=8)
    assert [r["max_tokens"] for _, r in server.requests] == [16, 8]


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """A real llama.cpp server of this test alone (the shared one stays untouched)."""
    with EmbeddedServer() as server:
        yield server


@pytest.mark.integration
def test_sigkill_of_the_real_server_mid_session_loses_nothing(own_server: EmbeddedServer) -> None:
    def role() -> SupervisedChat:
        return SupervisedChat(own_server, None, own_server.model, timeout=30.0, max_retries=1)

    rehearsal = Rehearsal(
        SimpleNamespace(persona=role(), coach=role()),
        KeywordScorer(),
        InMemorySaver(),
        PERSONAS,
        use_default_coach=False,
    )
    check = Check("kill")
    kill_embedded(rehearsal, own_server, "wen-li", check)
    assert check.passed == 1, check.failures
