"""Exports: the Markdown transcript reads well and keeps markup literal; JSON round-trips exactly."""

from langgraph.checkpoint.memory import InMemorySaver

from sim.engine.export import escape, from_json, to_json, to_markdown
from sim.engine.session import Rehearsal
from sim.engine.state import SessionView
from tests.engine_fakes import CAREFUL, FakeModels, KeywordScorer, persona


def played(turns: list[str]) -> SessionView:
    models = FakeModels()
    models.persona.default = "You said it in front of Michael, and that is what stays with me."
    r = Rehearsal(models, KeywordScorer(), InMemorySaver(), {"wen-li": persona()}, use_default_coach=False)
    session = r.start("wen-li").id
    view = r.view(session)
    for text in turns:
        view = r.send(session, text)
        if view.outcome:
            break
    return view


def test_json_round_trip_is_exact() -> None:
    view = played(CAREFUL[:3])
    assert from_json(to_json(view)) == view


def test_markdown_has_each_turn_with_evidence_feedback_and_mood() -> None:
    view = played(["I will fix it from now on.", *CAREFUL[:3], "Honestly it was your fault."])
    text = to_markdown(view)
    assert text.count("## Turn ") == len(view.turns) == 5
    assert "## Turn 1: acknowledge → propose" in text
    assert "Solutions before listening: you proposed fixes before hearing their side." in text
    assert "- Shown: Offer solutions (2/3): “i will”" in text.replace("“I will”", "“i will”")
    assert "- Anti-pattern: Blame: “Honestly it was your fault.”" in text
    assert "- Mood: trust 25 → " in text
    assert "- Trust curve: 25, " in text
    assert "### Action plan" in text and "- [ ] " in text
    assert "Turn 5, blame" in text
    assert "- Turn 1, solutions before acknowledging; solutions before listening" in text
    assert "“I will fix it from now on.”" in text


def test_markup_in_user_text_stays_literal() -> None:
    hostile = "<script>alert(1)</script> **bold** [link](http://x) # heading"
    view = played([hostile])
    text = to_markdown(view)
    assert "<script>" not in text and "**bold**" not in text and "[link](http" not in text
    assert escape(hostile) in text
    assert "\\<script\\>" in text


def test_a_turn_cannot_start_a_heading_or_a_list_in_the_transcript() -> None:
    text = to_markdown(played(["# Heading?\n- a list\n1. numbered"]))
    assert "> \\# Heading?\n> \\- a list\n> 1\\. numbered" in text
