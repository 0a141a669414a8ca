"""Is a reply about this conversation? A sentence-embedding check the guard's rules cannot make.

A small model can answer fluently and in character yet about nothing that happened ("I'm on a plane,
so I'll finish the call"). Such a reply is far, in MiniLM space, from everything the colleague knows
and says: the incident, how they took it, their authored lines, and the user's turn it answers. The
nearest of those must be at least `MIN_SIMILARITY` (cosine) for the reply to count as on topic.
Calibrated in evals/relevance.py on hand-labelled replies of the embedded model.
"""

import threading
from collections.abc import Sequence
from typing import Final

import numpy as np

from sim.config import Settings
from sim.personas import Persona
from sim.scoring.embedder import Embedder

MIN_SIMILARITY: Final = 0.55


def references(persona: Persona) -> list[str]:
    """What a reply to this colleague's conversation should be near."""
    return [*persona.lines_text(), *persona.rebuilds_trust]


def nearest(reply: np.ndarray, known: np.ndarray) -> float:
    """The highest cosine between the (normalised) reply vector and the rows of `known`."""
    return float(np.max(known @ reply)) if len(known) else 0.0


class TopicGate:
    """Caches each persona's reference vectors; one MiniLM pass per checked reply (plus the user's turn)."""

    def __init__(self, embedder: Embedder, minimum: float = MIN_SIMILARITY) -> None:
        self.embedder = embedder
        self.minimum = minimum
        self._known: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _references(self, persona: Persona) -> np.ndarray:
        with self._lock:
            found = self._known.get(persona.id)
        if found is None:
            found = self.embedder.encode(references(persona))
            with self._lock:
                self._known[persona.id] = found
        return found

    def prepare(self, persona: Persona) -> None:
        """Embed the persona's references now (a session start), not during its first turn."""
        self._references(persona)

    def similarity(self, reply: str, persona: Persona, user_text: str = "") -> float:
        texts: Sequence[str] = [reply, user_text] if user_text.strip() else [reply]
        vectors = self.embedder.encode(texts)
        known = self._references(persona)
        if len(vectors) > 1:
            known = np.vstack([known, vectors[1:]])
        return nearest(vectors[0], known)

    def on_topic(self, reply: str, persona: Persona, user_text: str = "") -> bool:
        return self.similarity(reply, persona, user_text) >= self.minimum


def topic_gate_for(settings: Settings) -> TopicGate | None:
    """The gate the settings ask for, on the process-wide base MiniLM (not the scorer's tuned one:
    the threshold was calibrated on base vectors), or None."""
    if not settings.checks_topic:
        return None
    from sim.scoring.embedder import load_embedder

    return TopicGate(load_embedder())
