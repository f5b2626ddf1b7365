"""`switchboard mappings`: a kit destination's mappings, from a shell — list, show, create,
update (`--enable`/`--disable`, a new trigger or field mapping) and delete. The same checks as
the admin API: a mapping that does not work is refused with where it is wrong (exit 1)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from switchboard.cli.output import Commands, show
from switchboard.settings import Settings


def register(commands: Commands) -> None:
    mappings = commands.add_parser("mappings", help="manage a destination's mappings")
    actions = mappings.add_subparsers(dest="action", required=True)
    for name, text in (("list", "list the mappings"), ("show", "show one mapping")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("destination", type=int, help="the destination's id")
        if name == "show":
            sub.add_argument("mapping_id", metavar="mapping", type=int, help="the mapping's id")
        sub.add_argument("--json", action="store_true")
    create = actions.add_parser("create", help="add a mapping")
    create.add_argument("destination", type=int)
    create.add_argument("--name", required=True)
    create.add_argument("--action", dest="action_id", required=True, help="the action's id")
    _shared(create)
    update = actions.add_parser("update", help="change a mapping")
    update.add_argument("destination", type=int)
    update.add_argument("mapping_id", metavar="mapping", type=int)
    update.add_argument("--name")
    _shared(update)
    delete = actions.add_parser("delete", help="delete a mapping")
    delete.add_argument("destination", type=int)
    delete.add_argument("mapping_id", metavar="mapping", type=int)
    mappings.set_defaults(handler=run)


def _shared(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trigger", help="Segment's trigger syntax: 'type = \"track\"'")
    parser.add_argument("--mapping", dest="mapping_json", help="the field mapping as JSON")
    switch = parser.add_mutually_exclusive_group()
    switch.add_argument("--enable", dest="enabled", action="store_true", default=None)
    switch.add_argument("--disable", dest="enabled", action="store_false")
    parser.add_argument("--position", type=int)
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.destinations.mappings import (
        MappingInput,
        MappingProblem,
        MappingService,
        as_dict,
    )
    from switchboard.runtime import build_runtime

    mapping_doc: dict[str, Any] | None = None
    if getattr(args, "mapping_json", None) is not None:
        try:
            mapping_doc = json.loads(args.mapping_json)
        except json.JSONDecodeError as exc:
            print(f"--mapping is not valid JSON: {exc}", file=sys.stderr)
            return 2
    with build_runtime(settings) as runtime, runtime.sessions() as session:
        service = runtime.destinations(session)
        destination = service.get(args.destination)
        if destination is None:
            print(f"destination {args.destination} not found", file=sys.stderr)
            return 1
        mappings = MappingService(session, runtime.adapters)
        if args.action == "list":
            records = [as_dict(row) for row in destination.mappings]
            lines = [
                f"{r['id']}\t{'on' if r['enabled'] else 'off'}\t{r['action']}\t{r['name']}\t"
                f"{r['trigger']}"
                for r in records
            ]
            show(args, records, "\n".join(lines) if lines else "no mappings")
            return 0
        if args.action == "create":
            data = MappingInput(
                name=args.name,
                action=args.action_id,
                trigger=args.trigger,
                mapping=mapping_doc,
                enabled=args.enabled,
                position=args.position,
            )
            try:
                row = mappings.create(destination, data)
            except MappingProblem as exc:
                print(str(exc), file=sys.stderr)
                return 1
            session.commit()
            show(args, as_dict(row), f"{row.id}\t{row.name}")
            return 0
        found = mappings.get(destination, args.mapping_id)
        if found is None:
            print(
                f"mapping {args.mapping_id} of destination {destination.id} not found",
                file=sys.stderr,
            )
            return 1
        if args.action == "show":
            record = as_dict(found)
            show(args, record, json.dumps(record, indent=2))
            return 0
        if args.action == "delete":
            mappings.delete(found)
            session.commit()
            print(f"deleted mapping {found.id}")
            return 0
        data = MappingInput(
            name=args.name,
            trigger=args.trigger,
            mapping=mapping_doc,
            enabled=args.enabled,
            position=args.position,
        )
        try:
            mappings.update(found, data)
        except MappingProblem as exc:
            print(str(exc), file=sys.stderr)
            return 1
        session.commit()
        show(args, as_dict(found), f"{found.id}\t{found.name}")
    return 0
