"""Where sessions are kept: a SQLite file in WAL mode by default, PostgreSQL when a URL is configured."""

import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver

from sim.config import Settings
from sim.engine.index import create_tables

SQLITE_TIMEOUT_S = 30.0
POOL_SIZE = 8
SETUP_LOCK = 0x52454845
"""PostgreSQL advisory lock key held while tables are created: workers starting together would
otherwise race on CREATE TABLE IF NOT EXISTS (a unique violation in pg_type)."""
SETUP_POLL_S = 0.2
SETUP_WAIT_S = 120.0


def new_session_id() -> str:
    """An unguessable id; also the LangGraph thread id of the session."""
    return secrets.token_urlsafe(16)


def thread(session_id: str) -> RunnableConfig:
    """The LangGraph config addressing one session's thread."""
    return {"configurable": {"thread_id": session_id}}


@contextmanager
def sqlite_checkpointer(path: Path | str) -> Iterator[SqliteSaver]:
    """A SqliteSaver on the file (":memory:" for a throwaway one), WAL mode, safe across threads."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=SQLITE_TIMEOUT_S)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA busy_timeout={int(SQLITE_TIMEOUT_S * 1000)}")
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()


@contextmanager
def postgres_checkpointer(url: str) -> Iterator[BaseCheckpointSaver[Any]]:
    """A PostgresSaver on a connection pool; creates its tables on first use."""
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    kwargs = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
    with ConnectionPool(url, min_size=1, max_size=POOL_SIZE, kwargs=kwargs, open=True) as pool:
        saver = PostgresSaver(pool)  # type: ignore[arg-type]
        with pool.connection() as conn:
            _take_setup_lock(conn)
            try:
                saver.setup()
                create_tables(conn.cursor())
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
        yield saver


def _take_setup_lock(conn: Any) -> None:
    """Take the setup lock by polling, never by a blocking `pg_advisory_lock`.

    A worker blocked in `pg_advisory_lock` keeps a transaction open, and the holder's
    `CREATE INDEX CONCURRENTLY` (in LangGraph's migrations) waits for every open transaction:
    a deadlock PostgreSQL does not detect. Between polls this connection holds no transaction.
    """
    deadline = time.monotonic() + SETUP_WAIT_S
    while not conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (SETUP_LOCK,)).fetchone()["ok"]:
        if time.monotonic() > deadline:
            raise TimeoutError(f"another worker held the table-setup lock for over {SETUP_WAIT_S:.0f} s")
        time.sleep(SETUP_POLL_S)


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver[Any]]:
    """The checkpointer the settings ask for: PostgreSQL if `database_url` is set, else the SQLite file."""
    if settings.database_url:
        with postgres_checkpointer(settings.database_url) as saver:
            yield saver
    else:
        with sqlite_checkpointer(settings.db_path) as sqlite_saver:
            yield sqlite_saver
