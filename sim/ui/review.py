"""The review page: the per-turn feedback transcript as HTML, every text escaped."""

from html import escape

from sim.engine import export
from sim.engine.state import Mood, SessionView, TurnRecord
from sim.ui import render


def _mood_change(before: Mood, after: Mood) -> str:
    def delta(label: str, a: int, b: int) -> str:
        sign = "+" if b >= a else "−"
        return f"{label} {a}→{b} ({sign}{abs(b - a)})"

    return ", ".join(
        [
            delta("trust", before.trust, after.trust),
            delta("openness", before.openness, after.openness),
            delta("tension", before.tension, after.tension),
        ]
    )


def _phase_change(turn: TurnRecord) -> str:
    text = render.phase_name(turn.phase_before)
    if turn.phase_after != turn.phase_before:
        text += f" → {render.phase_name(turn.phase_after)}"
        if turn.regressed:
            text += " (set back)"
    if turn.skipped:
        text += " · skipped " + ", ".join(render.phase_name(p) for p in turn.skipped)
    return text


def turn_block(turn: TurnRecord, persona_name: str) -> str:
    score = turn.score
    reason = f'<p class="rh-meta">Scorer: {render.plain(score.reason)}</p>' if score.reason else ""
    notes = "".join(f"<li>{render.plain(line)}</li>" for line in turn.feedback)
    return (
        f'<section class="rh-turn" aria-label="Turn {turn.index + 1}">'
        f'<h3 class="rh-h">Turn {turn.index + 1} · score {score.overall:.0f}/100</h3>'
        f'<p class="rh-meta">Phase: {escape(_phase_change(turn))} · '
        f"{escape(_mood_change(turn.mood_before, turn.mood_after))}</p>"
        f'<p class="rh-said"><strong>You:</strong> {render.highlight(score)}</p>'
        f"{render.chips(score)}{reason}"
        + (f'<ul class="rh-notes">{notes}</ul>' if notes else "")
        + render.coaching_html(turn.coaching)
        + f'<p class="rh-said"><strong>{escape(persona_name)}:</strong> {render.plain(turn.reply)}</p>'
        "</section>"
    )


SUMMARY_HEADING = "\n## Summary\n"


def report_markdown(view: SessionView) -> str:
    """The end-of-session report (scores per principle, strengths, things to work on, action plan).

    Taken from the Markdown export, so the page and the download say the same; all text in it is
    already escaped by the export.
    """
    markdown = export.to_markdown(view)
    _, found, summary = markdown.partition(SUMMARY_HEADING)
    return "## Report\n" + summary if found else markdown


def review_head(view: SessionView) -> str:
    """Who, outcome, branch note and the trust curve."""
    outcome = (
        f'<p class="rh-outcome rh-{escape(view.outcome)}">{escape(render.OUTCOME_TEXT[view.outcome])}</p>'
        if view.outcome
        else '<p class="rh-outcome rh-stalled">Still in progress.</p>'
    )
    branch = (
        f"<p class='rh-meta'>A retry of turn {view.branch_of[1] + 1} of an earlier session.</p>"
        if view.branch_of
        else ""
    )
    return (
        '<div class="rh-review">'
        f"<h2>{escape(view.persona_name)}, {escape(view.persona_role)} · {escape(view.difficulty)}</h2>"
        f"{outcome}{branch}"
        f'<figure class="rh-spark-box">{render.sparkline(render.trust_curve(view), 480, 90)}'
        f"<figcaption>Trust over the turns (needed for a repair: {view.repair_trust})</figcaption></figure>"
        "</div>"
    )


def review_turns(view: SessionView) -> str:
    """Every turn with its score, evidence, reasons, phase and mood change."""
    turns = "".join(turn_block(t, view.persona_name) for t in view.turns) or (
        '<p class="rh-muted">No turns yet.</p>'
    )
    return (
        '<div class="rh-review"><h2>Turn by turn</h2>'
        f'<p class="rh-said"><strong>{escape(view.persona_name)}:</strong> '
        f"{render.plain(view.opening_line)}</p>"
        f"{turns}</div>"
    )


def review_html(view: SessionView) -> str:
    return review_head(view) + review_turns(view)
