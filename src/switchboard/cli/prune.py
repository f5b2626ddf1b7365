"""`switchboard prune`: delete events and attempts older than their retention, now."""

from __future__ import annotations

import argparse

from switchboard.cli.output import Commands, show
from switchboard.settings import Settings


def register(commands: Commands) -> None:
    prune = commands.add_parser(
        "prune", help="delete events and attempts older than their retention, now"
    )
    prune.add_argument(
        "--events",
        type=_days,
        metavar="DAYS",
        help="events older than DAYS (default: SWITCHBOARD_EVENT_RETENTION_DAYS; 0 keeps all)",
    )
    prune.add_argument(
        "--attempts",
        type=_days,
        metavar="DAYS",
        help="attempts older than DAYS (default: SWITCHBOARD_ATTEMPT_RETENTION_DAYS; 0 keeps all)",
    )
    prune.add_argument("--json", action="store_true")
    prune.set_defaults(handler=run)


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of days, e.g. 30 or 0.5") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (keep everything) or more")
    return value


def run(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.db.engine import make_engine
    from switchboard.retention.prune import days, prune

    event_days = settings.event_retention_days if args.events is None else args.events
    attempt_days = settings.attempt_retention_days if args.attempts is None else args.attempts
    engine = make_engine(settings.database_url)
    try:
        pruned = prune(
            engine,
            event_age=days(event_days),
            attempt_age=days(attempt_days),
            batch=settings.prune_batch_size,
        )
    finally:
        engine.dispose()
    record = {
        "events": pruned.events,
        "rejected_events": pruned.rejected_events,
        "attempts": pruned.attempts,
    }
    show(
        args,
        record,
        f"pruned {pruned.events} events, {pruned.rejected_events} rejected events "
        f"and {pruned.attempts} attempts",
    )
    return 0
