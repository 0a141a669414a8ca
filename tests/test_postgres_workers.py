"""Two real app workers (`python -m sim ui` on two ports) share one PostgreSQL database.

A browser's storage (owner id and current session) handed from one worker to the other is all a load
balancer moves: the session must go on with nothing lost, also with several browsers at once.
Needs REHEARSE_TEST_DATABASE_URL (`make test` starts PostgreSQL with scripts/postgres.sh).
"""

import html
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest

from evals.app_client import BrowserSession
from evals.bench_app import AppProcess, launch_app
from tests.test_postgres_store import pg_url

pytestmark = [pytest.mark.postgres, pytest.mark.integration]
__all__ = ["pg_url"]

SECRET = "test-browser-secret-shared-by-both-workers"
TEXTS = [
    "I know the release review went badly between us, and I want to fix it.",
    "What was it like for you when I pushed the date without asking?",
    "That makes sense. I'd have been angry too.",
]


@pytest.fixture
def workers(pg_url: str) -> Iterator[tuple[AppProcess, AppProcess]]:
    """Two workers started at the same moment on one fresh schema (their table setup races on purpose)."""
    env = {"REHEARSE_DATABASE_URL": pg_url, "REHEARSE_BROWSER_SECRET": SECRET}
    with ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        a, b = pool.map(lambda _: stack.enter_context(launch_app(env)), range(2))
        yield a, b


def text_of(content: object) -> str:
    """A Chatbot message's text, whether Gradio sends a string or a list of typed parts."""
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)


def user_lines(chat: list[dict[str, object]]) -> list[str]:
    return [html.unescape(text_of(m["content"])) for m in chat if m.get("role") == "user"]


def test_a_session_moves_between_workers_with_nothing_lost(workers: tuple[AppProcess, AppProcess]) -> None:
    a, b = workers
    browser = BrowserSession(a.url)
    try:
        browser.start("marisol-reyes")
        first = browser.send(TEXTS[0])
        session = browser.session_id
        browser.move_to(b.url)
        second = browser.send(TEXTS[1])
        browser.move_to(a.url)
        third = browser.send(TEXTS[2])
        reopened_on_a = browser.reopen()
        browser.move_to(b.url)
        reopened_on_b = browser.reopen()
    finally:
        browser.close()
    assert session is not None and browser.session_id == session
    assert (first.error, second.error, third.error) == ("", "", "")
    assert user_lines(second.chat) == TEXTS[:2]
    assert user_lines(third.chat) == TEXTS
    assert reopened_on_a == reopened_on_b == third.chat
    assert len(third.chat) == 1 + 2 * len(TEXTS)


def test_concurrent_sessions_across_both_workers(workers: tuple[AppProcess, AppProcess]) -> None:
    urls = [w.url for w in workers]

    def play(i: int) -> list[str]:
        browser = BrowserSession(urls[i % 2])
        try:
            browser.start("samir-haddad")
            for turn, text in enumerate(TEXTS[:2]):
                browser.move_to(urls[(i + turn) % 2])
                assert browser.send(f"{text} ({i})").error == ""
            browser.move_to(urls[(i + 1) % 2])
            return user_lines(browser.reopen())
        finally:
            browser.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(play, range(4)))
    assert results == [[f"{t} ({i})" for t in TEXTS[:2]] for i in range(4)]
