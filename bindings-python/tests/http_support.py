"""What the tests of WSGI servers (gunicorn, uWSGI) share: a free port, a GET
that answers JSON, and waiting for the server to answer."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int) -> dict:  # type: ignore[type-arg]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/")
        return json.loads(conn.getresponse().read())  # type: ignore[no-any-return]
    finally:
        conn.close()


def wait_up(port: int, server: "subprocess.Popen[str]", name: str, seconds: float = 30) -> None:
    """Until the server answers on ``port`` (it must not exit meanwhile)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            get(port)
            return
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None, f"{name} did not start"
            time.sleep(0.1)
