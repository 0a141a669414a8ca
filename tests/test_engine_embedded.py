"""A whole conversation on what ships: the embedded SmolLM2 server, the default scorer and coach, SQLite."""

import json
from pathlib import Path

import pytest

from evals.dialogues import FOLDER
from sim.config import Settings
from sim.engine.guard import check
from sim.engine.session import Rehearsal
from sim.engine.store import sqlite_checkpointer
from sim.llm.backend import Models
from sim.personas import load_personas
from sim.scoring import load_scorer

pytestmark = pytest.mark.integration


def test_a_careful_conversation_on_the_embedded_model(embedded_models: Models, tmp_path: Path) -> None:
    personas = load_personas().personas
    script = json.loads((FOLDER / "careful-mateus.json").read_text(encoding="utf-8"))
    scorer = load_scorer(Settings(_env_file=None), judge=embedded_models.judge)
    with sqlite_checkpointer(tmp_path / "e.sqlite") as saver:
        rehearsal = Rehearsal(embedded_models, scorer, saver, personas)
        view = rehearsal.start("mateus-oliveira", owner="tester")
        persona = personas["mateus-oliveira"]
        said = [view.opening_line]
        for text in script["turns"]:
            chunks: list[str] = []
            view = rehearsal.send(view.id, text, on_token=chunks.append, owner="tester")
            turn = view.turns[-1]
            assert "".join(chunks).strip() == turn.reply
            assert check(turn.reply, persona, previous=said).ok, (turn.reply, turn.reply_source)
            if turn.reply_source != "fallback":
                assert turn.prompt_tokens > 0 and turn.completion_tokens > 0
            assert turn.coaching is not None and turn.coaching.tip
            said.append(turn.reply)
            if view.outcome:
                break
    assert view.outcome == "repaired" and view.mood.trust > view.turns[0].mood_before.trust
    assert {t.reply_source for t in view.turns} <= {"generated", "retried", "fallback"}
