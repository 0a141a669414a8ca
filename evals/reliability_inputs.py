"""Bad input through the engine's facade: each case is refused with a clear message or recorded as clean text,
and the session goes on with a normal turn afterwards."""

from typing import Any, Final

from evals.reliability_data import BadInput, Check
from sim.engine.session import InputError
from sim.llm.protocol import ModelError

OWNER: Final = "reliability-inputs"
FOLLOW_UP: Final = "I'm sorry I missed the deadline. I want to hear how it affected you."
MESSAGE_MAX: Final = 300


def _same(stored: str, sent: str) -> bool:
    def norm(text: str) -> str:
        return text.replace("\r\n", "\n").replace("\r", "\n").strip()

    return norm(stored) == norm(sent)


def clean_problem(text: str) -> str | None:
    """Why stored text is not clean: NUL or other C0 controls, lone surrogates, or nothing visible."""
    if not text.strip():
        return "stored an empty turn"
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        return "stored control characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "stored a lone surrogate"
    return None


def message_problem(message: str) -> str | None:
    """A message for the user: present, short, and no traceback."""
    if not message.strip():
        return "empty message"
    if len(message) > MESSAGE_MAX or "Traceback" in message:
        return f"unclear message {message[:80]!r}"
    return None


def try_case(rehearsal: Any, persona_id: str, case: BadInput) -> str | None:
    """Run one case in a fresh session; None when handled, else what went wrong."""
    session_id = rehearsal.start(persona_id, owner=OWNER).id
    try:
        view = rehearsal.send(session_id, case.turn, owner=OWNER)
    except InputError as exc:
        after = rehearsal.view(session_id, owner=OWNER)
        if after.turns or after.pending:
            return "refused but stored something"
        if case.expect == "accept":
            return f"refused a turn that should be accepted: {exc}"
        problem = message_problem(str(exc))
        if problem:
            return problem
        recorded = 0
    except ModelError as exc:
        return f"model error: {exc.message}"
    except Exception as exc:
        return f"crashed: {type(exc).__name__}: {str(exc)[:200]}"
    else:
        if case.expect == "reject":
            return f"accepted a turn that should be refused ({len(case.turn)} characters)"
        if len(view.turns) != 1:
            return f"expected 1 recorded turn, found {len(view.turns)}"
        stored = view.turns[0].user_text
        problem = clean_problem(stored)
        if problem:
            return problem
        if case.expect == "accept" and not _same(stored, case.turn):
            return f"changed the text: {stored[:60]!r}"
        view.model_dump_json()
        recorded = 1
    try:
        view = rehearsal.send(session_id, FOLLOW_UP, owner=OWNER)
    except Exception as exc:
        return f"the session did not go on: {type(exc).__name__}: {str(exc)[:200]}"
    if len(view.turns) != recorded + 1 or view.turns[-1].user_text != FOLLOW_UP:
        return "the follow-up turn was not recorded"
    return None


def run_bad_inputs(rehearsal: Any, persona_id: str, cases: list[BadInput]) -> Check:
    check = Check("bad inputs handled")
    for case in cases:
        problem = try_case(rehearsal, persona_id, case)
        check.add(problem is None, f"{case.id} ({case.kind}): {problem}")
    return check
