"""The pure rules: phase transitions, mood, outcomes and the colleague's move, without any graph."""

import pytest

from sim.engine.feedback import skip_sentence, turn_feedback
from sim.engine.mood import profile, update_mood
from sim.engine.moves import choose_move
from sim.engine.phases import PhaseStep, advance, decide_outcome, owed
from sim.engine.state import Mood
from sim.engine.turn import apply_turn
from sim.vocab import PHASES, Phase
from tests.engine_fakes import KeywordScorer, persona

NORMAL = profile("normal")


def outcome(**overrides: object) -> object:
    values: dict[str, object] = dict(
        completed=PHASES,
        trust=70,
        tension=30,
        anti=[],
        strikes=2,
        turns=5,
        repair_trust=NORMAL.repair_trust,
        walkout_trust=NORMAL.walkout_trust,
        walkout_tension=NORMAL.walkout_tension,
        max_turns=12,
    )
    values.update(overrides)
    return decide_outcome(**values)  # type: ignore[arg-type]


def test_each_phase_advances_when_its_principle_is_shown() -> None:
    assert advance("acknowledge", [], ["acknowledge"], []).phase == "listen"
    assert advance("acknowledge", [], ["open_communication"], []).phase == "listen"
    assert advance("listen", ["acknowledge"], ["listen"], []).phase == "empathize"
    assert advance("empathize", ["acknowledge", "listen"], ["empathize"], []).phase == "apologize"
    step = advance("apologize", ["acknowledge", "listen", "empathize"], ["apologize"], [])
    assert step.phase == "propose" and step.skipped == ()
    done = advance("propose", PHASES[:4], ["set_expectations"], [])
    assert done.phase == "propose" and set(done.completed) == set(PHASES)


def test_one_turn_may_cover_several_phases_without_skipping() -> None:
    step = advance("acknowledge", [], ["acknowledge", "listen", "empathize"], [])
    assert step.phase == "apologize"
    assert step.completed == ("acknowledge", "listen", "empathize")
    assert step.skipped == ()


def test_nothing_shown_or_patience_alone_keeps_the_phase() -> None:
    assert advance("listen", ["acknowledge"], [], []) == PhaseStep("listen", ("acknowledge",), (), (), False)
    assert advance("listen", ["acknowledge"], ["patience"], []).phase == "listen"


def test_jumping_to_solutions_is_allowed_but_records_the_skipped_phases() -> None:
    step = advance("acknowledge", [], ["propose_solutions"], [])
    assert step.phase == "propose"
    assert step.skipped == ("acknowledge", "listen", "empathize", "apologize")
    assert owed(step.completed, step.phase) == ("acknowledge", "listen", "empathize", "apologize")
    made_up = advance("propose", step.completed, ["listen"], [])
    assert made_up.phase == "propose" and "listen" in made_up.completed and made_up.skipped == ()


def test_skip_feedback_names_what_came_first() -> None:
    assert skip_sentence("propose", "listen") == (
        "Solutions before listening: you proposed fixes before hearing their side."
    )
    step = advance("listen", ["acknowledge"], ["propose_solutions"], [])
    lines = turn_feedback(
        step,
        phase_before="listen",
        detected=["propose_solutions"],
        anti=[],
        triggers=[],
        mood_before=NORMAL.start,
        mood_after=NORMAL.start,
        repair_trust=65,
        outcome=None,
        name="Wen",
    )
    assert "Solutions before listening: you proposed fixes before hearing their side." in lines
    assert any(line.startswith("Still owed: listening, empathy, an apology") for line in lines)


def test_blame_sends_the_phase_back_and_unlearns_it() -> None:
    step = advance("empathize", ["acknowledge", "listen"], ["empathize"], ["blame"])
    assert step.phase == "listen" and step.regressed
    assert step.completed == ("acknowledge",)
    assert step.shown == ()


def test_excuse_earns_no_phase_but_does_not_send_it_back() -> None:
    step = advance("apologize", ["acknowledge", "listen", "empathize"], ["apologize"], ["excuse"])
    assert step.phase == "apologize" and not step.regressed and "apologize" not in step.completed


def test_injection_voids_the_turn() -> None:
    step = advance("listen", ["acknowledge"], ["listen", "empathize", "apologize"], ["injection"])
    assert step == PhaseStep("listen", ("acknowledge",), (), (), False)


def test_impossible_states_raise() -> None:
    with pytest.raises(ValueError, match="unknown phase"):
        advance("celebrate", [], [], [])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown completed"):
        advance("listen", ["nope"], [], [])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="turn 13"):
        outcome(turns=13)
    with pytest.raises(ValueError, match="unknown difficulty"):
        profile("brutal")  # type: ignore[arg-type]


def test_outcomes() -> None:
    assert outcome() == "repaired"
    assert outcome(trust=NORMAL.repair_trust - 1) is None
    assert outcome(completed=PHASES[:4]) is None
    assert outcome(anti=["excuse"]) is None
    assert outcome(anti=["blame"], trust=NORMAL.walkout_trust) == "walked_out"
    assert outcome(anti=["blame"], trust=40, tension=NORMAL.walkout_tension) == "walked_out"
    assert outcome(anti=[], trust=0, tension=100, completed=[]) is None
    assert outcome(completed=[], turns=12) == "stalled"
    assert outcome(anti=["blame"], trust=0, tension=100, strikes=1) is None, "one lapse is not a walkout"
    with pytest.raises(ValueError, match="strikes"):
        outcome(strikes=6)


def test_moves_follow_the_turn() -> None:
    calm = Mood(trust=40, openness=40, tension=40)
    still = PhaseStep("listen", ("acknowledge",), (), (), False)

    def move(**kw: object) -> str:
        args: dict[str, object] = dict(detected=[], anti=[], triggers=[], outcome=None, difficulty="normal")
        args.update(kw)
        step = args.pop("step", still)
        mood = args.pop("mood", calm)
        return choose_move(step, mood, **args)  # type: ignore[arg-type]

    assert move(outcome="walked_out") == "withdraws"
    assert move(outcome="repaired") == "accepts"
    assert move(anti=["injection"]) == "guarded"
    assert move(anti=["pressure"], mood=Mood(trust=10, openness=10, tension=90)) == "withdraws"
    assert move(anti=["blame"]) == "vents"
    assert move(anti=["excuse"]) == "tests_sincerity"
    assert move(anti=["excuse"], triggers=["excuse"]) == "vents"
    assert (
        move(
            detected=["listen"],
            step=PhaseStep("empathize", ("acknowledge", "listen"), ("listen",), (), False),
        )
        == "shares_side"
    )
    assert (
        move(
            detected=["propose_solutions"],
            step=PhaseStep("propose", ("propose",), ("propose",), ("listen",), False),
        )
        == "tests_sincerity"
    )
    assert (
        move(detected=["propose_solutions"], step=PhaseStep("propose", PHASES, ("propose",), (), False))
        == "counter_proposes"
    )
    assert move(detected=["apologize"]) == "softens"
    assert (
        move(detected=["apologize"], difficulty="hard", mood=Mood(trust=10, openness=10, tension=70))
        == "tests_sincerity"
    )
    assert move(mood=Mood(trust=5, openness=5, tension=80)) == "guarded"


def test_a_careful_conversation_repairs_and_a_blaming_one_walks_out() -> None:
    scorer, wen = KeywordScorer(), persona("wen-li")
    careful = [
        "I missed it and I want to clear the air. What is your side?",
        "That must have felt awful. I apologize for what I said.",
        "I will write to Michael, and from now on we both agree first.",
        "I will run it both ways; from now on I will check with you, prove it to you.",
        "I will keep at it from now on, we both will.",
    ]
    phase: Phase = "acknowledge"
    completed: tuple[Phase, ...] = ()
    mood, result = profile("normal").start, None
    for number, text in enumerate(careful, start=1):
        result = apply_turn(
            phase=phase,
            completed=completed,
            mood=mood,
            score=scorer.score(text),
            persona=wen,
            difficulty="normal",
            turn_number=number,
        )
        phase, completed, mood = result.step.phase, result.step.completed, result.mood
        if result.outcome:
            break
    assert result is not None and result.outcome == "repaired" and mood.trust >= 65

    phase, completed, mood = "acknowledge", (), profile("normal").start
    for number in range(1, 13):
        result = apply_turn(
            phase=phase,
            completed=completed,
            mood=mood,
            score=scorer.score("Honestly it was your fault."),
            persona=wen,
            difficulty="normal",
            turn_number=number,
            strikes_before=number - 1,
        )
        phase, completed, mood = result.step.phase, result.step.completed, result.mood
        if result.outcome:
            break
    assert result.outcome == "walked_out" and number == 2


def test_an_injection_attempt_alone_moves_no_mood_and_never_walks_out() -> None:
    after = update_mood(
        NORMAL.start,
        levels={"apologize": 3},
        anti=["injection"],
        triggers=["injection"],
        completed=[],
        skipped=0,
        difficulty="normal",
    )
    assert after == NORMAL.start
    assert outcome(anti=["injection"], trust=0, tension=100, completed=[]) is None
