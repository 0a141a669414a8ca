"""Mood: capped trust gains, anti-pattern costs, triggers, difficulty; pure functions only."""

from sim.engine.mood import PROFILES, profile, update_mood
from sim.vocab import PHASES, PrincipleId

NORMAL = profile("normal")


def test_trust_gain_is_capped_per_turn() -> None:
    strong: tuple[PrincipleId, ...] = (
        "acknowledge",
        "open_communication",
        "listen",
        "empathize",
        "apologize",
    )
    levels = dict.fromkeys(strong, 3)
    after = update_mood(
        NORMAL.start,
        levels=levels,
        anti=[],
        triggers=[],
        completed=PHASES[:4],
        skipped=0,
        difficulty="normal",
    )
    assert after.trust - NORMAL.start.trust == NORMAL.max_gain
    assert after.tension < NORMAL.start.tension


def test_anti_patterns_cost_trust_and_triggers_cost_double() -> None:
    plain = update_mood(
        NORMAL.start,
        levels={"apologize": 3},
        anti=["excuse"],
        triggers=[],
        completed=[],
        skipped=0,
        difficulty="normal",
    )
    trigger = update_mood(
        NORMAL.start,
        levels={"apologize": 3},
        anti=["excuse"],
        triggers=["excuse"],
        completed=[],
        skipped=0,
        difficulty="normal",
    )
    assert NORMAL.start.trust - plain.trust == NORMAL.anti_cost
    assert NORMAL.start.trust - trigger.trust == 2 * NORMAL.anti_cost
    assert trigger.tension > plain.tension > NORMAL.start.tension


def test_difficulty_sets_start_costs_and_threshold() -> None:
    easy, hard = PROFILES["easy"], PROFILES["hard"]
    assert easy.start.trust > NORMAL.start.trust > hard.start.trust
    assert easy.anti_cost < NORMAL.anti_cost < hard.anti_cost
    assert easy.repair_trust < NORMAL.repair_trust < hard.repair_trust
    for rules in PROFILES.values():
        turns_needed = -(-(rules.repair_trust - rules.start.trust) // rules.max_gain)
        assert turns_needed >= 3, "repair must take several good turns"


def test_solutions_ahead_of_owed_phases_earn_half_and_skips_cost() -> None:
    careful = update_mood(
        NORMAL.start,
        levels={"propose_solutions": 2},
        anti=[],
        triggers=[],
        completed=PHASES,
        skipped=0,
        difficulty="normal",
    )
    rushed = update_mood(
        NORMAL.start,
        levels={"propose_solutions": 2},
        anti=[],
        triggers=[],
        completed=["propose"],
        skipped=4,
        difficulty="normal",
    )
    assert careful.trust > NORMAL.start.trust > rushed.trust


def test_one_turn_loses_at_most_two_anti_pattern_costs() -> None:
    many = update_mood(
        NORMAL.start,
        levels={},
        anti=["blame", "excuse", "dismiss", "defensive"],
        triggers=["blame"],
        completed=[],
        skipped=0,
        difficulty="normal",
    )
    assert NORMAL.start.trust - many.trust == 2 * NORMAL.anti_cost
