"""`switchboard sources`: create and list sources, rotate a write key."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import Any

from switchboard.cli.database import session_of
from switchboard.cli.output import Commands, show
from switchboard.settings import Settings


def register(commands: Commands) -> None:
    sources = commands.add_parser("sources", help="manage sources and write keys")
    actions = sources.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a source and print its write key")
    create.add_argument("name")
    create.add_argument("--json", action="store_true")
    listing = actions.add_parser("list", help="list sources")
    listing.add_argument("--json", action="store_true")
    rotate = actions.add_parser("rotate-key", help="give a source a new write key")
    rotate.add_argument("id", type=int)
    rotate.add_argument(
        "--grace-seconds",
        type=_grace_seconds,
        default=86400,
        help="how long old keys keep working (0 to 30 days)",
    )
    rotate.add_argument("--json", action="store_true")
    sources.set_defaults(handler=run)


def _grace_seconds(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 30 * 86400:
        raise argparse.ArgumentTypeError("must be between 0 and 2592000 seconds (30 days)")
    return value


def _record(source: Any) -> dict[str, Any]:
    from switchboard.sources.schemas import SourceOut

    return SourceOut.of(source).model_dump(mode="json")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.sources import service

    with session_of(settings) as session:
        if args.action == "create":
            source = service.create_source(session, args.name)
            session.commit()
            record = _record(source)
            show(args, record, f"{record['id']}\t{record['name']}\t{record['write_key']}")
        elif args.action == "list":
            records = [_record(s) for s in service.list_sources(session)]
            lines = [f"{r['id']}\t{r['name']}\t{r['write_key']}" for r in records]
            show(args, records, "\n".join(lines) if lines else "no sources")
        else:
            found = service.get_source(session, args.id)
            if found is None:
                print(f"source {args.id} not found", file=sys.stderr)
                return 1
            service.rotate_key(session, found, timedelta(seconds=args.grace_seconds))
            session.commit()
            record = _record(found)
            show(args, record, record["write_key"])
    return 0
