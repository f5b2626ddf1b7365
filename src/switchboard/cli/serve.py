"""`switchboard serve`: the HTTP server (tracking API, admin API, dashboard) under uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Final

from switchboard.cli.output import Commands
from switchboard.settings import Settings

#: prometheus-client's multiprocess switch (see switchboard.observability.exposition).
_MULTIPROC: Final = "PROMETHEUS_MULTIPROC_DIR"


def register(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="run the HTTP server (tracking API + admin)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes")
    serve.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from switchboard.bootstrap import first_start, first_user
    from switchboard.db.engine import make_engine, make_sessionmaker
    from switchboard.db.migrate import is_current
    from switchboard.observability.logging import logging_config

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
