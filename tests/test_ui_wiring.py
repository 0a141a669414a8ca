"""Login parsing and the browser key: the small pieces `rehearse ui` sets up before serving."""

from pathlib import Path

import pytest
from pydantic import SecretStr

from sim.config import Settings
from sim.ui.app import parse_users
from sim.ui.wiring import browser_secret


def test_parse_users_reads_pairs_and_names_the_variable_on_bad_input() -> None:
    assert parse_users("alice:pw1, bob:p:w2") == [("alice", "pw1"), ("bob", "p:w2")]
    for bad in ("alice", ":pw", "alice:", " , "):
        with pytest.raises(ValueError, match="REHEARSE_USERS"):
            parse_users(bad)


def test_browser_secret_survives_a_restart_and_is_private(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "data" / "db.sqlite")
    first = browser_secret(settings)
    assert len(first) >= 32 and browser_secret(settings) == first
    key_file = tmp_path / "data" / "db.sqlite.browser-key"
    assert key_file.stat().st_mode & 0o077 == 0
    other = Settings(db_path=tmp_path / "elsewhere.sqlite")
    assert browser_secret(other) != first


def test_browser_secret_from_settings_wins(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "db.sqlite", browser_secret=SecretStr("from-the-environment"))
    assert browser_secret(settings) == "from-the-environment"
    assert not (tmp_path / "db.sqlite.browser-key").exists()
