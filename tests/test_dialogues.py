"""The scripted conversations: well-formed, and passing through the real scorer (fake and embedded voices)."""

import json
from pathlib import Path

import pytest

from evals.dialogues import FOLDER, load_dialogues, run, summary, verdict
from sim.cli import main as cli_main
from sim.personas import load_personas


def test_the_scripts_are_well_formed_and_cover_the_cases() -> None:
    dialogues = load_dialogues()
    personas = load_personas().personas
    assert len(dialogues) >= 12
    assert all(d.persona in personas for d in dialogues.values())
    kinds = {name.split("-")[0] for name in dialogues}
    assert {"careful", "rush", "blame", "excuse", "injection"} <= kinds
    for name, d in dialogues.items():
        if d.expect.less_trust_than:
            other = dialogues[d.expect.less_trust_than]
            assert (other.persona, other.difficulty) == (d.persona, d.difficulty), name


@pytest.mark.integration
def test_every_script_passes_with_the_real_scorer_and_a_fake_voice() -> None:
    results = run("fake")
    known = {name: d.known_failure for name, d in load_dialogues().items()}
    marks = {r.name: verdict(r, known[r.name]) for r in results}
    failed = {
        r.name: r.failures or "passes: remove known_failure"
        for r in results
        if marks[r.name] in ("FAIL", "XPASS")
    }
    assert failed == {}
    total = summary(results)
    assert total["guard_pass_rate"] == 1.0 and total["scripts"] == len(load_dialogues())


@pytest.mark.integration
def test_the_outcome_does_not_depend_on_the_voice(embedded_models: object) -> None:
    names = ["careful-mateus", "rush-mateus", "injection-mateus"]
    fake = {r.name: r.view for r in run("fake", names)}
    real = {r.name: r for r in run("embedded", names)}
    for name in names:
        assert real[name].failures == [], (name, real[name].failures)
        assert real[name].view.outcome == fake[name].outcome
        assert [t.mood_after for t in real[name].view.turns] == [t.mood_after for t in fake[name].turns]
        assert real[name].guard_failures == 0


@pytest.mark.integration
def test_rehearse_play_prints_turns_and_the_outcome_as_json(
    embedded_models: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "s.json"
    script.write_text(
        json.dumps({"turns": json.loads((FOLDER / "careful-mateus.json").read_text())["turns"]})
    )
    assert cli_main(["play", "--persona", "mateus-oliveira", "--script", str(script), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "repaired" and out["persona"] == "mateus-oliveira"
    first = out["turns"][0]
    assert {"reply", "source", "phase", "mood", "detected", "anti_patterns", "feedback"} <= set(first)
    assert first["source"] in {"generated", "retried", "fallback"} and first["reply"]


def test_a_malformed_script_names_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"persona": "wen-li", "turns": [], "expect": {"outcome": ["repaired"]}}))
    from evals.dialogues import load_dialogues as load

    with pytest.raises(SystemExit, match=r"bad\.json: field 'turns'"):
        load(tmp_path)


def test_a_known_failure_that_passes_fails_the_run() -> None:
    from evals.dialogues import Result

    passing = Result("x", None, [], 0)  # type: ignore[arg-type]
    failing = Result("x", None, ["outcome walked_out not in ['repaired']"], 0)  # type: ignore[arg-type]
    assert verdict(passing, "scorer defect") == "XPASS"
    assert verdict(failing, "scorer defect") == "XFAIL"
    assert verdict(failing, None) == "FAIL"
    assert verdict(passing, None) == "PASS"
