"""Pure HTML renderers for the live panel and the persona cards. Every piece of text is escaped here."""

from collections.abc import Iterable, Sequence
from html import escape

from sim.engine.export import anti_label, principle_label
from sim.engine.state import Coaching, Mood, SessionView, TurnRecord
from sim.scoring.types import Span, TurnScore
from sim.vocab import PHASES, Phase

OUTCOME_TEXT = {
    "repaired": "Repaired: they are willing to work with you again.",
    "stalled": "Stalled: the conversation ran out without a repair.",
    "walked_out": "They walked out. Try again from an earlier turn.",
}


def phase_name(phase: Phase) -> str:
    return phase.capitalize()


def plain(text: str) -> str:
    """User or model text as inert HTML: escaped, line breaks kept."""
    return escape(text).replace("\n", "<br>")


def persona_card(name: str, role: str, relation: str, summary: str, difficulty: str) -> str:
    return (
        '<article class="rh-card">'
        f'<div class="rh-card-head"><h3>{escape(name)}</h3>'
        f'<span class="rh-badge rh-{escape(difficulty)}">{escape(difficulty)}</span></div>'
        f'<p class="rh-role">{escape(role)} · {escape(relation)}</p>'
        f'<p class="rh-summary">{escape(summary)}</p>'
        "</article>"
    )


def skipped_phases(turns: Iterable[TurnRecord]) -> set[Phase]:
    return {p for t in turns for p in t.skipped}


def phase_track(
    current: Phase, completed: Iterable[Phase], skipped: Iterable[Phase], ended: bool = False
) -> str:
    """The five phases as an ordered list: done, skipped (passed over without being shown), now, to come."""
    done, passed = set(completed), set(skipped)
    items = []
    for phase in PHASES:
        if phase in done:
            state, note = "done", " (done)"
        elif phase in passed:
            state, note = "skipped", " (skipped)"
        elif phase == current and not ended:
            state, note = "current", " (now)"
        else:
            state, note = "todo", ""
        aria = (
            ' aria-current="step"' if state == "current" else f' title="{state}"' if state != "todo" else ""
        )
        items.append(
            f'<li class="rh-phase rh-{state}"{aria}>{escape(phase_name(phase))}'
            f'<span class="rh-sr">{note}</span></li>'
        )
    return f'<ol class="rh-phases" aria-label="Conversation phases">{"".join(items)}</ol>'


def meter(label: str, value: int, kind: str) -> str:
    value = max(0, min(100, value))
    return (
        f'<div class="rh-meter rh-{kind}" role="meter" aria-label="{escape(label)}" '
        f'aria-valuemin="0" aria-valuemax="100" aria-valuenow="{value}">'
        f'<span class="rh-meter-label">{escape(label)}</span>'
        f'<span class="rh-meter-bar"><span style="width:{value}%"></span></span>'
        f'<span class="rh-meter-value">{value}</span></div>'
    )


def meters(mood: Mood) -> str:
    return meter("Trust", mood.trust, "trust") + meter("Tension", mood.tension, "tension")


def trust_curve(view: SessionView) -> list[int]:
    if not view.turns:
        return [view.mood.trust]
    return [view.turns[0].mood_before.trust, *(t.mood_after.trust for t in view.turns)]


def sparkline(values: Sequence[int], width: int = 240, height: int = 64) -> str:
    """Trust over the turns as an inline SVG, 0-100 on the vertical axis."""
    pad = 6
    n = max(len(values) - 1, 1)
    pts = [
        (pad + i * (width - 2 * pad) / n, pad + (100 - max(0, min(100, v))) * (height - 2 * pad) / 100)
        for i, v in enumerate(values)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in pts)
    label = "Trust over the turns: " + ", ".join(str(v) for v in values)
    return (
        f'<svg class="rh-spark" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        f'<line x1="{pad}" y1="{height / 2}" x2="{width - pad}" y2="{height / 2}" class="rh-mid"/>'
        f'<polyline points="{line}"/>{dots}</svg>'
    )


def _spans(score: TurnScore) -> list[tuple[Span, str, str]]:
    found = [(p.span, "good", principle_label(p.id)) for p in score.principles if p.span and p.score >= 2]
    found += [(a.span, "bad", anti_label(a.id)) for a in score.anti_patterns if a.span]
    chosen: list[tuple[Span, str, str]] = []
    end = 0
    for span, kind, label in sorted(found, key=lambda f: (f[0].start, f[0].end)):
        if span.start >= end and span.end > span.start:
            chosen.append((span, kind, label))
            end = span.end
    return chosen


def highlight(score: TurnScore) -> str:
    """The user's own words, escaped, with the evidence for each principle or anti-pattern marked."""
    text = score.text
    out, pos = [], 0
    for span, kind, label in _spans(score):
        end = min(span.end, len(text))
        if span.start >= end:
            continue
        out.append(plain(text[pos : span.start]))
        out.append(f'<mark class="rh-{kind}" title="{escape(label)}">{plain(text[span.start : end])}</mark>')
        pos = end
    out.append(plain(text[pos:]))
    return "".join(out)


def chips(score: TurnScore) -> str:
    good = [f'<li class="rh-chip rh-good">✓ {escape(principle_label(p))}</li>' for p in score.detected]
    bad = [f'<li class="rh-chip rh-bad">✗ {escape(anti_label(a))}</li>' for a in score.anti]
    if not good and not bad:
        return '<p class="rh-muted">No principle detected in this turn yet.</p>'
    return f'<ul class="rh-chips" aria-label="What this turn showed">{"".join(good + bad)}</ul>'


def clip(text: str, limit: int | None) -> str:
    """At most `limit` characters, cut at a sentence end when there is one; None keeps it whole."""
    if limit is None or len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "), cut.rfind("\n"))
    return cut[: end + 1] if end > limit // 3 else cut.rstrip() + "…"


def coaching_html(coaching: Coaching | None, better_limit: int | None = None) -> str:
    if coaching is None:
        return ""
    parts = [
        f'<div class="rh-tip"><strong>Next: {escape(principle_label(coaching.principle))}.</strong> '
        f"{plain(coaching.tip)}</div>"
    ]
    if coaching.better_reply:
        parts.append(
            '<div class="rh-better"><span class="rh-better-label">A stronger way to say it</span>'
            f"<blockquote>{plain(clip(coaching.better_reply, better_limit))}</blockquote></div>"
        )
    return "".join(parts)


BETTER_LIMIT = 320
"""The live panel shows this much of a better reply; the review shows it whole."""


def turn_feedback(turn: TurnRecord) -> str:
    """Chips, the evidence in the user's words, the feedback sentences, the tip and better reply."""
    score = turn.score
    notes = "".join(f"<li>{plain(line)}</li>" for line in turn.feedback)
    unscored = (
        f'<p class="rh-warn">This turn could not be scored: {plain(score.unscored)}</p>'
        if score.unscored
        else ""
    )
    return (
        f'<h3 class="rh-h">Turn {turn.index + 1} · score {score.overall:.0f}/100</h3>{unscored}'
        f"{chips(score)}"
        f'<p class="rh-quote">{highlight(score)}</p>'
        + (f'<ul class="rh-notes">{notes}</ul>' if notes else "")
        + coaching_html(turn.coaching, BETTER_LIMIT)
    )


def live_panel(view: SessionView) -> str:
    """The whole feedback panel beside the chat."""
    outcome = (
        f'<p class="rh-outcome rh-{escape(view.outcome)}" role="status">'
        f"{escape(OUTCOME_TEXT[view.outcome])}</p>"
        if view.outcome
        else ""
    )
    last = (
        turn_feedback(view.turns[-1])
        if view.turns
        else '<p class="rh-muted">Your first reply will be scored here against the ten principles.</p>'
    )
    track = phase_track(view.phase, view.completed, skipped_phases(view.turns), view.outcome is not None)
    return (
        '<section class="rh-panel" aria-label="Live feedback">'
        f"{outcome}{track}"
        f'<div class="rh-meters">{meters(view.mood)}</div>'
        f'<figure class="rh-spark-box">{sparkline(trust_curve(view))}'
        "<figcaption>Trust over the turns (dashed line: 50)</figcaption></figure>"
        f"{last}</section>"
    )
