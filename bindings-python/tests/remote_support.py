"""What the thin-client tests share: a scripted HTTP peer, for the answers
idloom-server never gives (malformed ones, a connection dropped, silence)."""

from __future__ import annotations

import http.server
import socket
import threading
from typing import Callable, List, Tuple

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
