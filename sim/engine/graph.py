"""The conversation graph: score -> advance -> choose -> voice -> coach -> record, one thread per session."""

import importlib
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from sim.engine.nodes import CoachFn, Nodes, route_start
from sim.engine.relevance import TopicGate
from sim.engine.state import EngineState
from sim.llm.protocol import ChatModel
from sim.personas import Persona
from sim.prompts import Prompt, load_prompts
from sim.scoring.types import Scorer

PIPELINE = ("score", "advance", "choose")
PARALLEL = ("voice", "coach")
"""After `choose`, the reply and the coaching run side by side (coaching does not read the reply),
so a turn costs the longer of the two, not their sum; `record` waits for both."""


def default_coach() -> CoachFn | None:
    """`sim.scoring.coach.coach` when the scoring package provides it, else None (no coaching)."""
    try:
        module = importlib.import_module("sim.scoring.coach")
    except ModuleNotFoundError:
        return None
    found = getattr(module, "coach", None)
    return found if callable(found) else None


def persona_prompts(prompts: Mapping[str, Prompt] | None = None) -> tuple[Prompt, Prompt]:
    """The first-try and strict-retry prompts that voice the colleague."""
    found = prompts if prompts is not None else load_prompts()
    return found["persona"], found["persona_strict"]


def build_graph(
    persona_model: ChatModel,
    scorer: Scorer,
    coach_model: ChatModel | None,
    personas: Mapping[str, Persona],
    checkpointer: BaseCheckpointSaver[Any] | None,
    *,
    prompts: tuple[Prompt, Prompt] | None = None,
    coach_fn: CoachFn | None = None,
    use_default_coach: bool = True,
    topic_gate: TopicGate | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the graph; pass `coach_fn` to replace (or `use_default_coach=False` to skip) coaching,
    and `topic_gate` to send replies about nothing in the conversation to the authored lines."""
    nodes = Nodes(
        persona_model=persona_model,
        scorer=scorer,
        personas=personas,
        prompts=prompts or persona_prompts(),
        coach_model=coach_model,
        coach_fn=coach_fn or (default_coach() if use_default_coach else None),
        topic_gate=topic_gate,
    )
    graph = StateGraph(EngineState)
    graph.add_node("score", nodes.score)
    graph.add_node("advance", nodes.advance)
    graph.add_node("choose", nodes.choose)
    graph.add_node("voice", nodes.speak)
    graph.add_node("coach", nodes.coach)
    graph.add_node("record", nodes.record)
    graph.add_conditional_edges(START, route_start, {"score": "score", "__end__": END})
    for before, after in pairwise(PIPELINE):
        graph.add_edge(before, after)
    for branch in PARALLEL:
        graph.add_edge(PIPELINE[-1], branch)
    graph.add_edge(list(PARALLEL), "record")
    graph.add_edge("record", END)
    return graph.compile(checkpointer=checkpointer)
