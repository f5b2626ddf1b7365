"""`switchboard migrate`: bring the database schema up (or down) to a revision; then give the
destinations stored before the destination kit their mappings (destinations/adopt.py)."""

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
        print(f"database migrated ({args.downgrade})")
        return 0
    upgrade(settings.database_url, args.revision)
    print(f"database migrated ({args.revision})")
    if args.revision == "head":
        return _adopt(settings)
    return 0


def _adopt(settings: Settings) -> int:
    from switchboard.destinations.adopt import adopt_all
    from switchboard.runtime import build_runtime

    if settings.secret_key is None:
        # Nothing encrypted can be read; the route job adopts them once the key is set.
        return 0
    with build_runtime(settings) as runtime, runtime.sessions() as session:
        adopted = adopt_all(session, runtime.box, runtime.adapters)
        session.commit()
    if adopted:
        print(f"{adopted} destination(s) given mappings from their settings")
    return 0
