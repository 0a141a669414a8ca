"""A small index of sessions (id, owner, persona, times, outcome, score, branch) beside the checkpoints.

Kept in the same database as the checkpointer it serves: a table in the SQLite file, a table in
PostgreSQL, or a dict for the in-memory saver. `index_for(checkpointer)` picks the right one.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol

from langgraph.checkpoint.base import BaseCheckpointSaver

from sim.engine.state import SessionSummary

COLUMNS = (
    "id",
    "owner",
    "persona_id",
    "created_at",
    "updated_at",
    "outcome",
    "score",
    "turns",
    "branch_of",
    "branch_turn",
)
DDL = """CREATE TABLE IF NOT EXISTS rehearse_sessions (
    id TEXT PRIMARY KEY, owner TEXT, persona_id TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, outcome TEXT, score REAL, turns INTEGER NOT NULL DEFAULT 0,
    branch_of TEXT, branch_turn INTEGER)"""


class SessionIndex(Protocol):
    def upsert(self, row: SessionSummary) -> None: ...
    def get(self, session_id: str) -> SessionSummary | None: ...
    def by_owner(self, owner: str | None) -> list[SessionSummary]: ...
    def branches(self, session_id: str) -> list[str]: ...


def _values(row: SessionSummary) -> tuple[Any, ...]:
    branch, turn = row.branch_of if row.branch_of else (None, None)
    return (
        row.id,
        row.owner,
        row.persona_id,
        row.created_at,
        row.updated_at,
        row.outcome,
        row.score,
        row.turns,
        branch,
        turn,
    )


def _summary(values: Any) -> SessionSummary:
    data = dict(zip(COLUMNS, values, strict=True)) if not isinstance(values, dict) else dict(values)
    branch, turn = data.pop("branch_of"), data.pop("branch_turn")
    return SessionSummary(**data, branch_of=(branch, int(turn)) if branch is not None else None)


def create_tables(cur: Any) -> None:
    """Create the index table and its indexes if missing (a DB-API cursor)."""
    cur.execute(DDL)
    for column in ("owner", "branch_of"):
        name = f"rehearse_sessions_{column}"
        cur.execute(f"CREATE INDEX IF NOT EXISTS {name} ON rehearse_sessions ({column})")


class SqlIndex:
    """The index as a table, through a DB-API connection guarded by the checkpointer's lock."""

    def __init__(self, connect: Any, lock: Any, placeholder: str, upsert_tail: str) -> None:
        self._connect = connect
        self._lock = lock
        self._p = placeholder
        self._tail = upsert_tail
        with self._cursor() as cur:
            create_tables(cur)

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        with self._lock, self._connect() as conn:
            cur = conn.cursor()
            try:
                yield cur
                conn.commit()
            finally:
                cur.close()

    def upsert(self, row: SessionSummary) -> None:
        marks = ", ".join([self._p] * len(COLUMNS))
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
        sql = f"INSERT INTO rehearse_sessions ({', '.join(COLUMNS)}) VALUES ({marks}) {self._tail} {updates}"
        with self._cursor() as cur:
            cur.execute(sql, _values(row))

    def _select(self, where: str, args: tuple[Any, ...]) -> list[SessionSummary]:
        sql = f"SELECT {', '.join(COLUMNS)} FROM rehearse_sessions WHERE {where} ORDER BY updated_at DESC"
        with self._cursor() as cur:
            cur.execute(sql, args)
            return [_summary(r) for r in cur.fetchall()]

    def get(self, session_id: str) -> SessionSummary | None:
        found = self._select(f"id = {self._p}", (session_id,))
        return found[0] if found else None

    def by_owner(self, owner: str | None) -> list[SessionSummary]:
        if owner is None:
            return self._select("owner IS NULL", ())
        return self._select(f"owner = {self._p}", (owner,))

    def branches(self, session_id: str) -> list[str]:
        return [
            s.id
            for s in sorted(self._select(f"branch_of = {self._p}", (session_id,)), key=lambda s: s.created_at)
        ]


class MemoryIndex:
    """The index for savers without a database (tests, the in-memory saver)."""

    def __init__(self) -> None:
        self._rows: dict[str, SessionSummary] = {}
        self._lock = threading.Lock()

    def upsert(self, row: SessionSummary) -> None:
        with self._lock:
            self._rows[row.id] = row

    def get(self, session_id: str) -> SessionSummary | None:
        with self._lock:
            return self._rows.get(session_id)

    def by_owner(self, owner: str | None) -> list[SessionSummary]:
        with self._lock:
            rows = [r for r in self._rows.values() if r.owner == owner]
        return sorted(rows, key=lambda r: r.updated_at, reverse=True)

    def branches(self, session_id: str) -> list[str]:
        with self._lock:
            rows = [r for r in self._rows.values() if r.branch_of and r.branch_of[0] == session_id]
        return [r.id for r in sorted(rows, key=lambda r: r.created_at)]


def _sqlite(conn: sqlite3.Connection, lock: Any) -> SqlIndex:
    def connect() -> AbstractContextManager[sqlite3.Connection]:
        return nullcontext(conn)

    return SqlIndex(connect, lock, "?", "ON CONFLICT(id) DO UPDATE SET")


def index_for(checkpointer: BaseCheckpointSaver[Any] | None) -> SessionIndex:
    """The session index living beside this checkpointer's data."""
    name = type(checkpointer).__name__
    if name == "SqliteSaver":
        return _sqlite(checkpointer.conn, checkpointer.lock)  # type: ignore[union-attr]
    if name in {"PostgresSaver", "ShallowPostgresSaver"}:
        from langgraph.checkpoint.postgres import _internal

        pool = checkpointer.conn  # type: ignore[union-attr]

        def connect() -> AbstractContextManager[Any]:
            return _internal.get_connection(pool)

        return SqlIndex(connect, threading.Lock(), "%s", "ON CONFLICT (id) DO UPDATE SET")
    return MemoryIndex()
