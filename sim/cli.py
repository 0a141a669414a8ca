"""The `rehearse` command. Each subcommand lives in its own module: `add_arguments(parser)` + `main(args)`.

Only the chosen subcommand's module is imported, so `rehearse ui` does not pay for the scorer's or
the terminal player's imports before it serves the page.
"""

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "ui": ("sim.ui.app", "launch the browser app and print its URL (the default)"),
    "doctor": ("sim.llm.doctor", "which model backend is in use, and whether it answers"),
    "score": ("sim.scoring.cli", "score one turn (or a JSONL file) against the ten principles"),
    "play": ("sim.engine.play", "play a conversation in the terminal, scripted or interactive"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that subcommand's arguments are loaded (the others stay bare)."""
    parser = argparse.ArgumentParser(
        prog="rehearse", description="Rehearse a hard conversation with a colleague persona."
    )
    sub = parser.add_subparsers(dest="command")
    for name, (module, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            importlib.import_module(module).add_arguments(cmd)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv) or ["ui"]
    chosen = words[0] if words[0] in COMMANDS else None
    args = build_parser(chosen).parse_args(words)
    if args.command is None:
        build_parser().print_help()
        return 2
    module = importlib.import_module(COMMANDS[args.command][0])
    return int(module.main(args) or 0)
