"""The `switchboard` command: serve, migrate, and manage sources from a shell."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from switchboard.settings import Settings, get_settings


def _print(args: argparse.Namespace, records: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(records, indent=2, default=str))
    else:
        print(text)


def _source_record(source: Any) -> dict[str, Any]:
    from switchboard.sources.schemas import SourceOut

    return SourceOut.of(source).model_dump(mode="json")


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.db.migrate import downgrade, upgrade

    if args.downgrade:
        downgrade(settings.database_url, args.downgrade)
    else:
        upgrade(settings.database_url, args.revision)
    print(f"database migrated ({args.downgrade or args.revision})")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from switchboard.bootstrap import first_start, first_user
    from switchboard.db.engine import make_engine, make_sessionmaker
    from switchboard.db.migrate import is_current

    engine = make_engine(settings.database_url)
    try:
        if not is_current(engine):
            print(
                "the database schema is missing or out of date: run `switchboard migrate` first",
                file=sys.stderr,
            )
            return 1
        welcome = first_start(
            make_sessionmaker(engine), static_token_set=settings.admin_token is not None
        )
        login = first_user(make_sessionmaker(engine))
    finally:
        engine.dispose()
    from switchboard.observability.logging import logging_config

    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
    base = f"http://{shown_host}:{args.port}"
    if welcome is not None:
        print("Switchboard first start.", flush=True)
        if welcome.admin_token:
            print(f"  Admin API token (shown once): {welcome.admin_token}", flush=True)
        else:
            print("  Admin API token: the value of SWITCHBOARD_ADMIN_TOKEN", flush=True)
        print(f"  Demo source write key:        {welcome.demo_write_key}", flush=True)
        print(
            f"  Try: curl -u {welcome.demo_write_key}: {base}/v1/track "
            """-d '{"userId":"u1","event":"Hello"}'""",
            flush=True,
        )
    if login is not None:
        print(f"Dashboard: {base}/ (a first login was created)", flush=True)
        print(f"  E-mail:                       {login.email}", flush=True)
        print(f"  Password (shown once):        {login.password}", flush=True)
        print("  Add people with: switchboard users create EMAIL", flush=True)
    metrics_dir = _metrics_dir(args.workers)  # before uvicorn starts the server processes
    try:
        uvicorn.run(
            "switchboard.app:app_from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=logging_config(settings),
            log_level=settings.log_level.lower(),
            access_log=False,  # SWITCHBOARD_ACCESS_LOG: ours, with the request id, redacted
            proxy_headers=False,  # X-Forwarded-* is trusted only per SWITCHBOARD_TRUSTED_PROXIES
            # On SIGTERM: stop accepting, let open requests finish (each is answered after
            # its commit) for up to this long, then the app writes what is still queued.
            timeout_graceful_shutdown=int(settings.shutdown_timeout_seconds),
        )
    finally:
        if metrics_dir is not None:
            metrics_dir.cleanup()
    return 0


#: prometheus-client's multiprocess switch (see switchboard.observability.exposition).
_MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"


def _metrics_dir(workers: int) -> tempfile.TemporaryDirectory[str] | None:
    """Give several server processes one directory to keep their counters in, so /metrics
    from any of them sums them all. An operator's own directory is emptied first: counters
    of an earlier run would otherwise be added to this run's."""
    existing = os.environ.get(_MULTIPROC)
    if existing:
        for stale in Path(existing).glob("*.db"):
            stale.unlink()
        return None
    if workers <= 1:
        return None
    directory = tempfile.TemporaryDirectory(prefix="switchboard-metrics-")
    os.environ[_MULTIPROC] = directory.name
    return directory


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.db.engine import make_engine, make_sessionmaker
    from switchboard.sources import service

    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            if args.action == "create":
                source = service.create_source(session, args.name)
                session.commit()
                record = _source_record(source)
                _print(args, record, f"{record['id']}\t{record['name']}\t{record['write_key']}")
            elif args.action == "list":
                records = [_source_record(s) for s in service.list_sources(session)]
                lines = [f"{r['id']}\t{r['name']}\t{r['write_key']}" for r in records]
                _print(args, records, "\n".join(lines) if lines else "no sources")
            else:
                found = service.get_source(session, args.id)
                if found is None:
                    print(f"source {args.id} not found", file=sys.stderr)
                    return 1
                service.rotate_key(session, found, timedelta(seconds=args.grace_seconds))
                session.commit()
                record = _source_record(found)
                _print(args, record, record["write_key"])
    finally:
        engine.dispose()
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.app import tune_gc
    from switchboard.db.engine import make_job_engine
    from switchboard.jobs import context
    from switchboard.jobs.leader import RedisLeader
    from switchboard.jobs.queue import RQQueue
    from switchboard.jobs.runtime import RQ_SOCKET_TIMEOUT, build_context, redis_client
    from switchboard.jobs.scheduler import SchedulerThread
    from switchboard.jobs.worker import Worker, work_until_stopped
    from switchboard.observability.exposition import serve_worker_metrics
    from switchboard.observability.logging import configure
    from switchboard.retention.runner import PrunerThread

    if not settings.redis_url:
        print(
            "set SWITCHBOARD_REDIS_URL: without Redis, `switchboard serve` runs the jobs itself",
            file=sys.stderr,
        )
        return 1
    configure(settings)
    engine = make_job_engine(settings.database_url)
    ctx = build_context(settings, engine)
    context.install(ctx)
    assert isinstance(ctx.queue, RQQueue)
    # Short timeouts for the scheduler's lease, the pruner and the metrics; RQ's blocking
    # dequeue gets a connection of its own with a timeout longer than its wait.
    connection = redis_client(settings.redis_url)
    rq_connection = redis_client(settings.redis_url, socket_timeout=RQ_SOCKET_TIMEOUT)
    leader = RedisLeader(connection, tick=settings.scheduler_tick_seconds)
    scheduler = SchedulerThread(ctx, should_run=leader)
    pruner = PrunerThread(engine, settings, connection)
    port = args.metrics_port or settings.worker_metrics_port
    metrics_server = serve_worker_metrics(ctx.metrics, engine, connection, port) if port else None
    scheduler.start()
    pruner.start()
    try:
        # Deliver jobs decode thousands of payload dicts a second; with Python's default
        # collector thresholds its passes took a sixth of a worker's CPU (bench/e2e profile).
        tune_gc(settings.gc_gen0_threshold)
        # RQ logs two lines per job at INFO: hundreds a second under load.
        rq_level = {"DEBUG": "INFO", "INFO": "WARNING"}.get(settings.log_level, settings.log_level)
        queues = [ctx.queue.queue]
        work_until_stopped(
            lambda: Worker(queues, connection=rq_connection, stopping=ctx.stopping),
            ctx.stopping,
            burst=args.burst,
            logging_level=rq_level,
        )
    finally:
        ctx.stopping.set()
        pruner.stop()
        scheduler.stop()
        leader.release()  # another worker's scheduler takes over now, not in 5 s
        if metrics_server is not None:
            metrics_server.shutdown()
        ctx.queue.close()
        ctx.http.close()
        engine.dispose()
    return 0


def cmd_prune(args: argparse.Namespace, settings: Settings) -> int:
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
    _print(
        args,
        record,
        f"pruned {pruned.events} events, {pruned.rejected_events} rejected events "
        f"and {pruned.attempts} attempts",
    )
    return 0


def cmd_destinations(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.db.engine import make_engine, make_sessionmaker
    from switchboard.destinations.crypto import SecretKeyMissing, SettingsBox
    from switchboard.destinations.schemas import DestinationOut
    from switchboard.destinations.service import (
        DestinationError,
        DestinationInput,
        DestinationService,
    )
    from switchboard.integrations.registry import describe, load_adapters

    adapters = load_adapters()
    if args.action == "types":
        records = [describe(a) for a in sorted(adapters.values(), key=lambda a: a.type)]
        lines = [
            f"{r['type']}\t{r['display_name']}\t{','.join(r['supported_calls'])}" for r in records
        ]
        _print(args, records, "\n".join(lines))
        return 0
    box = SettingsBox(settings.secret_key.get_secret_value() if settings.secret_key else None)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            service = DestinationService(
                session, box, adapters, allow_private=settings.allow_private_destinations
            )

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
                _print(args, records, "\n".join(lines) if lines else "no destinations")
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
            _print(args, data, f"{data['id']}\t{data['name']}")
    finally:
        engine.dispose()
    return 0


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.db.engine import make_engine, make_sessionmaker
    from switchboard.deliveries.service import replay
    from switchboard.destinations.models import Destination
    from switchboard.jobs import defaults
    from switchboard.jobs.runtime import build_context

    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            if session.get(Destination, args.destination) is None:
                print(f"destination {args.destination} not found", file=sys.stderr)
                return 1
            queued_now = bool(settings.redis_url)
            ids = replay(
                session,
                args.destination,
                status=args.status,
                since=args.since,
                until=args.until,
                enqueued=queued_now,
            )
            session.commit()
        if queued_now and ids:
            ctx = build_context(settings, engine)
            for start in range(0, len(ids), defaults.DELIVER_BATCH):
                ctx.queue.enqueue_deliver(
                    args.destination, ids[start : start + defaults.DELIVER_BATCH]
                )
            ctx.queue.close()
    finally:
        engine.dispose()
    _print(args, {"queued": len(ids)}, f"{len(ids)} deliveries queued again")
    return 0


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.db.engine import make_engine, make_sessionmaker
    from switchboard.users import service
    from switchboard.users.passwords import random_password

    def password() -> tuple[str, bool]:
        if args.password_stdin:
            return sys.stdin.readline().rstrip("\r\n"), False
        return random_password(), True

    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            if args.action == "list":
                records = [
                    {
                        "id": u.id,
                        "email": u.email,
                        "created_at": u.created_at,
                        "last_login_at": u.last_login_at,
                    }
                    for u in service.list_users(session)
                ]
                lines = [f"{r['id']}\t{r['email']}" for r in records]
                _print(args, records, "\n".join(lines) if lines else "no users")
                return 0
            secret, generated = password()
            try:
                if args.action == "create":
                    user = service.create_user(session, args.email, secret)
                else:
                    found = service.find_user(session, args.email)
                    if found is None:
                        print(f"no user with the address {args.email}", file=sys.stderr)
                        return 1
                    user = found
                    service.set_password(session, user, secret)
            except service.UserError as exc:
                print(str(exc), file=sys.stderr)
                return 1
            session.commit()
            record = {"id": user.id, "email": user.email}
            if generated:
                record["password"] = secret
            text = f"{user.email}\tpassword: {secret}" if generated else user.email
            _print(args, record, text)
    finally:
        engine.dispose()
    return 0


def _when(text: str) -> datetime:
    from switchboard.spec.timestamps import TimestampError, parse_timestamp

    try:
        return parse_timestamp(text)
    except TimestampError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _grace_seconds(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 30 * 86400:
        raise argparse.ArgumentTypeError("must be between 0 and 2592000 seconds (30 days)")
    return value


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of days, e.g. 30 or 0.5") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (keep everything) or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="switchboard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server (tracking API + admin)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes")
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("--revision", default="head")
    migrate.add_argument("--downgrade", metavar="REVISION", help="go down to REVISION instead")
    migrate.set_defaults(handler=cmd_migrate)

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
    sources.set_defaults(handler=cmd_sources)

    worker = commands.add_parser("worker", help="run jobs from Redis (RQ) and the scheduler")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.add_argument(
        "--metrics-port",
        type=int,
        help="serve /metrics on this port (default: SWITCHBOARD_WORKER_METRICS_PORT, else none)",
    )
    worker.set_defaults(handler=cmd_worker)

    prune_cmd = commands.add_parser(
        "prune", help="delete events and attempts older than their retention, now"
    )
    prune_cmd.add_argument(
        "--events",
        type=_days,
        metavar="DAYS",
        help="events older than DAYS (default: SWITCHBOARD_EVENT_RETENTION_DAYS; 0 keeps all)",
    )
    prune_cmd.add_argument(
        "--attempts",
        type=_days,
        metavar="DAYS",
        help="attempts older than DAYS (default: SWITCHBOARD_ATTEMPT_RETENTION_DAYS; 0 keeps all)",
    )
    prune_cmd.add_argument("--json", action="store_true")
    prune_cmd.set_defaults(handler=cmd_prune)

    destinations = commands.add_parser("destinations", help="manage destinations")
    dest_actions = destinations.add_subparsers(dest="action", required=True)
    types = dest_actions.add_parser("types", help="list the destination types")
    types.add_argument("--json", action="store_true")
    dest_list = dest_actions.add_parser("list", help="list destinations")
    dest_list.add_argument("--json", action="store_true")
    dest_create = dest_actions.add_parser("create", help="create a destination")
    dest_create.add_argument("--type", required=True)
    dest_create.add_argument("--name", required=True)
    dest_create.add_argument(
        "--source", type=int, action="append", help="source id to connect (repeatable)"
    )
    dest_create.add_argument("--settings", default="{}", help="the settings as JSON")
    dest_create.add_argument("--json", action="store_true")
    destinations.set_defaults(handler=cmd_destinations)

    replay = commands.add_parser("replay", help="send failed (or all) deliveries again")
    replay.add_argument("--destination", type=int, required=True)
    replay.add_argument("--status", choices=["failed", "all"], default="failed")
    replay.add_argument("--since", type=_when)
    replay.add_argument("--until", type=_when)
    replay.add_argument("--json", action="store_true")
    replay.set_defaults(handler=cmd_replay)

    users = commands.add_parser("users", help="manage dashboard logins")
    user_actions = users.add_subparsers(dest="action", required=True)
    user_create = user_actions.add_parser(
        "create", help="add a dashboard user and print a password for them"
    )
    user_create.add_argument("email")
    user_create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of generating one",
    )
    user_create.add_argument("--json", action="store_true")
    user_password = user_actions.add_parser(
        "set-password", help="give a user a new password (ends their sessions)"
    )
    user_password.add_argument("email")
    user_password.add_argument("--password-stdin", action="store_true")
    user_password.add_argument("--json", action="store_true")
    user_list = user_actions.add_parser("list", help="list dashboard users")
    user_list.add_argument("--json", action="store_true")
    users.set_defaults(handler=cmd_users)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    code: int = args.handler(args, settings)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
