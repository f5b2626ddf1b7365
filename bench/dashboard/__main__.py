"""Run the dashboard benchmark: `python -m bench.dashboard [--sizes 100000,1000000]`.

For each size, a fresh Postgres database is migrated and seeded (`seed.py`), a real
`switchboard serve` is started on it, and each request below is timed `--repeat` times
over loopback after `--warmup` unmeasured ones: the admin API's data (the debugger's event
list and searches, the schema, event delivery for every window) and, when the dashboard is
installed, its pages and the debugger's live stream (time to its first message, the backlog).
The times are measured at the client on loopback, so they include one HTTP round trip.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Final
from urllib.parse import quote, urlencode

import httpx
import psycopg
from sqlalchemy.engine import make_url

from bench.dashboard.seed import USERS, seed
from bench.dashboard.timing import Timed, time_first_message, time_get
from bench.e2e.stack import switchboard_bin
from bench.ingest.servers import Server, free_port
from switchboard.db.migrate import upgrade

DEFAULT_URL: Final = "postgresql+psycopg://postgres@127.0.0.1:5432/sb_bench4"
TARGET_MS: Final = 300.0
MAX_GROWTH: Final = 2.0
EMAIL: Final = "bench@example.com"


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _fresh_database(url: str) -> None:
    parsed = make_url(url)
    maintenance = _libpq(parsed.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parsed.database}"')


def _create_user(url: str, password: str) -> None:
    from switchboard.db.engine import make_engine, make_sessionmaker
    from switchboard.users.service import create_user

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            create_user(session, EMAIL, password)
            session.commit()
    finally:
        engine.dispose()


def _login(client: httpx.Client, password: str) -> bool:
    """Log the client in to the dashboard; False when the dashboard is not installed."""
    form = client.get("/login")
    if form.status_code != 200:
        return False
    match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if match is None:
        return False
    answer = client.post(
        "/login",
        data={"email": EMAIL, "password": password, "csrf_token": match.group(1), "next": "/"},
    )
    return answer.status_code == 303


def _requests(source: int, destination: int, events: int) -> list[tuple[str, str]]:
    """(name, path) of every admin API request timed."""
    old = events // 2  # an event from a week ago: found only through an index
    order = quote("track:Order Completed")
    api = [
        ("events: newest 50", f"/api/v1/events?source_id={source}&limit=50"),
        (
            "events: event name",
            f"/api/v1/events?source_id={source}&limit=50&event={quote('Order Completed')}",
        ),
        ("events: userId", f"/api/v1/events?source_id={source}&limit=50&user_id=u{old % USERS}"),
        ("events: anonymousId", f"/api/v1/events?source_id={source}&limit=50&user_id=a{old}"),
        ("events: free text q (newest 5,000)", f"/api/v1/events?source_id={source}&q=WELCOME"),
        ("schema: 7 days", f"/api/v1/sources/{source}/schema?days=7"),
        ("schema: 30 days", f"/api/v1/sources/{source}/schema?days=30"),
        ("schema: one event, 30 days", f"/api/v1/sources/{source}/schema/events/{order}?days=30"),
    ]
    for window in ("10m", "1h", "24h", "7d", "14d"):
        api.append(
            (f"delivery: {window}", f"/api/v1/destinations/{destination}/insights?window={window}")
        )
    return api


def _pages(source: int, destination: int, events: int) -> list[tuple[str, str, bool]]:
    """(name, path, is a stream) of every dashboard page timed."""
    old = events // 2
    stream = f"/sources/{source}/debugger/stream"
    key = urlencode({"key": "track:Order Completed", "days": 30})
    return [
        ("page: sources", "/sources", False),
        ("page: debugger", f"/sources/{source}/debugger", False),
        ("stream: debugger backlog", stream, True),
        ("stream: search event name", f"{stream}?q={quote('Order Completed')}", True),
        ("stream: search userId", f"{stream}?q=u{old % USERS}", True),
        ("stream: search anonymousId", f"{stream}?q=a{old}", True),
        ("stream: search messageId", f"{stream}?q=bench-{old}", True),
        ("stream: search free text", f"{stream}?q=WELCOME", True),
        ("page: schema, 30 days", f"/sources/{source}/schema?days=30", False),
        ("page: schema event, 30 days", f"/sources/{source}/schema/event?{key}", False),
        ("page: delivery 24h", f"/destinations/{destination}/delivery?window=24h", False),
        ("page: delivery 14d", f"/destinations/{destination}/delivery?window=14d", False),
    ]


def run_size(url: str, events: int, repeat: int, warmup: int, workdir: Path) -> list[Timed]:
    print(f"== {events:,} events: fresh database, migrate, seed", flush=True)
    _fresh_database(url)
    upgrade(url)
    password = secrets.token_urlsafe(16)
    _create_user(url, password)
    token = secrets.token_urlsafe(24)
    port = free_port()
    env = {
        "SWITCHBOARD_DATABASE_URL": url,
        "SWITCHBOARD_ADMIN_TOKEN": token,
        "SWITCHBOARD_SECRET_KEY": secrets.token_urlsafe(32),
        "SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS": "true",
    }
    argv = [switchboard_bin(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = Server("serve", argv, port=port, log_path=workdir / f"serve-{events}.log", env=env)
    with server, httpx.Client(base_url=server.url, timeout=60) as client:
        admin = {"Authorization": f"Bearer {token}"}
        source = client.post("/api/v1/sources", json={"name": "Web"}, headers=admin).json()
        destination = client.post(
            "/api/v1/destinations",
            headers=admin,
            json={
                "name": "Warehouse hook",
                "type": "webhook",
                "source_ids": [source["id"]],
                "settings": {"urls": ["http://127.0.0.1:9/hook"]},
            },
        ).json()
        with psycopg.connect(_libpq(url), autocommit=True) as conn:
            seed(conn, source_id=source["id"], destination_id=destination["id"], events=events)
        print("  timing", flush=True)
        with httpx.Client(base_url=server.url, timeout=60, headers=admin) as api:
            results = [
                time_get(api, name, path, repeat=repeat, warmup=warmup)
                for name, path in _requests(source["id"], destination["id"], events)
            ]
        if _login(client, password):
            for name, path, streamed in _pages(source["id"], destination["id"], events):
                timer = time_first_message if streamed else time_get
                try:
                    results.append(timer(client, name, path, repeat=repeat, warmup=warmup))
                except RuntimeError as exc:  # a page that failed: report it, time the rest
                    results.append(Timed(name, path, 0.0, 0.0, 0, 0, str(exc)))
        else:
            print("  (no dashboard login page: pages not timed)", flush=True)
    return results


def _table(sizes: Sequence[int], by_size: dict[int, list[Timed]]) -> str:
    header = "| request | " + " | ".join(f"{s:,} median / p95 ms" for s in sizes)
    lines = [header + " | growth (median) | ≤ 300 ms at the largest |", ""]
    lines[1] = "|---|" + "---:|" * len(sizes) + "---:|---|"
    first, last = by_size[sizes[0]], by_size[sizes[-1]]
    for index, timed in enumerate(first):
        cells = [
            f"{by_size[s][index].median_ms:.1f} / {by_size[s][index].p95_ms:.1f}" for s in sizes
        ]
        growth = last[index].median_ms / timed.median_ms if timed.median_ms else 0.0
        verdict = "PASS" if last[index].p95_ms <= TARGET_MS else "FAIL"
        if any(by_size[s][index].error for s in sizes):
            verdict = "ERROR: " + "; ".join(str(by_size[s][index].error) for s in sizes)
        if len(sizes) > 1 and growth >= MAX_GROWTH:
            verdict += " (growth FAIL)"
        lines.append(f"| {timed.name} | " + " | ".join(cells) + f" | {growth:.2f}x | {verdict} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and re-created")
    parser.add_argument("--sizes", default="100000,1000000", help="stored events per run")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    if not sizes or any(not 1_000 <= s <= 10_000_000 for s in sizes):
        parser.error("--sizes: 1,000 to 10,000,000 events each")
    by_size: dict[int, list[Timed]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    print(f"server logs in {workdir}", flush=True)
    for size in sizes:
        by_size[size] = run_size(
            args.database_url, size, max(1, args.repeat), max(0, args.warmup), workdir
        )
        print(_table([size], by_size), flush=True)
        if args.json:
            done = [s for s in sizes if s in by_size]
            args.json.write_text(
                json.dumps({str(s): [asdict(t) for t in by_size[s]] for s in done}, indent=2)
            )
    print(_table(sizes, by_size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
