"""`switchboard destinations`: the destination types, and list or create destinations."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from switchboard.cli.output import Commands, show
from switchboard.settings import Settings


def register(commands: Commands) -> None:
    destinations = commands.add_parser("destinations", help="manage destinations")
    actions = destinations.add_subparsers(dest="action", required=True)
    types = actions.add_parser("types", help="list the destination types")
    types.add_argument("--json", action="store_true")
    listing = actions.add_parser("list", help="list destinations")
    listing.add_argument("--json", action="store_true")
    create = actions.add_parser("create", help="create a destination")
    create.add_argument("--type", required=True)
    create.add_argument("--name", required=True)
    create.add_argument(
        "--source", type=int, action="append", help="source id to connect (repeatable)"
    )
    create.add_argument("--settings", default="{}", help="the settings as JSON")
    create.add_argument("--json", action="store_true")
    destinations.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.destinations.crypto import SecretKeyMissing
    from switchboard.destinations.schemas import DestinationOut
    from switchboard.destinations.service import DestinationError, DestinationInput
    from switchboard.integrations.registry import describe
    from switchboard.runtime import build_runtime

    with build_runtime(settings) as runtime:
        adapters = runtime.adapters
        if args.action == "types":
            records = [describe(a) for a in sorted(adapters.values(), key=lambda a: a.type)]
            lines = [
                f"{r['type']}\t{r['display_name']}\t{','.join(r['supported_calls'])}"
                for r in records
            ]
            show(args, records, "\n".join(lines))
            return 0
        with runtime.sessions() as session:
            service = runtime.destinations(session)

            def record(d: Any) -> dict[str, Any]:
                adapter = adapters.get(d.type)
                name = adapter.display_name if adapter else d.type
                try:
                    masked = service.masked_settings(d)
                except (DestinationError, SecretKeyMissing):
                    masked = {}  # adapter missing or key changed: never show secrets
                out = DestinationOut.of(d, name, masked)
                result: dict[str, Any] = out.model_dump(mode="json")
                return result

            if args.action == "list":
                records = [record(d) for d in service.all()]
                lines = [f"{r['id']}\t{r['name']}\t{r['type']}\t{r['source_ids']}" for r in records]
                show(args, records, "\n".join(lines) if lines else "no destinations")
                return 0
            try:
                settings_doc = json.loads(args.settings)
            except json.JSONDecodeError as exc:
                print(f"--settings is not valid JSON: {exc}", file=sys.stderr)
                return 2
            try:
                created = service.create(
                    DestinationInput(
                        name=args.name,
                        type=args.type,
                        settings=settings_doc,
                        source_ids=args.source or [],
                    )
                )
            except (DestinationError, SecretKeyMissing) as exc:
                print(str(exc), file=sys.stderr)
                return 1
            session.commit()
            data = record(created)
            show(args, data, f"{data['id']}\t{data['name']}")
    return 0
