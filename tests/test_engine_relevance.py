"""The topic check: a fluent reply about nothing in the conversation goes to the authored line."""

import threading
from collections.abc import Sequence

import numpy as np
import pytest
from langgraph.checkpoint.memory import InMemorySaver

from sim.config import Settings
from sim.engine.relevance import TopicGate, nearest, references, topic_gate_for
from sim.engine.session import Rehearsal
from tests.engine_fakes import CAREFUL, FakeModels, KeywordScorer, persona

GOOD = "You said it in front of Michael, and that is what stays with me."
OFF = "I'm on a plane, so I'll just finish up the phone call with you."


class WordEmbedder:
    """Bag-of-words vectors over a tiny vocabulary: texts sharing words are near, others orthogonal."""

    VOCAB = ("michael", "front", "p-hacking", "lab", "plane", "phone", "call", "analysis", "said")

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            words = text.lower().replace(",", " ").replace(".", " ").split()
            v = np.array([float(w in words) for w in self.VOCAB] + [0.01], dtype=np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.vstack(rows)


def test_nearest_is_the_best_cosine_and_zero_without_references() -> None:
    known = np.eye(3, dtype=np.float32)
    assert nearest(np.array([0.6, 0.8, 0.0], dtype=np.float32), known) == pytest.approx(0.8)
    assert nearest(np.array([1.0, 0.0, 0.0], dtype=np.float32), np.zeros((0, 3), dtype=np.float32)) == 0.0


def test_references_are_what_the_colleague_knows_and_says() -> None:
    wen = persona("wen-li")
    found = references(wen)
    assert wen.incident in found and wen.opening_line in found and wen.rebuilds_trust[0] in found
    assert all(line in found for lines in wen.lines.values() for line in lines)


def test_the_gate_passes_a_reply_near_the_incident_and_stops_one_about_nothing() -> None:
    embedder = WordEmbedder()
    gate = TopicGate(embedder, minimum=0.3)
    wen = persona("wen-li")
    assert gate.on_topic(GOOD, wen)
    assert not gate.on_topic(OFF, wen)
    assert gate.on_topic(OFF, wen, user_text="Sorry, the phone call dropped, I'm on a plane.")
    reference_passes = [c for c in embedder.calls if len(c) > 2]
    assert len(reference_passes) == 1, "a persona's references are embedded once and cached"


def test_an_off_topic_reply_goes_straight_to_the_authored_line_without_a_retry() -> None:
    models = FakeModels()
    models.persona.enqueue(OFF, GOOD)
    gate = TopicGate(WordEmbedder(), minimum=0.3)
    rehearsal = Rehearsal(
        models, KeywordScorer(), InMemorySaver(), {"wen-li": persona("wen-li")},
        use_default_coach=False, topic_gate=gate,
    )  # fmt: skip
    turn = rehearsal.send(rehearsal.start("wen-li").id, CAREFUL[0]).turns[0]
    assert turn.reply_source == "fallback" and turn.guard_reasons == ["first: off topic"]
    assert turn.reply in persona("wen-li").lines[turn.move]
    assert len(models.persona.history) == 1


def test_an_on_topic_reply_is_shown_as_generated() -> None:
    models = FakeModels()
    models.persona.enqueue(GOOD)
    rehearsal = Rehearsal(
        models, KeywordScorer(), InMemorySaver(), {"wen-li": persona("wen-li")},
        use_default_coach=False, topic_gate=TopicGate(WordEmbedder(), minimum=0.3),
    )  # fmt: skip
    turn = rehearsal.send(rehearsal.start("wen-li").id, CAREFUL[0]).turns[0]
    assert turn.reply == GOOD and turn.reply_source == "generated"


def test_the_check_is_on_for_the_embedded_model_only_unless_asked() -> None:
    assert Settings(_env_file=None).checks_topic
    remote = Settings(_env_file=None, base_url="http://127.0.0.1:9/v1")
    assert not remote.checks_topic and topic_gate_for(remote) is None
    assert Settings(_env_file=None, base_url="http://127.0.0.1:9/v1", topic_check="on").checks_topic
    assert not Settings(_env_file=None, topic_check="off").checks_topic


@pytest.mark.integration
def test_the_real_embedder_separates_the_labelled_replies() -> None:
    """The shipped threshold on the hand-labelled replies of the embedded model (evals/relevance.py)."""
    import argparse

    from evals.relevance import DATA, main

    assert main(argparse.Namespace(data=DATA, check=True)) == 0


def test_the_embedded_model_gets_the_topic_check_and_a_remote_one_does_not() -> None:
    from sim.engine.relevance import topic_gate_for

    assert topic_gate_for(Settings(_env_file=None, base_url="http://127.0.0.1:9/v1")) is None
    assert isinstance(topic_gate_for(Settings(_env_file=None)), TopicGate)


def test_starting_a_session_embeds_the_personas_references_ahead_of_the_first_turn() -> None:
    import time

    embedder = WordEmbedder()
    gate = TopicGate(embedder, minimum=0.3)
    rehearsal = Rehearsal(FakeModels(), KeywordScorer(), InMemorySaver(), {"wen-li": persona("wen-li")},
                          use_default_coach=False, topic_gate=gate)  # fmt: skip
    rehearsal.start("wen-li")
    deadline = time.monotonic() + 10
    while not embedder.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert embedder.calls and embedder.calls[0] == references(persona("wen-li"))


class BlockingEmbedder(WordEmbedder):
    """Holds the reference pass until released, like a real embedding still running."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.entered.set()
        self.release.wait(10)
        return super().encode(texts)


def test_the_background_preparation_is_waited_for_at_exit_not_killed_mid_embedding() -> None:
    embedder = BlockingEmbedder()
    rehearsal = Rehearsal(
        FakeModels(), KeywordScorer(), InMemorySaver(), {"wen-li": persona("wen-li")},
        use_default_coach=False, topic_gate=TopicGate(embedder, minimum=0.3),
    )  # fmt: skip
    rehearsal.start("wen-li")
    assert embedder.entered.wait(10)
    running = [t for t in threading.enumerate() if t.name == "rehearse-prepare"]
    try:
        assert running and not any(t.daemon for t in running)
    finally:
        embedder.release.set()
        for t in running:
            t.join(10)
