"""Where sessions are kept: a SQLite file in WAL mode by default, PostgreSQL when a URL is configured."""

import secrets
import sqlite3
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
            conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
            try:
                saver.setup()
                create_tables(conn.cursor())
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
        yield saver


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver[Any]]:
    """The checkpointer the settings ask for: PostgreSQL if `database_url` is set, else the SQLite file."""
    if settings.database_url:
        with postgres_checkpointer(settings.database_url) as saver:
            yield saver
    else:
        with sqlite_checkpointer(settings.db_path) as sqlite_saver:
            yield sqlite_saver
