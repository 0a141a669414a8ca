"""Scoring and coaching: turn a user's turn into a TurnScore, and suggest what to work on next."""

import contextlib
from collections.abc import Iterator

from sim.config import Settings
from sim.llm.protocol import ChatModel
from sim.scoring.types import Scorer


def load_scorer(settings: Settings, judge: ChatModel | None = None) -> Scorer:
    """The scorer named by `settings.scorer`: embed (default, no LLM), judge or ensemble (need `judge`)."""
    if settings.scorer in ("judge", "ensemble") and judge is None:
        raise ValueError(f"settings.scorer={settings.scorer!r} needs a judge model (REHEARSE_SCORER)")
    if settings.scorer == "judge":
        from sim.scoring.judge import JudgeScorer

        assert judge is not None
        return JudgeScorer(judge)
    from sim.scoring.embed import EmbedScorer
    from sim.scoring.embedder import load_scoring_embedder
    from sim.scoring.model import ModelFileError, load_classifier

    classifier, embedder = load_classifier(), load_scoring_embedder()
    if classifier.meta.get("encoder_delta") != embedder.delta_id:
        raise ModelFileError(
            f"the classifier was trained on encoder delta {classifier.meta.get('encoder_delta')!r}, "
            f"the embedder has {embedder.delta_id!r}; run `python -m evals train`"
        )
    embed = EmbedScorer(classifier, embedder)
    if settings.scorer == "ensemble":
        from sim.scoring.ensemble import EnsembleScorer
        from sim.scoring.judge import JudgeScorer

        assert judge is not None
        return EnsembleScorer(embed, JudgeScorer(judge))
    return embed


@contextlib.contextmanager
def open_scorer(settings: Settings) -> Iterator[Scorer]:
    """load_scorer for command-line use: opens (and afterwards closes) the judge model when one is needed."""
    if settings.scorer == "embed":
        yield load_scorer(settings)
        return
    from sim.llm.backend import open_models

    with open_models(settings) as models:
        yield load_scorer(settings, judge=models.judge)
