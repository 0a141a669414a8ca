"""Bad input through the engine facade (fake model, keyword scorer): each case is refused with a clear message
or recorded as clean text, and the session goes on. The eval runs the same cases against the real model."""

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from evals.reliability_data import BadInput, DataError, bad_inputs, injections
from evals.reliability_inputs import OWNER, clean_problem, try_case
from sim.config import Settings
from sim.engine.session import InputError, Rehearsal, clean_text
from sim.llm.fake import FakeChatModel
from tests.engine_fakes import FakeModels, KeywordScorer, persona

REPLY = "You said it in front of Michael, and that is what stays with me."
CASES = bad_inputs()


def rehearsal(max_chars: int = 20_000) -> Rehearsal:
    models = FakeModels(persona=FakeChatModel(default=REPLY))
    settings = Settings(_env_file=None, max_chars=max_chars)  # type: ignore[call-arg]
    return Rehearsal(
        models,
        KeywordScorer(),
        InMemorySaver(),
        {"wen-li": persona("wen-li")},
        settings=settings,
        use_default_coach=False,
    )


@pytest.mark.parametrize("case", CASES, ids=[f"{c.id}-{c.kind}" for c in CASES])
def test_every_bad_input_is_refused_clearly_or_recorded_clean(case: BadInput) -> None:
    assert try_case(rehearsal(), "wen-li", case) is None


def test_the_data_files_cover_what_the_issue_names() -> None:
    kinds = {c.kind for c in CASES}
    assert {
        "empty",
        "whitespace",
        "over_limit",
        "nul",
        "lone_surrogate",
        "only_emoji",
        "rtl_arabic",
        "html_script",
        "markdown_image",
    } <= kinds
    assert any(len(c.turn) > 20_000 for c in CASES)
    attacks = injections()
    assert len(attacks) >= 30 and len({a.style for a in attacks}) >= 10
    assert len({a.text for a in attacks}) == len(attacks)


def test_the_limit_is_the_setting_and_the_message_says_it() -> None:
    r = rehearsal(max_chars=50)
    session = r.start("wen-li", owner=OWNER).id
    with pytest.raises(InputError, match="under 50"):
        r.send(session, "x" * 51, owner=OWNER)
    assert r.send(session, "I missed the meeting, sorry.", owner=OWNER).turns[0].user_text


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("a\x00b", "ab"),
        ("\ud800I missed it\udfff", "I missed it"),
        ("👩\u200d💻 sorry", "👩\u200d💻 sorry"),
        ("line one\r\nline two", "line one\nline two"),
        ("\u202eevil\u202c", "evil"),
    ],
)
def test_clean_text_strips_what_cannot_be_stored_and_keeps_what_people_write(raw: str, kept: str) -> None:
    cleaned = clean_text(raw, 100)
    assert cleaned == kept and clean_problem(cleaned) is None


def test_a_malformed_data_line_names_the_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "x.jsonl"
    bad.write_text('{"id": "a", "style": "s", "text": "t", "canary": ["c"]}\n{"id": "b", "style": "s"}\n')
    with pytest.raises(DataError, match=r"x\.jsonl:2: field 'text'"):
        injections(bad)
    bad.write_text("{not json\n")
    with pytest.raises(DataError, match=r"x\.jsonl:1: not valid JSON"):
        injections(bad)
