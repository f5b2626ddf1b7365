"""`switchboard migrate`: bring the database schema up (or down) to a revision."""

from __future__ import annotations

import argparse

from switchboard.cli.output import Commands
from switchboard.settings import Settings


def register(commands: Commands) -> None:
    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("--revision", default="head")
    migrate.add_argument("--downgrade", metavar="REVISION", help="go down to REVISION instead")
    migrate.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.db.migrate import downgrade, upgrade

    if args.downgrade:
        downgrade(settings.database_url, args.downgrade)
    else:
        upgrade(settings.database_url, args.revision)
    print(f"database migrated ({args.downgrade or args.revision})")
    return 0
