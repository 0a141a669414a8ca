import pytest

from sim.scoring.aggregate import ANTI_COST, LEVEL_POINTS, turn_score
from sim.vocab import PRINCIPLES


def test_nothing_shown_scores_zero() -> None:
    assert turn_score(dict.fromkeys(PRINCIPLES, 0), []) == 0.0


def test_levels_add_points() -> None:
    levels = {"acknowledge": 2, "apologize": 3, "listen": 1}
    assert turn_score(levels, []) == LEVEL_POINTS[2] + LEVEL_POINTS[3] + LEVEL_POINTS[1]


def test_more_principles_never_lower_the_score() -> None:
    assert turn_score({"acknowledge": 2, "apologize": 2}, []) > turn_score({"acknowledge": 2}, [])
    assert turn_score({"acknowledge": 3}, []) > turn_score({"acknowledge": 2}, [])


def test_anti_patterns_subtract_and_clamp_at_zero() -> None:
    levels = {"acknowledge": 2, "apologize": 2}
    assert turn_score(levels, ["excuse"]) == 2 * LEVEL_POINTS[2] - ANTI_COST["excuse"]
    assert turn_score({"acknowledge": 1}, ["blame", "defensive"]) == 0.0


def test_clamped_at_hundred() -> None:
    assert turn_score(dict.fromkeys(PRINCIPLES, 3), []) == 100.0


def test_injection_costs_everything() -> None:
    assert turn_score(dict.fromkeys(PRINCIPLES, 3), ["injection"]) == 0.0


def test_duplicate_anti_patterns_count_once() -> None:
    assert turn_score({"acknowledge": 3}, ["blame", "blame"]) == turn_score({"acknowledge": 3}, ["blame"])


@pytest.mark.parametrize(
    ("levels", "anti"),
    [({"acknowledge": 4}, []), ({"kindness": 2}, []), ({"acknowledge": 2}, ["rudeness"])],
)
def test_bad_input_is_rejected(levels: dict, anti: list) -> None:
    with pytest.raises(ValueError):
        turn_score(levels, anti)
