"""Prompt files: YAML front matter naming the inputs, then a Jinja2 body. Checked when loaded."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import yaml

from sim.paths import data_dir

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


class PromptError(ValueError):
    """A prompt file is malformed, or was rendered with missing or unknown variables."""


@dataclass(frozen=True)
class Prompt:
    """A loaded prompt: its name, declared inputs and compiled template."""

    name: str
    path: Path
    inputs: frozenset[str]
    description: str
    template: jinja2.Template

    def render(self, **values: Any) -> str:
        given = set(values)
        missing, unknown = self.inputs - given, given - self.inputs
        if missing or unknown:
            raise PromptError(
                f"{self.path.name}: missing variables {sorted(missing)}, unknown variables {sorted(unknown)}"
            )
        return self.template.render(**values).strip()


def parse_prompt(path: Path) -> Prompt:
    """Load one prompt file; the body may use only the variables its front matter declares."""
    raw = path.read_text(encoding="utf-8")
    if not raw.startswith("---\n"):
        raise PromptError(f"{path}: must start with '---' front matter")
    try:
        head, body = raw[4:].split("\n---\n", 1)
        meta = yaml.safe_load(head) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise PromptError(f"{path}: front matter is not valid YAML between '---' lines ({exc})") from exc
    if not isinstance(meta, Mapping) or not isinstance(meta.get("inputs", []), list):
        raise PromptError(f"{path}: field 'inputs' must be a list of variable names")
    inputs = frozenset(str(x) for x in meta.get("inputs", []))
    try:
        used = jinja2.meta.find_undeclared_variables(_ENV.parse(body))
        template = _ENV.from_string(body)
    except jinja2.TemplateSyntaxError as exc:
        raise PromptError(f"{path}: template error on line {exc.lineno}: {exc.message}") from exc
    if used != inputs:
        raise PromptError(
            f"{path}: field 'inputs' declares {sorted(inputs)} but the body uses {sorted(used)}"
        )
    return Prompt(path.stem, path, inputs, str(meta.get("description", "")), template)


def load_prompts(folder: Path | None = None) -> dict[str, Prompt]:
    """Every `*.md` prompt in the folder (default: the project's `prompts/`), by file stem."""
    folder = folder or data_dir("prompts")
    return {p.stem: parse_prompt(p) for p in sorted(folder.glob("*.md"))}
