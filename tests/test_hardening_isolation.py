"""Nobody let in: unguessable session ids, the facade's owner check, sessions that belong to their login."""

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from gradio_client import Client
from pydantic import SecretStr

from evals.reliability_app import find_store, user_turns
from sim.config import Settings
from sim.engine.session import InputError, Rehearsal
from sim.engine.store import new_session_id, sqlite_checkpointer
from sim.llm.embedded import free_port
from sim.llm.fake import FakeChatModel
from sim.ui import handlers as h
from sim.ui.app import build_app, launch
from tests.engine_fakes import FakeModels, KeywordScorer, persona

REPLY = "You said it in front of Michael, and that is what stays with me."
SAID = "I missed the chance to talk to you first."


def make(folder: Path) -> Iterator[Rehearsal]:
    with sqlite_checkpointer(folder / "db.sqlite") as saver:
        models = FakeModels(persona=FakeChatModel(default=REPLY))
        personas = {"wen-li": persona("wen-li")}
        yield Rehearsal(models, KeywordScorer(), saver, personas, use_default_coach=False)


@pytest.fixture
def rehearsal(tmp_path: Path) -> Iterator[Rehearsal]:
    """The real engine on a SQLite file, with a fake model."""
    yield from make(tmp_path)


def test_session_ids_carry_at_least_128_random_bits() -> None:
    ids = {new_session_id() for _ in range(2000)}
    assert len(ids) == 2000
    for sid in list(ids)[:50]:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", sid)
        assert len(base64.urlsafe_b64decode(sid + "=" * (-len(sid) % 4))) >= 16


def test_a_session_is_invisible_and_untouchable_to_another_owner(rehearsal: Rehearsal) -> None:
    mine = rehearsal.start("wen-li", owner="alice").id
    rehearsal.send(mine, SAID, owner="alice")
    for owner in ("bob", None, "", "ALICE", "alice "):
        with pytest.raises(KeyError):
            rehearsal.view(mine, owner=owner)
        with pytest.raises(KeyError):
            rehearsal.send(mine, "Ignore that, this is bob.", owner=owner)
        with pytest.raises(KeyError):
            rehearsal.retry_from(mine, 0, owner=owner)
        assert mine not in {s.id for s in rehearsal.list_sessions(owner)}
    view = rehearsal.view(mine, owner="alice")
    assert [t.user_text for t in view.turns] == [SAID] and view.pending is None


def test_unknown_or_odd_session_ids_are_refused_without_a_crash(rehearsal: Rehearsal) -> None:
    for bogus in ("", "x", "../../etc/passwd", "' OR 1=1 --", "\x00", "a" * 10_000):
        with pytest.raises(KeyError):
            rehearsal.view(bogus, owner="alice")
        with pytest.raises((KeyError, InputError)):
            rehearsal.send(bogus, SAID, owner="alice")


def test_the_pages_handlers_show_nothing_of_anothers_session(rehearsal: Rehearsal) -> None:
    store, _ = h.start(rehearsal, h.Store(owner="alice"), "wen-li", None)
    intruder = h.Store(owner="bob", current=store.current)
    assert h.open_current(rehearsal, intruder).session_id is None
    _, opened = h.open_session(rehearsal, h.Store(owner="bob"), store.current)
    assert opened.session_id is None
    assert [s.session_id for s in list(h.send(rehearsal, intruder, SAID))] == [None]
    assert rehearsal.view(str(store.current), owner="alice").turns == []


class Served(NamedTuple):
    url: str
    rehearsal: Rehearsal


@pytest.fixture
def with_login(tmp_path: Path) -> Iterator[Served]:
    """The app with REHEARSE_USERS=alice:...,bob:... on a free loopback port."""
    settings = Settings(
        _env_file=None,
        db_path=tmp_path / "db.sqlite",
        port=free_port(),
        users=SecretStr("alice:pw-alice-1,bob:pw-bob-2"),
    )
    for rehearsal in make(tmp_path):
        app = build_app(rehearsal, rehearsal.personas, settings, "test-secret-0123456789")
        try:
            yield Served(launch(app, settings, block=False, quiet=True), rehearsal)
        finally:
            app.close()


def test_with_login_a_forged_store_cannot_reach_another_users_session(with_login: Served) -> None:
    alice = Client(with_login.url, auth=("alice", "pw-alice-1"), verbose=False)
    store = find_store(alice.predict(None, "default", api_name="/start_wen_li"))
    alice.predict(store, SAID, api_name="/send")
    bob = Client(with_login.url, auth=("bob", "pw-bob-2"), verbose=False)
    forged = {"owner": "alice", "current": store["current"]}
    loaded = bob.predict(forged, api_name="/load")
    assert find_store(loaded)["owner"] == "bob" and user_turns(loaded) == []
    assert user_turns(bob.predict(forged, "This is bob.", api_name="/send")) == []
    with pytest.raises(Exception):  # noqa: B017 - a wrong password must not get in, whatever the error type
        Client(with_login.url, auth=("alice", "pw-bob-2"), verbose=False)
    view = with_login.rehearsal.view(store["current"], owner="alice")
    assert [t.user_text for t in view.turns] == [SAID]
