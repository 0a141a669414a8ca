"""The load check's bookkeeping (`Seen`): what counts as a lost, repeated or foreign turn in a page view."""

from evals.reliability_load import Seen, turn_text

TAG = "s01xabc"


def said(*numbers: int) -> list[str]:
    return [turn_text(TAG, n) for n in numbers]


def test_a_page_that_shows_every_turn_once_in_order_is_clean() -> None:
    seen = Seen(sent=said(0, 1))
    seen.look(said(0, 1), TAG, "after turn 1")
    assert (seen.missing, seen.repeated, seen.foreign) == ({}, set(), [])


def test_a_turn_missing_from_the_page_is_lost_with_when_it_was_missed() -> None:
    seen = Seen(sent=said(0, 1))
    seen.look(said(0), TAG, "after turn 1 (error '')")
    assert seen.missing == {turn_text(TAG, 1): "after turn 1 (error '')"}


def test_a_new_session_after_an_outcome_shows_only_its_own_turns() -> None:
    seen = Seen(sent=said(0, 1, 2))
    seen.new_session()
    seen.sent.append(turn_text(TAG, 3))
    seen.look(said(3), TAG, "after turn 3")
    assert (seen.missing, seen.foreign, seen.restarts) == ({}, [], 1)
    assert seen.earlier == said(0, 1, 2)
    seen.look(said(0, 3), TAG, "after a reload")
    assert seen.foreign == said(0)
