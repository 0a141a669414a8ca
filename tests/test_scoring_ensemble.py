import json

import pytest

from sim.config import Settings
from sim.llm.fake import FakeChatModel
from sim.scoring import load_scorer
from sim.scoring.embed import EmbedScorer
from sim.scoring.ensemble import EnsembleScorer, combine_level
from sim.scoring.judge import JudgeScorer
from sim.vocab import PRINCIPLES
from tests.test_scoring_embed import FakeEmbedder, classifier


def judge_reply(anti: list[str] | None = None, **levels: int) -> str:
    return json.dumps({"levels": dict.fromkeys(PRINCIPLES, 0) | levels, "anti_patterns": anti or []})


@pytest.mark.parametrize(
    ("embed", "judge", "level"), [(0, 0, 0), (2, 2, 2), (2, 0, 1), (0, 3, 1), (3, 3, 3), (2, 3, 2), (0, 2, 1)]
)
def test_combine_level(embed: int, judge: int, level: int) -> None:
    assert combine_level(embed, judge) == level


def ensemble(*replies: str) -> EnsembleScorer:
    return EnsembleScorer(
        EmbedScorer(classifier(), FakeEmbedder()), JudgeScorer(FakeChatModel().enqueue(*replies))
    )


def test_both_agree_keeps_the_level() -> None:
    alone = EmbedScorer(classifier(), FakeEmbedder()).score("I'm sorry about Friday.").level("apologize")
    assert alone >= 2
    score = ensemble(judge_reply(apologize=alone)).score("I'm sorry about Friday.")
    assert score.scorer == "ensemble"
    assert score.level("apologize") == alone
    assert score.unscored is None


def test_judge_alone_cannot_invent_a_clear_principle_or_an_unlikely_anti_pattern() -> None:
    score = ensemble(judge_reply(["avoid"], listen=3)).score("I'm sorry about Friday.")
    assert score.level("listen") == 1
    assert "avoid" not in score.anti


def test_unscored_judge_falls_back_to_the_default_verdict() -> None:
    score = ensemble("nonsense", "more nonsense").score("I'm sorry about Friday.")
    assert score.scorer == "ensemble" and score.unscored is None
    assert score.level("apologize") >= 2
    assert "judge unavailable" in score.reason


def test_hard_rules_hold_after_combining() -> None:
    score = ensemble(judge_reply(apologize=3)).score("Sorry, but sorry, I was swamped.")
    assert score.level("apologize") <= 1


def test_load_scorer_picks_per_settings() -> None:
    settings = Settings(_env_file=None, scorer="judge")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="judge model"):
        load_scorer(settings)
    assert isinstance(load_scorer(settings, judge=FakeChatModel()), JudgeScorer)
