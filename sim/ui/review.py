"""The review page: the per-turn feedback transcript as HTML, every text escaped."""

from html import escape

from sim.engine.state import Mood, SessionView, TurnRecord
from sim.ui import render
from sim.vocab import PRINCIPLES


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


def principle_table(view: SessionView) -> str:
    """Each principle's best level over the session and how many turns showed it."""
    rows = []
    for pid in PRINCIPLES:
        levels = [t.score.level(pid) for t in view.turns]
        best = max(levels, default=0)
        shown = sum(1 for lv in levels if lv >= 2)
        rows.append(
            f"<tr><td>{escape(render.principle_name(pid))}</td><td>{best}/3</td><td>{shown}</td></tr>"
        )
    return (
        '<table><caption class="rh-sr">Score per principle</caption>'
        '<thead><tr><th scope="col">Principle</th><th scope="col">Best</th>'
        '<th scope="col">Turns shown</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def review_html(view: SessionView, report: str = "") -> str:
    """The whole review: header, trust curve, the report (already HTML), per-principle table, every turn."""
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
    turns = "".join(turn_block(t, view.persona_name) for t in view.turns) or (
        '<p class="rh-muted">No turns yet.</p>'
    )
    return (
        '<div class="rh-review">'
        f"<h2>{escape(view.persona_name)}, {escape(view.persona_role)} · {escape(view.difficulty)}</h2>"
        f"{outcome}{branch}"
        f'<h3 class="rh-h">Trust over the turns</h3>{render.sparkline(render.trust_curve(view), 480, 90)}'
        f"{report}"
        f'<h3 class="rh-h">Score per principle</h3>{principle_table(view)}'
        f'<h3 class="rh-h">Turn by turn</h3>'
        f'<p class="rh-said"><strong>{escape(view.persona_name)}:</strong> '
        f"{render.plain(view.opening_line)}</p>"
        f"{turns}</div>"
    )
