from dataclasses import dataclass

from sim.llm.fake import FakeChatModel
from sim.llm.protocol import ModelError
from sim.scoring.coach import coach, first_person, keep_clean, next_principle
from sim.scoring.types import AntiPatternHit, PrincipleScore, Span, TurnScore
from sim.vocab import PRINCIPLES, PrincipleId


@dataclass
class Persona:
    name: str = "Wen Li"
    incident: str = "You called her criteria p-hacking at lab meeting."
    summary: str = "Called her exclusion criteria 'p-hacking' at lab meeting; you've barely spoken since."


class KeywordScorer:
    """Rates a principle 2 when its keyword appears; records what it was asked to score."""

    def __init__(self, keywords: dict[PrincipleId, str]) -> None:
        self.keywords = keywords
        self.seen: list[str] = []

    def score(self, text: str, context: str | None = None) -> TurnScore:
        self.seen.append(text)
        levels = {p: 2 if k in text.lower() else 0 for p, k in self.keywords.items()}
        return TurnScore(
            text=text, principles=[PrincipleScore(id=p, score=levels.get(p, 0)) for p in PRINCIPLES]
        )


def user_turn(text: str, **levels: int) -> TurnScore:
    return TurnScore(text=text, principles=[PrincipleScore(id=p, score=levels.get(p, 0)) for p in PRINCIPLES])


def test_next_principle_follows_the_phase_and_skips_shown() -> None:
    assert next_principle(user_turn("hi"), "acknowledge") == "acknowledge"
    assert next_principle(user_turn("x", acknowledge=2), "acknowledge") == "open_communication"
    assert next_principle(user_turn("x"), "propose", shown=["propose_solutions"]) == "set_expectations"
    assert next_principle(user_turn("x"), "listen") == "listen"


def test_first_person_turns_the_summary_around() -> None:
    assert first_person(Persona().summary) == "I called your exclusion criteria 'p-hacking' at lab meeting"
    assert first_person("Stopped sending him schedule updates.") == "I stopped sending you schedule updates"


def test_keep_clean_drops_sentences_with_anti_patterns() -> None:
    text = "Hi Wen. It was your fault anyway. Can we talk?"
    span = Span(start=8, end=33, text=text[8:33])
    score = user_turn(text).model_copy(update={"anti_patterns": [AntiPatternHit(id="blame", span=span)]})
    assert keep_clean(score) == "Hi Wen. Can we talk?"


def test_better_reply_shown_only_when_it_scores_higher() -> None:
    scorer = KeywordScorer({"acknowledge": "own it"})
    result = coach(user_turn("Hi Wen."), "acknowledge", Persona(), scorer)
    assert result.principle == "acknowledge"
    assert result.tip
    assert result.better_reply is not None and "own it" in result.better_reply.lower()
    assert result.better_reply.startswith("Hi Wen.")
    assert "I called your exclusion criteria" in result.better_reply


def test_no_better_reply_when_nothing_scores_higher() -> None:
    scorer = KeywordScorer({"acknowledge": "zzz-never"})
    result = coach(user_turn("Hi Wen."), "acknowledge", Persona(), scorer)
    assert result.better_reply is None
    assert scorer.seen, "candidates must be checked by the scorer"


def test_model_rewrite_is_used_when_it_scores_higher() -> None:
    model = FakeChatModel().enqueue('"I own it: I called your criteria p-hacking, in front of everyone."')
    result = coach(
        user_turn("Hi."), "acknowledge", Persona(), KeywordScorer({"acknowledge": "own it"}), model
    )
    assert result.better_reply == "I own it: I called your criteria p-hacking, in front of everyone."
    assert "Hi." in model.history[0][0]["content"]


def test_failed_model_falls_back_to_composed() -> None:
    model = FakeChatModel().enqueue(ModelError("timeout", "slow"))
    result = coach(
        user_turn("Hi."), "acknowledge", Persona(), KeywordScorer({"acknowledge": "own it"}), model
    )
    assert result.better_reply is not None and "own it" in result.better_reply.lower()
