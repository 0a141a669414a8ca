from pathlib import Path

import pytest
import yaml

from sim.prompts import load_prompts
from sim.scoring.rubric import RUBRIC_PATH, RubricError, load_rubric, parse_rubric
from sim.vocab import ANTI_PATTERNS, PRINCIPLES


def test_rubric_covers_the_vocabulary() -> None:
    rubric = load_rubric()
    assert tuple(p.id for p in rubric.principles) == PRINCIPLES
    assert tuple(a.id for a in rubric.anti_patterns) == ANTI_PATTERNS
    for p in rubric.principles:
        assert sorted(p.levels) == [0, 1, 2, 3]
        for template in p.templates:
            template.format(incident="I missed the deadline", name="Sam")


def test_unknown_field_names_the_file_and_field(tmp_path: Path) -> None:
    raw = yaml.safe_load(RUBRIC_PATH.read_text())
    raw["principles"][0]["weight"] = 2
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(RubricError, match=r"rubric\.yaml: field principles\.0\.weight"):
        parse_rubric(path)


def test_missing_principle_is_rejected(tmp_path: Path) -> None:
    raw = yaml.safe_load(RUBRIC_PATH.read_text())
    del raw["principles"][3]
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(RubricError, match="principles"):
        parse_rubric(path)


def test_prompts_load_and_render_the_rubric() -> None:
    prompts = load_prompts()
    rubric = load_rubric()
    text = prompts["judge"].render(
        principles=[p.model_dump() for p in rubric.principles],
        anti_patterns=[a.model_dump() for a in rubric.anti_patterns],
        text="I'm sorry I missed it.",
        context="",
    )
    for pid in (*PRINCIPLES, *ANTI_PATTERNS):
        assert pid in text
    assert "I'm sorry I missed it." in text
    assert "coach" in prompts
