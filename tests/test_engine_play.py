"""`rehearse play` without the model server: the interactive loop and the script loader."""

import json
from pathlib import Path

import pytest

from sim.engine.play import _interactive, load_script, run_script, turn_json, turn_text
from tests.engine_fakes import CAREFUL, persona
from tests.test_engine_graph import GOOD, make


def test_the_interactive_loop_plays_until_quit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rehearsal, models = make()
    models.persona.default = GOOD
    typed = iter([CAREFUL[0], "   ", "/quit"])
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(typed))
    view = _interactive(rehearsal, persona(), None)
    out = capsys.readouterr().out
    assert len(view.turns) == 1 and view.outcome is None
    assert persona().opening_line in out and GOOD in out
    assert "! Type what you would say" in out
    assert "phase acknowledge -> empathize" in out


def test_a_script_runs_until_the_outcome_and_prints_every_field() -> None:
    rehearsal, models = make()
    models.persona.default = GOOD
    view = run_script(rehearsal, "wen-li", [*CAREFUL, "one turn too many"], "easy")
    assert view.outcome == "repaired" and len(view.turns) < len(CAREFUL) + 1
    row = turn_json(view.turns[0])
    assert row["source"] == "generated" and row["phase"]["after"] == "empathize" and row["detected"]
    assert "trust" in turn_text(view.turns[0], "Wen")


def test_a_bad_script_names_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"turns": "not a list"}))
    with pytest.raises(SystemExit, match=r"s\.json: field 'turns'"):
        load_script(path)
    path.write_text(json.dumps({"turns": ["Hello."], "persona": "wen-li"}))
    assert load_script(path).persona == "wen-li"
