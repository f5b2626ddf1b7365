"""`switchboard replay`: send a destination's failed (or all) deliveries again."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from switchboard.cli.output import Commands, show
from switchboard.settings import Settings


def register(commands: Commands) -> None:
    replay = commands.add_parser("replay", help="send failed (or all) deliveries again")
    replay.add_argument("--destination", type=int, required=True)
    replay.add_argument("--status", choices=["failed", "all"], default="failed")
    replay.add_argument("--since", type=_when)
    replay.add_argument("--until", type=_when)
    replay.add_argument("--json", action="store_true")
    replay.set_defaults(handler=run)


def _when(text: str) -> datetime:
    from switchboard.spec.timestamps import TimestampError, parse_timestamp

    try:
        return parse_timestamp(text)
    except TimestampError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.deliveries.service import replay
    from switchboard.destinations.models import Destination
    from switchboard.jobs import defaults
    from switchboard.runtime import build_runtime

    with build_runtime(settings) as runtime:
        with runtime.sessions() as session:
            if session.get(Destination, args.destination) is None:
                print(f"destination {args.destination} not found", file=sys.stderr)
                return 1
            # With Redis the jobs are queued now; without, the server's scheduler finds the
            # deliveries due (this process runs no jobs).
            queued_now = bool(settings.redis_url)
            ids = replay(
                session,
                args.destination,
                status=args.status,
                since=args.since,
                until=args.until,
                enqueued=queued_now,
                requeue_after=runtime.jobs.timing.requeue_after,
            )
            session.commit()
        if queued_now:
            for start in range(0, len(ids), defaults.DELIVER_BATCH):
                runtime.queue.enqueue_deliver(
                    args.destination, ids[start : start + defaults.DELIVER_BATCH]
                )
    show(args, {"queued": len(ids)}, f"{len(ids)} deliveries queued again")
    return 0
