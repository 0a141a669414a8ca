"""JSONL files of pydantic rows: one object a line, blank lines skipped, ids (where rows have one) unique.

Every data file of the project is read here, so a bad line always gets the same message: the file,
the line number and the field, raised as the caller's own error type.
"""

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def read_jsonl(path: Path, model: type[M], error: type[BaseException] = ValueError) -> list[M]:
    """Every line of `path` validated as `model`; a bad line raises `error` naming file, line and field."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from exc
    rows: list[M] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = model.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise error(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise error(f"{path}:{number}: field '{where}': {first['msg']}") from exc
        row_id = getattr(row, "id", None)
        if row_id is not None:
            if str(row_id) in seen:
                raise error(f"{path}:{number}: field 'id': {str(row_id)!r} is used twice")
            seen.add(str(row_id))
        rows.append(row)
    return rows
