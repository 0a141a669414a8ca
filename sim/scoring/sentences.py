"""Split a turn into sentences with character offsets, so evidence points into the user's own text."""

import re

from sim.scoring.types import Span

_BOUNDARY = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"')\]]))\s+|\n+")


def split_sentences(text: str) -> list[Span]:
    """Non-empty sentences of `text`, stripped, each with offsets such that text[start:end] == span.text."""
    spans: list[Span] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        _add(text, start, m.start(), spans)
        start = m.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[Span]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    offset = start + (len(piece) - len(piece.lstrip()))
    spans.append(Span(start=offset, end=offset + len(stripped), text=stripped))
