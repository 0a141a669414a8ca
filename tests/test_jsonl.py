from pathlib import Path

import pytest
from pydantic import BaseModel

from sim.jsonl import read_jsonl


class Row(BaseModel):
    id: str
    n: int


class NoId(BaseModel):
    n: int


class Bad(ValueError):
    pass


def test_rows_are_read_in_order_and_blank_lines_skipped(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "a", "n": 1}\n\n   \n{"id": "b", "n": 2}\n', encoding="utf-8")
    assert read_jsonl(path, Row) == [Row(id="a", n=1), Row(id="b", n=2)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": "a", "n": 1}\n{"id": "a", "n": 2}\n', r"x\.jsonl:2: field 'id': 'a' is used twice"),
        ('{"id": "a", "n": "many"}\n', r"x\.jsonl:1: field 'n': "),
        ('{"id": "a", "n": 1}\n{"id": "b", \n', r"x\.jsonl:2: not valid JSON"),
    ],
)
def test_a_bad_line_raises_the_callers_error_naming_file_line_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Bad, match=message):
        read_jsonl(path, Row, Bad)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(Bad, match=r"nope\.jsonl: cannot read"):
        read_jsonl(tmp_path / "nope.jsonl", Row, Bad)


def test_rows_without_an_id_may_repeat(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"n": 1}\n{"n": 1}\n', encoding="utf-8")
    assert read_jsonl(path, NoId) == [NoId(n=1), NoId(n=1)]
