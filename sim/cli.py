"""The `rehearse` command. Each subcommand lives in its own module: `add_arguments(parser)` + `main(args)`."""

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rehearse", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    for name, (module, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(cmd)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv) or ["ui"])
    module = importlib.import_module(COMMANDS[args.command][0])
    return int(module.main(args) or 0)
