"""The real app in a subprocess (`python -m sim ui`, embedded model, SQLite), driven with gradio_client.

kill -9 mid-turn loses no completed turn; many browsers at once never lose, repeat or cross turns. The full
20 x 10 run is `python -m evals reliability`; here 20 browsers send 3 turns each to keep the suite short.
"""

import pytest

from evals.reliability_data import Count
from evals.reliability_load import run_durability, run_many_users

pytestmark = pytest.mark.integration


def assert_clean(*counts: Count) -> None:
    for count in counts:
        assert count.out_of > 0 and count.found == 0, (count.name, count.failures[:5])


def test_kill_minus_nine_mid_turn_loses_no_completed_turn_and_the_session_goes_on() -> None:
    lost, resumed = run_durability(turns_before_kill=3)
    assert lost.out_of == 3
    assert_clean(lost, resumed)


def test_twenty_browsers_at_once_see_only_their_own_turns_once_each() -> None:
    lost, duplicated, crossed = run_many_users(sessions=20, turns=3)
    assert lost.out_of == 20 * 3 and crossed.out_of == 20
    assert_clean(lost, duplicated, crossed)
