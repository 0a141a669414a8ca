"""Sessions in a real SQLite file: survive a restart, fork without touching the original, list by owner."""

import json
import sqlite3
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver

from sim.config import Settings
from sim.engine.session import InputError, Rehearsal
from sim.engine.store import open_checkpointer, sqlite_checkpointer
from tests.engine_fakes import CAREFUL, FakeModels, KeywordScorer, persona
from tests.test_postgres_store import pg_url  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration
REPLY = "You said it in front of Michael, and that is what stays with me."


def rehearsal(checkpointer: BaseCheckpointSaver[Any]) -> Rehearsal:
    models = FakeModels()
    models.persona.default = REPLY
    return Rehearsal(
        models,
        KeywordScorer(),
        checkpointer,
        {"wen-li": persona()},
        use_default_coach=False,
    )


def test_a_session_survives_a_new_rehearsal_on_the_same_file(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, db_path=tmp_path / "s.sqlite")
    with open_checkpointer(settings) as saver:
        first = rehearsal(saver)
        session = first.start("wen-li", owner="alice").id
        first.send(session, CAREFUL[0], owner="alice")
        before = first.view(session, owner="alice")
    with open_checkpointer(settings) as saver:
        second = rehearsal(saver)
        assert second.view(session, owner="alice") == before
        after = second.send(session, CAREFUL[1], owner="alice")
        assert [t.index for t in after.turns] == [0, 1] and after.phase == "apologize"
        assert [s.id for s in second.list_sessions("alice")] == [session]
    mode = sqlite3.connect(settings.db_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_session_survives_a_new_process(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    code = textwrap.dedent(
        f"""
        import json
        from sim.engine.store import sqlite_checkpointer
        from tests.test_engine_store import rehearsal
        with sqlite_checkpointer({str(db)!r}) as saver:
            r = rehearsal(saver)
            sid = r.start("wen-li").id
            view = r.send(sid, {CAREFUL[0]!r})
            print(json.dumps({{"id": sid, "trust": view.mood.trust}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    made = json.loads(done.stdout.strip().splitlines()[-1])
    with sqlite_checkpointer(db) as saver:
        view = rehearsal(saver).view(made["id"])
    assert view.mood.trust == made["trust"] and len(view.turns) == 1


def test_retry_from_forks_and_keeps_the_original(tmp_path: Path) -> None:
    with sqlite_checkpointer(tmp_path / "f.sqlite") as saver:
        r = rehearsal(saver)
        session = r.start("wen-li", owner="bo").id
        for text in CAREFUL[:3]:
            r.send(session, text, owner="bo")
        original = r.view(session, owner="bo")
        branch = r.retry_from(session, 1, owner="bo")
        assert branch.id != session and branch.branch_of == (session, 1)
        assert branch.turns == original.turns[:1]
        assert branch.phase == original.turns[0].phase_after and branch.mood == original.turns[0].mood_after
        assert branch.completed == original.turns[0].completed_after
        changed = r.send(branch.id, "Honestly it was your fault.", owner="bo")
        assert changed.turns[1].regressed
        assert r.view(session, owner="bo") == original
        assert r.branches(session) == [branch.id]
        from_start = r.retry_from(session, 0, owner="bo")
        assert from_start.turns == [] and from_start.mood == original.turns[0].mood_before
        assert r.branches(session) == [branch.id, from_start.id]
        assert {s.id for s in r.list_sessions("bo")} == {session, branch.id, from_start.id}
        assert r.list_sessions("someone-else") == []
        with pytest.raises(InputError):
            r.retry_from(session, 3, owner="bo")
        with pytest.raises(KeyError):
            r.retry_from(session, 0, owner="eve")


def test_many_sessions_at_once(tmp_path: Path) -> None:
    with sqlite_checkpointer(tmp_path / "c.sqlite") as saver:
        r = rehearsal(saver)
        ids = [r.start("wen-li", owner=f"user{i}").id for i in range(8)]

        def play(i: int) -> int:
            for text in CAREFUL[:3]:
                r.send(ids[i], text, owner=f"user{i}")
            return len(r.view(ids[i], owner=f"user{i}").turns)

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(play, range(8))) == [3] * 8
        summary = r.list_sessions("user3")
        assert len(summary) == 1 and summary[0].turns == 3 and summary[0].score == 50.0


@pytest.mark.postgres
def test_forks_and_the_session_list_in_postgresql(pg_url: str) -> None:  # noqa: F811
    settings = Settings(_env_file=None, database_url=pg_url)
    with open_checkpointer(settings) as saver:
        r = rehearsal(saver)
        session = r.start("wen-li", owner="pg").id
        for text in CAREFUL[:2]:
            r.send(session, text, owner="pg")
        branch = r.retry_from(session, 1, owner="pg")
        assert r.branches(session) == [branch.id]
        rows = {s.id: s for s in r.list_sessions("pg")}
        assert set(rows) == {session, branch.id}
        assert rows[branch.id].branch_of == (session, 1) and rows[session].turns == 2
        forked = r.view(branch.id, owner="pg")
    with open_checkpointer(settings) as saver:
        assert rehearsal(saver).view(branch.id, owner="pg") == forked
