"""Broken data files: an error naming the file and the field; the app still starts with the good ones."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from gradio_client import Client

from sim.config import Settings
from sim.llm.embedded import free_port
from sim.prompts import PromptError, parse_prompt
from sim.ui.app import build_app, launch
from sim.ui.wiring import load_all
from tests.ui_fake import FakeRehearsal

SHIPPED = Path(__file__).resolve().parent.parent / "personas"


def broken_folder(folder: Path) -> dict[str, str]:
    """One good persona and six broken ones; returns file name -> what its error must mention."""
    shutil.copy(SHIPPED / "wen-li.yaml", folder / "wen-li.yaml")
    good = yaml.safe_load((SHIPPED / "wen-li.yaml").read_text(encoding="utf-8"))

    def variant(stem: str, **changes: object) -> None:
        data = {**good, "id": stem, **changes}
        data = {k: v for k, v in data.items() if v is not None}
        (folder / f"{stem}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    variant("no-name", name=None)
    variant("bad-difficulty", difficulty="impossible")
    variant("extra-field", favourite_colour="teal")
    variant("few-lines", lines={**good["lines"], "softens": ["only one"]})
    (folder / "not-yaml.yaml").write_text("id: [unclosed\n  name: : :\n", encoding="utf-8")
    (folder / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage\x00")
    return {
        "no-name.yaml": "name",
        "bad-difficulty.yaml": "difficulty",
        "extra-field.yaml": "favourite_colour",
        "few-lines.yaml": "lines.softens",
        "not-yaml.yaml": "YAML",
        "binary.yaml": "binary.yaml",
    }


def test_broken_personas_are_named_with_their_field_and_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = broken_folder(tmp_path)
    personas = load_all(tmp_path)
    assert list(personas) == ["wen-li"]
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("skipped persona:")]
    assert len(lines) == len(expected)
    for name, field in expected.items():
        assert any(name in line and field in line for line in lines), (name, field, err)


def test_the_personas_folder_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REHEARSE_PERSONAS_DIR", str(tmp_path))
    assert Settings(_env_file=None).personas_dir == tmp_path


@pytest.fixture
def app_with_broken_personas(tmp_path: Path) -> Iterator[str]:
    """The app launched on a personas folder holding one good file among broken ones."""
    broken_folder(tmp_path)
    settings = Settings(
        _env_file=None, db_path=tmp_path / "db.sqlite", personas_dir=tmp_path, port=free_port()
    )
    personas = load_all(settings.personas_dir)
    app = build_app(FakeRehearsal(), personas, settings, "test-secret-0123456789")
    try:
        yield launch(app, settings, block=False, quiet=True)
    finally:
        app.close()


def test_the_app_starts_and_lists_only_the_good_persona(app_with_broken_personas: str) -> None:
    assert httpx.get(app_with_broken_personas, timeout=10).status_code == 200
    api = Client(app_with_broken_personas, verbose=False).view_api(print_info=False, return_format="dict")
    starts = sorted(name for name in api["named_endpoints"] if name.startswith("/start_"))
    assert starts == ["/start_wen_li"]


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("no front matter\n", "front matter"),
        ("---\ninputs: name\n---\nHello {{ name }}\n", "'inputs'"),
        ("---\ninputs: [name]\n---\nHello {{ name }} {{ role }}\n", "'inputs'"),
        ("---\ninputs: [name\n---\nHello\n", "YAML"),
        ("---\ninputs: [name]\n---\nHello {{ name }\n", "line"),
    ],
)
def test_a_malformed_prompt_file_names_the_file_and_field(tmp_path: Path, text: str, mentions: str) -> None:
    path = tmp_path / "persona.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PromptError) as caught:
        parse_prompt(path)
    assert str(path) in str(caught.value) and mentions in str(caught.value)
