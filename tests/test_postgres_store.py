"""Sessions in a real PostgreSQL through `open_checkpointer`: any process can continue any session.

Needs REHEARSE_TEST_DATABASE_URL (`make test` starts a throwaway server with scripts/postgres.sh).
Each test works in its own schema, so runs never see each other's rows.
"""

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sim.config import Settings
from sim.engine.session import Rehearsal
from sim.engine.store import open_checkpointer
from sim.llm.fake import FakeChatModel
from sim.llm.protocol import ChatModel
from sim.personas import load_personas
from sim.scoring.types import PrincipleScore, TurnScore
from sim.vocab import PRINCIPLES

pytestmark = pytest.mark.postgres
URL_VAR = "REHEARSE_TEST_DATABASE_URL"


def schema_url(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema`."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL whose tables land in a fresh schema, dropped afterwards."""
    url = os.environ.get(URL_VAR)
    if not url:
        pytest.skip(f"{URL_VAR} is not set: run `make test` (it starts PostgreSQL with scripts/postgres.sh)")
    import psycopg

    schema = "t_" + "".join(c for c in request.node.name.lower() if c.isalnum())[:40] + f"_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class ListeningScorer:
    """Every turn shows `listen` clearly and nothing else."""

    def score(self, text: str, context: str | None = None) -> TurnScore:
        levels = [PrincipleScore(id=p, score=2 if p == "listen" else 0) for p in PRINCIPLES]
        return TurnScore(text=text, principles=levels, overall=20.0)


class FakeModels:
    def __init__(self) -> None:
        self.persona: ChatModel = FakeChatModel(default="I hear you. Go on.")
        self.coach: ChatModel = FakeChatModel(default="Try asking how it landed for them.")


def rehearsal(checkpointer: Any) -> Rehearsal:
    return Rehearsal(FakeModels(), ListeningScorer(), checkpointer, load_personas().personas)


def test_a_session_started_on_one_pool_continues_on_another(pg_url: str) -> None:
    settings = Settings(_env_file=None, database_url=pg_url)
    with open_checkpointer(settings) as first, open_checkpointer(settings) as second:
        a, b = rehearsal(first), rehearsal(second)
        session = a.start("marisol-reyes", owner="alice").id
        a.send(session, "First, on worker A.", owner="alice")
        b.send(session, "Second, on worker B.", owner="alice")
        a.send(session, "Third, back on A.", owner="alice")
        seen_by_a, seen_by_b = a.view(session, owner="alice"), b.view(session, owner="alice")
    assert [t.user_text for t in seen_by_b.turns] == ["First, on worker A.", "Second, on worker B.",
                                                       "Third, back on A."]  # fmt: skip
    assert seen_by_a.model_dump() == seen_by_b.model_dump()
    assert [t.index for t in seen_by_a.turns] == [0, 1, 2]


def test_sessions_survive_a_new_process_and_stay_private(pg_url: str) -> None:
    settings = Settings(_env_file=None, database_url=pg_url)
    with open_checkpointer(settings) as saver:
        r = rehearsal(saver)
        session = r.start("samir-haddad", owner="bob").id
        r.send(session, "Before the restart.", owner="bob")
    script = textwrap.dedent(
        f"""
        import json
        from sim.config import Settings
        from sim.engine.store import open_checkpointer
        from tests.test_postgres_store import rehearsal
        with open_checkpointer(Settings(_env_file=None, database_url={pg_url!r})) as saver:
            r = rehearsal(saver)
            view = r.send({session!r}, "After the restart.", owner="bob")
            try:
                r.view({session!r}, owner="mallory")
                stranger = "visible"
            except KeyError:
                stranger = "hidden"
        print(json.dumps({{"turns": [t.user_text for t in view.turns], "stranger": stranger}}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"turns": ["Before the restart.", "After the restart."], "stranger": "hidden"}


def test_concurrent_sessions_across_two_pools_lose_nothing(pg_url: str) -> None:
    settings = Settings(_env_file=None, database_url=pg_url)
    texts = [f"Turn {i}: I want to understand what happened." for i in range(4)]
    with open_checkpointer(settings) as first, open_checkpointer(settings) as second:
        workers = [rehearsal(first), rehearsal(second)]
        sessions = [workers[i % 2].start("yuki-tanaka", owner=f"user{i}").id for i in range(8)]

        def play(i: int) -> list[str]:
            for turn, text in enumerate(texts):
                workers[(i + turn) % 2].send(sessions[i], text, owner=f"user{i}")
            return [t.user_text for t in workers[i % 2].view(sessions[i], owner=f"user{i}").turns]

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(play, range(8)))
    assert results == [texts] * 8


def test_a_worker_waiting_for_table_setup_does_not_block_concurrent_index_builds(pg_url: str) -> None:
    """While one worker holds the setup lock and runs LangGraph's CREATE INDEX CONCURRENTLY, a second
    worker waiting for that lock must hold no open transaction (else the index build waits forever)."""
    import threading

    import psycopg

    from sim.engine.store import SETUP_LOCK

    holder = psycopg.connect(pg_url, autocommit=True)
    builder = psycopg.connect(pg_url, autocommit=True)
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
        builder.execute("CREATE TABLE IF NOT EXISTS cic_probe (x int)")
        waiting_done = threading.Event()

        def second_worker() -> None:
            with open_checkpointer(Settings(database_url=pg_url)):
                waiting_done.set()

        worker = threading.Thread(target=second_worker, daemon=True)
        worker.start()
        assert not waiting_done.wait(1.0), "the second worker must wait for the setup lock"
        builder.execute("SET statement_timeout = '15s'")
        builder.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS cic_probe_idx ON cic_probe (x)")
        holder.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
        assert waiting_done.wait(30.0), "the second worker never finished its setup"
        worker.join(10)
    finally:
        holder.close()
        builder.close()
