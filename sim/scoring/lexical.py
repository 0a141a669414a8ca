"""Word-level cues that are sharper than embeddings: hedged apologies, blame phrases, injections.

Each cue is a regular expression with the anti-pattern it points to. The scorer uses every cue as
a feature, and two of them as hard rules: a hedged apology caps `apologize` at 1, and an injection
marker zeroes every principle.
"""

import re
from dataclasses import dataclass
from typing import Final, Literal

from sim.scoring.types import Span
from sim.vocab import AntiPatternId

CueKind = Literal[
    "hedged_apology", "blame", "excuse", "dismiss", "avoid", "pressure", "defensive", "injection"
]

_F = re.IGNORECASE | re.MULTILINE


@dataclass(frozen=True)
class Cue:
    """One named pattern and the anti-pattern it suggests (None: a hard-rule cue only)."""

    name: str
    kind: CueKind
    anti: AntiPatternId | None
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class LexicalHit:
    """A cue found in a text, with its span."""

    cue: str
    kind: CueKind
    anti: AntiPatternId | None
    span: Span


def _cue(name: str, kind: CueKind, anti: AntiPatternId | None, regex: str) -> Cue:
    return Cue(name, kind, anti, re.compile(regex, _F))


CUES: Final[tuple[Cue, ...]] = (
    _cue("sorry_but", "hedged_apology", "excuse", r"\b(?:sorry|apologi[sz]e)\b[^.!?;]{0,40}?[,;]?\s*\bbut\b"),
    _cue(
        "sorry_if",
        "hedged_apology",
        "dismiss",
        r"\b(?:sorry|apologi[sz]e)\b\s+(?:if|that\s+you\s+(?:feel|felt|think|thought|took))\b",
    ),
    _cue(
        "sorry_you_feel",
        "hedged_apology",
        "dismiss",
        r"\bsorry\s+(?:you|that\s+you|you're|you\s+are)\s+(?:feel|felt|were|are|got|think|took|see)\b",
    ),
    _cue("you_always", "blame", "blame", r"\byou(?:'ve|\s+have)?\s+(?:always|never)\b"),
    _cue("if_you_had", "blame", "blame", r"\bif\s+you(?:'d|\s+had(?:n't)?|\s+would\s+have)\b"),
    _cue(
        "your_fault",
        "blame",
        "blame",
        r"\b(?:your\s+fault|because\s+of\s+you|you(?:'re|\s+are)\s+the\s+one)\b",
    ),
    _cue(
        "was_swamped",
        "excuse",
        "excuse",
        r"\bI\s+was\s+(?:just\s+|so\s+|really\s+|completely\s+|totally\s+)*"
        r"(?:swamped|slammed|overloaded|buried|busy|drowning|stretched)\b",
    ),
    _cue(
        "no_choice", "excuse", "excuse", r"\b(?:I\s+had\s+no\s+choice|what\s+was\s+I\s+supposed\s+to\s+do)\b"
    ),
    _cue(
        "no_big_deal",
        "dismiss",
        "dismiss",
        r"\b(?:not\s+(?:that\s+|such\s+)?a\s+big\s+deal|overreact\w*|too\s+sensitive|calm\s+down|"
        r"making\s+a\s+(?:big\s+)?(?:thing|deal)|it\s+was\s+(?:just|only)\s+a)\b",
    ),
    _cue(
        "move_on",
        "avoid",
        "avoid",
        r"\b(?:let'?s\s+(?:just\s+)?(?:move\s+on|forget\s+(?:it|about\s+it)|not\s+(?:talk|go\s+into))|"
        r"water\s+under\s+the\s+bridge|change\s+the\s+subject)\b",
    ),
    _cue(
        "be_fine_now",
        "pressure",
        "pressure",
        r"\b(?:can\s+we\s+(?:just\s+)?(?:be|call\s+it)\s+(?:fine|good|ok(?:ay)?|even|square)|"
        r"I\s+need\s+(?:an\s+answer|you\s+to\s+(?:forgive|decide|get\s+over))|"
        r"(?:by|before)\s+(?:the\s+)?end\s+of\s+(?:the\s+)?day|right\s+now|get\s+over\s+it)\b",
    ),
    _cue(
        "did_nothing_wrong",
        "defensive",
        "defensive",
        r"(?:\bI\s+did(?:\s+nothing|n't\s+do\s+anything)\s+wrong|"
        r"(?:\bnot|n['’]t)\s+(?:really\s+|entirely\s+|all\s+)?my\s+fault|"
        r"\bwhy\s+am\s+I\s+(?:always\s+)?the\s+(?:bad\s+guy|villain|one)|\bwhat\s+about\s+you)\b",
    ),
    _cue(
        "ignore_instructions",
        "injection",
        "injection",
        r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+|your\s+)?"
        r"(?:previous|prior|above|earlier|preceding|system)?\s*(?:instructions|rules|prompts?)\b",
    ),
    _cue(
        "role_tag",
        "injection",
        "injection",
        r"(?:(?:^[ \t]*|(?<=[.!?,;] )|(?<=[.!?,;]))(?:system|assistant|user|developer)\s*:|"
        r"<\|?\s*(?:system|assistant|user|im_start|im_end)"
        r"\s*\|?>|\[/?INST\]|###\s*(?:instruction|system))",
    ),
    _cue(
        "rate_this",
        "injection",
        "injection",
        r"\b(?:rate|score|grade|mark)\s+(?:this|me|my\s+(?:turn|reply|answer|message))\b"
        r"|\b(?:give|award)\s+(?:me|this)\s+(?:a\s+)?(?:3|three|full|max(?:imum)?|perfect|top)\b"
        r"|\b(?:3|three)\s+(?:on|in|for)\s+(?:every|all)\b",
    ),
    _cue(
        "you_are_now",
        "injection",
        "injection",
        r"\b(?:you\s+are\s+now|act\s+as|pretend\s+(?:to\s+be|you\s+are))\s+(?:an?\s+|the\s+)?"
        r"(?:helpful\s+)?(?:assistant|ai|chatbot|language\s+model|llm|judge|scorer|grader|system|dan)\b"
        r"|\b(?:reveal|print|show|repeat)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+)?(?:prompt|instructions)\b"
        r"|\byou(?:'re|\s+are)\s+(?:now\s+)?(?:the\s+)?(?:judge|scorer|grader|evaluator)\b"
        r"|\bnew\s+instructions\b|\bdeveloper\s+mode\b|\bjailbreak\b|\bsystem\s+prompts?\b",
    ),
)

CUE_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in CUES)


def find_cues(text: str) -> list[LexicalHit]:
    """Every cue match in the text, in order of position."""
    hits = [
        LexicalHit(c.name, c.kind, c.anti, Span(start=m.start(), end=m.end(), text=m.group(0)))
        for c in CUES
        for m in c.pattern.finditer(text)
    ]
    return sorted(hits, key=lambda h: (h.span.start, h.cue))


def cue_vector(hits: list[LexicalHit]) -> list[float]:
    """One 0/1 feature per cue, in the order of CUES."""
    present = {h.cue for h in hits}
    return [1.0 if name in present else 0.0 for name in CUE_NAMES]


def hedged_apology(hits: list[LexicalHit]) -> bool:
    return any(h.kind == "hedged_apology" for h in hits)


def injection(hits: list[LexicalHit]) -> bool:
    return any(h.kind == "injection" for h in hits)
