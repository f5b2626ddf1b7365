"""Run the real app under uvicorn on a loopback port, in a thread, for one test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from switchboard.app import Switchboard, create_app
from switchboard.settings import Settings


@dataclass
class RunningServer:
    url: str
    app: Switchboard
    settings: Settings


@contextmanager
def running_server(settings: Settings) -> Iterator[RunningServer]:
    """Serve `create_app(settings)` on 127.0.0.1:<free port> until the block ends."""
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", access_log=False, proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield RunningServer(url=f"http://127.0.0.1:{port}", app=app, settings=settings)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
