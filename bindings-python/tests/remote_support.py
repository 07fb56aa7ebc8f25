"""What the thin-client tests share: the real idloom-server, started on a
free port over the test Redis with names of its own; and a scripted HTTP
peer, for the answers the server never gives (malformed ones, a connection
dropped, silence)."""

from __future__ import annotations

import http.server
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import threading
import uuid
from typing import Callable, List, Optional, Sequence, Tuple

from stores_support import REDIS

ROOT = pathlib.Path(__file__).resolve().parents[2]


def server_bin() -> str:
    """``IDLOOM_SERVER_BIN``, else cargo's release build of idloom-server,
    built now if missing: a test without the server fails, never skips."""
    given = os.environ.get("IDLOOM_SERVER_BIN")
    if given:
        return given
    built = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "idloom-server"
    if not built.exists():
        r = subprocess.run(["cargo", "build", "-q", "--locked", "-p", "idloom-server", "--release"], cwd=ROOT,
                           capture_output=True, text=True, timeout=3600)
        assert r.returncode == 0, f"cargo build -p idloom-server --release failed:\n{r.stderr}"
    return str(built)


def unique(prefix: str) -> str:
    """A name no other run uses (a tag, a namespace)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Server:
    """idloom-server on 127.0.0.1 (a free port: it prints the one it bound)
    over the test Redis, in a namespace of its own, serving ``tags``;
    ``tokens`` maps a tag to its secret. ``with Server(...) as s:`` serves
    on ``s.url``; leaving stops it with SIGTERM."""

    def __init__(self, tags: Sequence[str], tokens: Optional[dict] = None, *, store: str = REDIS) -> None:  # type: ignore[type-arg]
        args = [server_bin(), "--listen", "127.0.0.1:0", "--store", store, "--namespace", unique("remote-ns"),
                "--nodes", "64", "--fresh"]
        for tag in tags:
            args += ["--segment", tag]
        for tag, secret in (tokens or {}).items():
            args += ["--token", f"{tag}={secret}"]
        self._log = tempfile.TemporaryFile("w+")  # its stderr: read on failure, never a pipe left full
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log, text=True,
                                        env={**os.environ, "IDLOOM_LOG": "warn"})
        assert self.process.stdout is not None
        first = self.process.stdout.readline()  # "listening on ADDRESS", or nothing if it exited
        if not first.startswith("listening on "):
            self.stop()
            raise AssertionError(f"idloom-server did not start ({' '.join(args[1:])}): {first}{self.log()}")
        self.url = f"http://{first.split()[-1]}"

    def log(self) -> str:
        """What it wrote on stderr so far."""
        self._log.seek(0)
        return self._log.read()

    def __enter__(self) -> "Server":
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __exit__(self, *exc: object) -> None:
        self.stop()

# (status, body, close the connection after answering)
Answer = Tuple[int, bytes, bool]


class Peer:
    """An HTTP/1.1 server on 127.0.0.1 answering each request with
    ``answer(path, headers)``; it records every request line and counts
    connections. ``with Peer(...) as peer:`` serves on ``peer.url``."""

    def __init__(self, answer: Callable[[str, dict], Answer]) -> None:  # type: ignore[type-arg]
        self.requests: List[Tuple[str, str, dict]] = []  # type: ignore[type-arg]
        self.connections = 0
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive unless an answer closes
            disable_nagle_algorithm = True  # the head and the body are two writes: no delayed-ACK stall between them

            def setup(self) -> None:
                super().setup()
                peer.connections += 1

            def do_POST(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                peer.requests.append(("POST", self.path, headers))
                status, body, close = answer(self.path, headers)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                if close:  # without "Connection: close": the client learns when it sends again
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "Peer":
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Silent:
    """A listening socket that accepts and never answers (a paused server)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> "Silent":
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.close()


def closed_port_url() -> str:
    """A URL on a port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"
