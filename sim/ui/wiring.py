"""What `rehearse ui` opens before serving: personas, models, scorer, checkpointer, the browser key."""

import os
import secrets
import sys
from contextlib import ExitStack
from pathlib import Path

from sim.config import Settings
from sim.engine.relevance import topic_gate_for
from sim.engine.session import Rehearsal
from sim.engine.store import open_checkpointer
from sim.llm.backend import open_models
from sim.personas import Persona, load_personas
from sim.scoring import load_scorer


def load_all(folder: Path | None = None) -> dict[str, Persona]:
    """The personas of `folder` (default: the project's); a broken file is reported on stderr and skipped,
    none at all is fatal."""
    loaded = load_personas(folder)
    for error in loaded.errors:
        print(f"skipped persona: {error}", file=sys.stderr)
    if not loaded.personas:
        raise SystemExit("No valid persona found in the personas folder.")
    return loaded.personas


def open_rehearsal(stack: ExitStack, settings: Settings, personas: dict[str, Persona]) -> Rehearsal:
    """The real Rehearsal; the checkpointer and the model server close when `stack` does."""
    checkpointer = stack.enter_context(open_checkpointer(settings))
    models = stack.enter_context(open_models(settings))
    scorer = load_scorer(settings, judge=models.judge)
    gate = topic_gate_for(settings)
    reads = settings.embedded
    return Rehearsal(
        models, scorer, checkpointer, personas, settings=settings, read_cards=reads, topic_gate=gate
    )


def browser_secret(settings: Settings) -> str:
    """The key for the browser's local storage: REHEARSE_BROWSER_SECRET, else a key file beside the database.

    It must outlive a restart, or the browser could no longer read back its session ids.
    """
    if settings.browser_secret is not None:
        return settings.browser_secret.get_secret_value()
    path = settings.db_path.with_name(settings.db_path.name + ".browser-key")
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key)
    return key
