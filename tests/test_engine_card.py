"""Reading the persona card when a session starts, so the first turn's prompt is already read."""

from langgraph.checkpoint.memory import InMemorySaver

from sim.engine.session import Rehearsal
from tests.engine_fakes import CAREFUL, FakeModels, KeywordScorer, persona

GOOD = "You said it in front of Michael, and that is what stays with me."


def test_starting_a_session_has_the_model_read_the_card_the_first_turn_starts_with() -> None:
    import time

    models = FakeModels()
    models.persona.default = GOOD
    rehearsal = Rehearsal(
        models, KeywordScorer(), InMemorySaver(), {"wen-li": persona("wen-li")},
        use_default_coach=False, read_cards=True,
    )  # fmt: skip
    session = rehearsal.start("wen-li").id
    deadline = time.monotonic() + 10
    while not models.persona.history and time.monotonic() < deadline:
        time.sleep(0.01)
    card_read = list(models.persona.history[0])
    rehearsal.send(session, CAREFUL[0])
    first_turn = models.persona.history[-1]
    assert [m["role"] for m in card_read] == ["system", "assistant"]
    assert first_turn[: len(card_read)] == card_read
    assert card_read[1]["content"] == persona("wen-li").opening_line


def test_without_read_cards_starting_a_session_calls_no_model() -> None:
    models = FakeModels()
    rehearsal = Rehearsal(models, KeywordScorer(), InMemorySaver(), {"wen-li": persona("wen-li")})
    rehearsal.start("wen-li")
    assert models.persona.history == []
