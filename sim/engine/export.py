"""A session to take away: a per-turn feedback transcript in Markdown, and a JSON round trip.

All text from the user, the model and the persona is escaped, so markup in it stays literal.
"""

import re
from collections.abc import Iterable

from sim.engine.feedback import NOUN
from sim.engine.state import SessionView, TurnRecord
from sim.scoring.rubric import load_rubric
from sim.scoring.types import TurnScore
from sim.vocab import DETECTED_AT, PRINCIPLES, AntiPatternId, PrincipleId

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])", re.MULTILINE)
PLAN_PRINCIPLES: tuple[PrincipleId, ...] = (
    "propose_solutions",
    "set_expectations",
    "rebuild_trust",
    "common_ground",
)


def principle_label(principle: PrincipleId) -> str:
    """The principle's short title from the rubric, as the app shows it."""
    return load_rubric().principle(principle).label


def anti_label(anti: AntiPatternId) -> str:
    """The anti-pattern's name from the rubric, as the app shows it."""
    return load_rubric().anti_pattern(anti).name


def escape(text: str) -> str:
    """Markdown-literal text: emphasis, code, links and HTML escaped; no line can start a heading or list."""
    escaped = _SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(_guard_line_start, escaped)


def _guard_line_start(match: re.Match[str]) -> str:
    lead, mark = match.group(1), match.group(2)
    return f"{lead}{mark[:-1]}\\{mark[-1]}" if mark[0].isdigit() else f"{lead}\\{mark}"


def quote(text: str) -> str:
    """A block quote of literal text, one line per line."""
    return "\n".join(f"> {escape(line)}" if line.strip() else ">" for line in text.splitlines() or [""])


def inline(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    short = flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
    return f"“{escape(short)}”"


def evidence(score: TurnScore, principle: PrincipleId) -> str:
    found = next(p for p in score.principles if p.id == principle)
    return found.span.text if found.span and found.span.text.strip() else score.text


def anti_evidence(score: TurnScore, anti: AntiPatternId) -> str:
    hit = next(a for a in score.anti_patterns if a.id == anti)
    return hit.span.text if hit.span and hit.span.text.strip() else score.text


def _turn(view: SessionView, turn: TurnRecord) -> list[str]:
    name = escape(view.persona_name)
    change = (
        f"{turn.phase_before} → {turn.phase_after}"
        if turn.phase_after != turn.phase_before
        else turn.phase_after
    )
    out = [f"## Turn {turn.index + 1}: {change}", "", "**You:**", "", quote(turn.user_text), ""]
    out += [f"**{name}** ({turn.reply_source}, {turn.move.replace('_', ' ')}):", "", quote(turn.reply), ""]
    if turn.score.unscored:
        out.append(f"- Not scored: {escape(turn.score.unscored)}")
    for principle in turn.score.detected:
        level = turn.score.level(principle)
        out.append(
            f"- Shown: {principle_label(principle)} ({level}/3): {inline(evidence(turn.score, principle))}"
        )
    for anti in dict.fromkeys(turn.score.anti):
        out.append(f"- Anti-pattern: {anti_label(anti)}: {inline(anti_evidence(turn.score, anti))}")
    if turn.skipped:
        out.append("- Skipped: " + ", ".join(NOUN[p] for p in turn.skipped))
    out += [f"- {escape(sentence)}" for sentence in turn.feedback]
    if turn.coaching:
        out.append(f"- Tip ({principle_label(turn.coaching.principle)}): {escape(turn.coaching.tip)}")
        if turn.coaching.better_reply:
            out.append(f"- A better reply: {inline(turn.coaching.better_reply, 400)}")
    before, after = turn.mood_before, turn.mood_after
    out.append(
        f"- Mood: trust {before.trust} → {after.trust}, openness {before.openness} → {after.openness}, "
        f"tension {before.tension} → {after.tension}"
    )
    return [*out, ""]


def _best(turns: Iterable[TurnRecord], principle: PrincipleId) -> TurnRecord | None:
    ranked = sorted(turns, key=lambda t: (-t.score.level(principle), t.index))
    return ranked[0] if ranked and ranked[0].score.level(principle) >= DETECTED_AT else None


def _summary(view: SessionView) -> list[str]:
    turns = view.turns
    out = ["## Summary", "", f"- Outcome: {(view.outcome or 'in progress').replace('_', ' ')}"]
    out += [
        f"- Turns: {len(turns)}, reply sources: "
        + ", ".join(
            f"{s} {sum(t.reply_source == s for t in turns)}" for s in ("generated", "retried", "fallback")
        )
    ]
    curve = [str(turns[0].mood_before.trust)] if turns else [str(view.mood.trust)]
    curve += [str(t.mood_after.trust) for t in turns]
    out += [f"- Trust curve: {', '.join(curve)} (needed: {view.repair_trust})", ""]
    out += ["### Score per principle", "", "| principle | best | turns shown |", "|---|---|---|"]
    for principle in PRINCIPLES:
        best = max((t.score.level(principle) for t in turns), default=0)
        shown = sum(t.score.level(principle) >= DETECTED_AT for t in turns)
        out.append(f"| {principle_label(principle)} | {best}/3 | {shown} |")
    strengths = [(p, t) for p in PRINCIPLES if (t := _best(turns, p)) is not None]
    out += ["", "### Strengths", ""]
    out += [
        f"- {principle_label(p)} (turn {t.index + 1}): {inline(evidence(t.score, p))}" for p, t in strengths
    ]
    if not strengths:
        out.append("- No principle came through clearly yet.")
    out += ["", "### Things to work on", ""]
    for turn in turns:
        for anti in dict.fromkeys(turn.score.anti):
            out.append(f"- Turn {turn.index + 1}, {anti}: {inline(anti_evidence(turn.score, anti))}")
        rushed = [s.split(":")[0] for s in turn.feedback if " before " in s.split(":")[0]]
        if rushed:
            out.append(
                f"- Turn {turn.index + 1}, {escape('; '.join(rushed)).lower()}: {inline(turn.user_text)}"
            )
    missing = [principle_label(p) for p in PRINCIPLES if all(t.score.level(p) < DETECTED_AT for t in turns)]
    if missing:
        out.append("- Not shown yet: " + ", ".join(missing) + ".")
    plan = [
        (t, evidence(t.score, p)) for t in turns for p in PLAN_PRINCIPLES if t.score.level(p) >= DETECTED_AT
    ]
    out += ["", "### Action plan", ""]
    seen: set[str] = set()
    for turn, said in plan:
        if said not in seen:
            seen.add(said)
            out.append(f"- [ ] {inline(said, 300)} (turn {turn.index + 1})")
    if not seen:
        out.append(
            "- No commitment made yet: agree on concrete next steps and how you will work from now on."
        )
    return [*out, ""]


def to_markdown(view: SessionView) -> str:
    """The readable transcript: each turn with its feedback, then the summary and an action plan."""
    head = [f"# Rehearsal with {escape(view.persona_name)}, {escape(view.persona_role)}", ""]
    head.append(f"Difficulty: {view.difficulty}. Started {view.created_at}, last turn {view.updated_at}.")
    if view.branch_of:
        head.append(f"Branched from session {escape(view.branch_of[0])} before turn {view.branch_of[1] + 1}.")
    head += ["", f"**{escape(view.persona_name)}:**", "", quote(view.opening_line), ""]
    body = [line for turn in view.turns for line in _turn(view, turn)]
    if view.pending:
        body += ["**Not answered yet:**", "", quote(view.pending), ""]
    return "\n".join(head + body + _summary(view)).rstrip() + "\n"


def to_json(view: SessionView) -> str:
    return view.model_dump_json(indent=2)


def from_json(text: str) -> SessionView:
    return SessionView.model_validate_json(text)
