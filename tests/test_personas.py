"""Persona files: the shipped ones load; a broken one is skipped with a message naming file and field."""

from pathlib import Path

import pytest
import yaml

from sim.personas import Persona, PersonaError, load_persona, load_personas
from sim.vocab import MOVES, SITUATIONS

SHIPPED = Path(__file__).parent.parent / "personas"


def good(persona_id: str = "sam-lee") -> dict[str, object]:
    return {
        "id": persona_id,
        "name": "Sam Lee",
        "role": "Data engineer",
        "relation": "a peer on your team",
        "situation": "missed_deadline",
        "incident": "You delivered the dataset four days late.",
        "summary": "Late dataset; Sam's release slipped.",
        "how_they_took_it": "Sam had to explain the slip to the client.",
        "personality": ["direct", "fair"],
        "speaking_style": "Short sentences.",
        "difficulty": "normal",
        "triggers": ["excuse"],
        "rebuilds_trust": ["A realistic plan"],
        "opening_line": "You wanted to talk?",
        "lines": {move: [f"{move} one.", f"{move} two."] for move in MOVES},
    }


def write(folder: Path, data: dict[str, object], name: str | None = None) -> Path:
    path = folder / f"{name or data['id']}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_shipped_personas_load_and_cover_every_situation() -> None:
    loaded = load_personas(SHIPPED)
    assert loaded.errors == []
    assert len(loaded.personas) >= len(SITUATIONS)
    assert {p.situation for p in loaded.personas.values()} == set(SITUATIONS)


def test_a_broken_file_is_skipped_and_the_good_ones_still_load(tmp_path: Path) -> None:
    write(tmp_path, good())
    broken = good("bad-one")
    broken["lines"] = {**broken["lines"], "vents": ["only one"]}  # type: ignore[dict-item]
    write(tmp_path, broken)
    loaded = load_personas(tmp_path)
    assert list(loaded.personas) == ["sam-lee"]
    assert len(loaded.errors) == 1
    assert "bad-one.yaml" in loaded.errors[0] and "lines.vents" in loaded.errors[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mood": "grumpy"}, "mood"),
        ({"situation": "lunch"}, "situation"),
        ({"difficulty": "brutal"}, "difficulty"),
        ({"triggers": ["shouting"]}, "triggers.0"),
        ({"summary": "x" * 91}, "summary"),
        ({"name": "  "}, "name"),
        ({"personality": []}, "personality"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path: Path, change: dict[str, object], field: str) -> None:
    path = write(tmp_path, {**good(), **change})
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    assert str(path) in str(caught.value) and f"'{field}'" in str(caught.value)


def test_missing_moves_id_mismatch_and_bad_yaml(tmp_path: Path) -> None:
    data = good()
    data["lines"] = {m: ["a.", "b."] for m in MOVES if m != "accepts"}
    with pytest.raises(PersonaError, match=r"lines\.accepts: missing"):
        load_persona(write(tmp_path, data))
    with pytest.raises(PersonaError, match="must equal the file name 'other'"):
        load_persona(write(tmp_path, good(), name="other"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(PersonaError, match=r"bad\.yaml: not valid YAML"):
        load_persona(bad)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(PersonaError, match="must be a mapping"):
        load_persona(listed)


def test_personas_are_frozen_values() -> None:
    persona = Persona.model_validate(good())
    with pytest.raises(ValueError):
        persona.name = "Other"  # type: ignore[misc]
