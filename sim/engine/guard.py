"""The guard: a pure check that a model reply is the colleague talking to the user, and nothing else.

A reply that is only too long is trimmed to whole sentences instead of failing.
"""

import re
from collections import Counter
from collections.abc import Sequence
from typing import Final, NamedTuple

from sim.personas import Persona

MAX_SENTENCES: Final = 3
MAX_CHARS: Final = 400
LEAK_WORDS: Final = 7
"""A run of this many words copied from the instructions counts as a prompt leak."""
ECHO_WORDS: Final = 6
"""A run of this many words copied from the user's turn means the model is speaking the user's part."""

_OUT_OF_CHARACTER = re.compile(
    r"\b(as an? (ai|assistant|language model|chatbot)|language model|ai model|assistant|chatbot|openai"
    r"|i'?m here to help|i am here to help|how (can|may) i (help|assist)|happy to help"
    r"|i cannot (assist|help with)|role[- ]?play|simulat(ion|ed|or)|the user\b|user's"
    r"|(debug|developer|admin) mode|debugging the model|model name"
    r"|my (configuration|config|training|weights|parameters|programming)"
    r"|the following (is|are)\b|(a|my|this) (response|reply) to your (question|request|prompt|message)"
    r"|based on the premise|here(?: is|'s) (a|my) (response|reply)\b)",
    re.IGNORECASE,
)
_LEAK = re.compile(
    r"(system prompt|instructions?:|persona card|your (move|character|role) is|\bmove:|speaking_style"
    r"|how_they_took_it|rebuilds_trust|opening_line|personality:|incident:|situation:|triggers:"
    r"|right now:|lines you might say)",
    re.IGNORECASE,
)
_APOLOGY = re.compile(
    r"\b(i'?m (so |really |very |truly )?sorry|i am (so |really |very |truly )?sorry|i apologi[sz]e"
    r"|my (fault|bad|mistake)|forgive me|i take (full )?responsibility)\b",
    re.IGNORECASE,
)
_WARM = re.compile(
    r"\b(thank(s| you)?|proud of you|glad|grateful|happy to|great|wonderful|appreciate|love)\b", re.IGNORECASE
)
COLD_MOVES: Final[frozenset[str]] = frozenset({"guarded", "vents", "tests_sincerity", "withdraws"})
"""Moves where warmth or thanks would tell the user the repair is going better than it is."""
_LABEL = re.compile(r"^\s*\**\s*(user|assistant|system|you|me|colleague|human|ai)\s*\**\s*:", re.I | re.M)
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[\"')\]]*|$)")
_WORD = re.compile(r"[a-z0-9']+")
_QUOTED = re.compile(r"(?<!\w)['\"“‘«`]([^'\"“”‘’«»`\n]{2,60})['\"”’»`](?!\w)")
_TOKEN = re.compile(r"[^\s,.;:!?()\[\]{}\"'“”«»]+")
_ECHOED_DIRECTION = re.compile(r"^\s*(?:[-*•]\s+)?(?:right now\s*:\s*)?", re.I)
"""A small model often opens with the direction's own format: an example line's bullet, "Right now:"."""
_NARRATION = re.compile(r"^\s*[(\[]|\*[^*\n]{3,}\*")


class GuardResult(NamedTuple):
    """The verdict on one reply; `text` is the cleaned (maybe trimmed) reply to show when `ok`."""

    ok: bool
    text: str
    reasons: tuple[str, ...]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _shingles(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def told_to_say(user_text: str) -> list[list[str]]:
    """What the user's turn tells the model to say word for word: quoted phrases of two words or more, runs
    of capitalized words (ACCESS GRANTED), code-like tokens (BANANA-42)."""
    found = [m.group(1) for m in _QUOTED.finditer(user_text) if len(m.group(1).split()) >= 2]
    run: list[str] = []
    for token in [*_TOKEN.findall(user_text), ""]:
        if token.isupper() and len(token) >= 2:
            run.append(token)
            continue
        if len(run) >= 2 or (len(run) == 1 and re.search(r"[\d-]", run[0])):
            found.append(" ".join(run))
        run = []
    return [w for w in (_words(p) for p in found) if w]


def _contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(list(words[i : i + n]) == list(phrase) for i in range(len(words) - n + 1))


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def clean(reply: str, persona: Persona) -> str:
    """Strip what a chat model wraps around a line: the speaker's own label, quotes, stray markup."""
    text = reply.replace("\r", "").strip()
    own_label = re.compile(rf"^\s*\**\s*{re.escape(persona.name.split()[0])}[^:\n]{{0,30}}:\s*", re.I)
    text = own_label.sub("", text, count=1)
    text = _ECHOED_DIRECTION.sub("", text, count=1)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def trim(text: str) -> str:
    """At most MAX_SENTENCES whole sentences and MAX_CHARS characters; drop an unfinished last sentence."""
    sentences = _sentences(text)
    if len(sentences) > 1 and sentences[-1][-1] not in ".!?\"')]":
        sentences = sentences[:-1]
    kept: list[str] = []
    for sentence in sentences[:MAX_SENTENCES]:
        if len(" ".join([*kept, sentence])) > MAX_CHARS:
            break
        kept.append(sentence)
    return " ".join(kept)


def _looping(words: Sequence[str]) -> bool:
    counts = Counter(tuple(words[i : i + 4]) for i in range(len(words) - 3))
    return bool(counts) and max(counts.values()) >= 3


def check(
    reply: str,
    persona: Persona,
    *,
    instructions: str = "",
    previous: Sequence[str] = (),
    user_text: str = "",
    move: str | None = None,
) -> GuardResult:
    """Check a reply; `instructions` is the prompt text the model must not repeat (not its example lines),
    `user_text` the turn it answers (parroting it back means the model has taken the user's part),
    `move` the colleague's move (a cold move must not sound warm)."""
    text = clean(reply, persona)
    reasons: list[str] = []
    if not _words(text):
        return GuardResult(False, "", ("empty",))
    if _LABEL.search(reply) or re.search(r"\n\s*\w[\w ]{0,20}:\s", reply):
        reasons.append("role label")
    own_words = f"{persona.name} {persona.role}".lower()
    if any(m.group(0).lower() not in own_words for m in _OUT_OF_CHARACTER.finditer(text)):
        reasons.append("out of character")
    if _LEAK.search(text):
        reasons.append("prompt leak")
    elif instructions:
        allowed = _shingles(_words(" ".join(persona.lines_text())), LEAK_WORDS)
        copied = _shingles(_words(text), LEAK_WORDS) & _shingles(_words(instructions), LEAK_WORDS)
        if copied - allowed:
            reasons.append("prompt leak")
    if user_text and _shingles(_words(text), ECHO_WORDS) & _shingles(_words(user_text), ECHO_WORDS):
        reasons.append("echoes the user")
    if any(_contains(_words(text), phrase) for phrase in told_to_say(user_text)):
        reasons.append("says what it was told to")
    if _NARRATION.search(text):
        reasons.append("narration")
    if move in COLD_MOVES and _WARM.search(text):
        reasons.append("too warm for the move")
    if _APOLOGY.search(text):
        reasons.append("apologizes for the user")
    words = _words(text)
    if _looping(words):
        reasons.append("repetition loop")
    trimmed = trim(text)
    if any(_words(p) in (words, _words(trimmed)) for p in previous):
        reasons.append("repeats an earlier reply")
    if not trimmed:
        reasons.append("too long" if text else "empty")
    return GuardResult(not reasons, trimmed if not reasons else text, tuple(reasons))
