"""`switchboard worker`: run jobs from Redis (RQ) and the scheduler (`switchboard.worker`)."""

from __future__ import annotations

import argparse
import sys

from switchboard.cli.output import Commands
from switchboard.settings import Settings


def register(commands: Commands) -> None:
    worker = commands.add_parser("worker", help="run jobs from Redis (RQ) and the scheduler")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.add_argument(
        "--metrics-port",
        type=int,
        help="serve /metrics on this port (default: SWITCHBOARD_WORKER_METRICS_PORT, else none)",
    )
    worker.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.worker import run_worker

    if not settings.redis_url:
        print(
            "set SWITCHBOARD_REDIS_URL: without Redis, `switchboard serve` runs the jobs itself",
            file=sys.stderr,
        )
        return 1
    run_worker(settings, burst=args.burst, metrics_port=args.metrics_port)
    return 0
