"""The `switchboard` command: one module per command group, each adding its subcommand.

Every group module has `register(commands)`, which adds its parser with a handler
`(args, settings) -> exit code`. A handler imports what it needs when it runs, so `--help`
and a one-off command load only their own part of the application.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Final

from switchboard.cli import (
    destinations,
    mappings,
    migrate,
    prune,
    replay,
    serve,
    sources,
    users,
    worker,
)
from switchboard.settings import get_settings

#: What `switchboard --help` says first.
DESCRIPTION: Final = "The `switchboard` command: serve, migrate, and manage sources from a shell."

#: The command groups, in the order `--help` lists them.
GROUPS: Final = (serve, migrate, sources, worker, prune, destinations, mappings, replay, users)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="switchboard", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    code: int = args.handler(args, settings)
    return code
