"""Slow and endless request bodies against a real `switchboard serve`: each is cut off by the
size cap or the body timeout, and meanwhile everyone else is served as usual."""

from __future__ import annotations

import base64
import select
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.hardening.processes import Stack, base_env, running_stack

#: Real sockets: bodies that trickle in over loopback.
pytestmark = pytest.mark.system

TIMEOUT = 1.0  # SWITCHBOARD_INGEST_BODY_TIMEOUT_SECONDS for this server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("slow")
    shutil.copy(sqlite_template, workdir / "db.sqlite")
    env = base_env(
        f"sqlite:///{workdir / 'db.sqlite'}",
        None,
        SWITCHBOARD_INGEST_BODY_TIMEOUT_SECONDS=str(TIMEOUT),
    )
    with running_stack(env, workdir) as running:
        yield running


@pytest.fixture(scope="module")
def write_key(stack: Stack) -> str:
    return str(stack.source()["write_key"])


def _open(stack: Stack, path: str, write_key: str, framing: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", stack.port), timeout=10)
    auth = base64.b64encode(f"{write_key}:".encode())
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\n".encode()
        + b"Authorization: Basic "
        + auth
        + b"\r\nContent-Type: application/json\r\n"
        + framing
        + b"\r\n"
    )
    return sock


def _answer(sock: socket.socket) -> bytes:
    """What the server has sent so far (b"" if nothing); b"closed" once it has closed."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return b""
    try:
        data = sock.recv(65536)
    except ConnectionResetError:
        return b"closed"
    return data or b"closed"


def _complete(sock: socket.socket, data: bytes) -> bytes:
    """`data` and the rest of that answer: its body may come in a later segment."""
    sock.settimeout(5)
    while b"\r\n\r\n" in data or data == b"":
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        if data and len(body) >= length:
            return data
        try:
            more = sock.recv(65536)
        except (OSError, TimeoutError):
            return data
        if not more:
            return data
        data += more
    return data


def _trickle(sock: socket.socket, piece: bytes, every: float, limit: float) -> tuple[bytes, float]:
    """Send `piece` every `every` seconds until the server answers; (answer, seconds taken)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        answer = _answer(sock)
        if answer:
            return answer, time.monotonic() - started
        try:
            sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            return b"closed", time.monotonic() - started
        time.sleep(every)
    return b"", time.monotonic() - started


def _served_meanwhile(stack: Stack, write_key: str, stop: threading.Event) -> list[float]:
    """Latencies of ordinary requests sent while the attack runs."""
    latencies: list[float] = []
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            started = time.monotonic()
            response = client.post(
                stack.url + "/v1/track",
                json={"userId": "u", "event": "E"},
                auth=(write_key, ""),
            )
            assert response.status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)
    return latencies


def test_slowloris_bodies_are_cut_off_and_others_are_served(stack: Stack, write_key: str) -> None:
    sockets = [
        _open(stack, "/v1/batch", write_key, b"Content-Length: 100000\r\n") for _ in range(50)
    ]
    stop = threading.Event()
    latencies: list[float] = []
    meanwhile = threading.Thread(
        target=lambda: latencies.extend(_served_meanwhile(stack, write_key, stop))
    )
    meanwhile.start()
    try:
        answers = []
        started = time.monotonic()
        while sockets and time.monotonic() - started < TIMEOUT + 10:
            for sock in list(sockets):
                answer = _answer(sock)
                if answer:
                    answers.append((_complete(sock, answer), time.monotonic() - started))
                    sockets.remove(sock)
                    sock.close()
                else:
                    sock.sendall(b" ")  # one byte at a time, far below any useful rate
            time.sleep(0.2)
    finally:
        stop.set()
        meanwhile.join(10)
        for sock in sockets:
            sock.close()
    assert len(answers) == 50, f"{50 - len(answers)} slow bodies were still open"
    assert all(a.startswith(b"HTTP/1.1 408") for a, _ in answers), answers[0]
    assert b"request_timeout" in answers[0][0]
    assert max(t for _, t in answers) < TIMEOUT + 3
    assert latencies, "no ordinary request completed during the attack"
    assert max(latencies) < 2.0, f"ordinary requests slowed to {max(latencies):.2f} s"


def test_a_chunked_body_that_never_ends_is_refused_at_the_size_cap(
    stack: Stack, write_key: str
) -> None:
    sock = _open(stack, "/v1/batch", write_key, b"Transfer-Encoding: chunked\r\n")
    piece = b"10000\r\n" + b" " * 0x10000 + b"\r\n"  # 64 KiB chunks, as fast as it goes
    sent = 0
    answer = b""
    try:
        while sent < 20 * 2**20 and not answer:
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                answer = b"closed"
                break
            sent += len(piece)
            answer = _answer(sock)
        if answer != b"closed":
            answer = _complete(sock, answer)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"payload_too_large" in answer
    # The client stuffs the kernel's socket buffers (several MB on loopback) before it sees
    # the answer; without the cap there would be no answer at all within the 20 MB sent.
    assert sent < 16 * 2**20, f"{sent} bytes were sent before the refusal"


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/m"])
def test_a_slow_chunked_body_that_never_ends_is_cut_off_by_time(
    stack: Stack, write_key: str, path: str
) -> None:
    sock = _open(stack, path, write_key, b"Transfer-Encoding: chunked\r\n")
    try:
        answer, took = _trickle(sock, b"400\r\n" + b" " * 0x400 + b"\r\n", 0.05, TIMEOUT + 10)
    finally:
        sock.close()
    # Telemetry is always answered 200, but it too is read for no longer than the limit.
    expected = b"HTTP/1.1 200" if path == "/v1/m" else b"HTTP/1.1 408"
    assert answer.startswith(expected), answer[:200]
    assert took < TIMEOUT + 3
