"""A thin client of idloom-server: segment ranges leased over HTTP, for a
service that shares an idloom-server instead of running a store driver.

``RemoteSource`` is a segment source (``source(step) -> (start, end)``) for
``Segment``; ``AsyncRemoteSource`` the same for asyncio's
``idloom.stores.AsyncSegment``. Each call is one
``POST {url}/v1/segment/{tag}/lease?step=N`` (the token in
``Authorization: Bearer``), answered ``{"start": "S", "end": "E"}``: the
counters ``[S, E)``, decimal strings, ``E - S == N``. A refusal is
``{"code": …, "message": …}`` and is raised as that code's class with the
server's message (``UnauthorizedError``, ``NotFoundError``,
``InvalidArgumentError``, ``StoreUnavailableError``, …); no answer, a
timeout, or an answer outside this contract is ``StoreUnavailableError``.

Standard library only (``http.client``, imported on first use): one
keep-alive connection per source, used by one call at a time.
"""

from __future__ import annotations

import math
import os
import threading
from typing import TYPE_CHECKING, Any, Optional, Tuple

from ._errors import BY_CODE, IdloomError
from ._idloom import _check_arg, _check_input

if TYPE_CHECKING:
    import http.client

__all__ = ["AsyncRemoteSource", "RemoteSource"]

#: The longest answer read (a range or an error is a few hundred bytes).
MAX_ANSWER_BYTES = 64 * 1024
#: The longest token accepted (a header value; servers cap theirs far below).
MAX_TOKEN = 4096
#: The longest timeout, in seconds (the core's longest store timeout, ``timeout_ms``).
MAX_TIMEOUT_S = 86_400
_U64_MAX = (1 << 64) - 1
# json, urllib.parse and http.client are imported on first use: importing idloom stays as quick as it was.


def _error(code: str, message: str) -> IdloomError:
    return BY_CODE[code](message, code)


def _check_url(url: Any) -> Tuple[str, str, Optional[int], str]:
    """``(scheme, host, port, base path)`` of a server's base URL. Nothing
    that could hold a secret (credentials, a query) is echoed in a refusal."""
    from urllib.parse import urlsplit

    if not isinstance(url, str):
        raise _error("invalid_type", f"url must be a str, got {type(url).__name__}")
    if not url.isascii() or any(c <= " " or c == "\x7f" for c in url):
        raise _error("invalid_argument", "url must be ASCII without spaces or control characters (percent-encode the path)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise _error("invalid_argument", f"url must be http://host[:port][/path] or https://…: {e}") from None
    if parts.username is not None or parts.password is not None:
        raise _error("invalid_argument", "url must not hold credentials (pass token=)")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise _error("invalid_argument", "url must not have a query or a fragment (pass token=; the path is the client's)")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _error("invalid_argument", f"url must be http://host[:port][/path] or https://…, got {url!r}")
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


def _check_tag(tag: Any) -> str:
    """The core's ``biz_tag`` rules (the server's), the refusal naming ``tag``."""
    if not isinstance(tag, str):
        raise _error("invalid_type", f"tag must be a str, got {type(tag).__name__}")
    try:
        return _check_input("biz_tag", tag)
    except IdloomError as e:
        text = str(e)
        raise _error(e.code, "tag" + text[len("biz_tag"):] if text.startswith("biz_tag") else f"tag: {text}") from None


def _check_token(token: Any) -> Optional[str]:
    """A bearer token: printable ASCII without spaces (a header value). Its
    text is never shown, only its length or the position of what is wrong."""
    if token is None:
        return None
    if not isinstance(token, str):
        raise _error("invalid_type", f"token must be a str or None, got {type(token).__name__}")
    rule = f"token must be 1 to {MAX_TOKEN} characters of printable ASCII without spaces (! to ~)"
    if not 1 <= len(token) <= MAX_TOKEN:
        raise _error("invalid_argument", f"{rule}, got {len(token)} characters")
    for i, c in enumerate(token):
        if not "!" <= c <= "~":
            raise _error("invalid_argument", f"{rule}, got another character at character {i}")
    return token


def _check_timeout(timeout: Any) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise _error("invalid_type", f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT_S):
        raise _error("invalid_argument", f"timeout must be seconds in (0, {MAX_TIMEOUT_S}], got {timeout}")
    return float(timeout)


def _counter(answer: Any, key: str) -> int:
    """``answer[key]``, a u64 as a decimal string (ASCII digits only: ``int()``
    alone would take ``" 1_0"`` or other scripts' digits)."""
    value = answer.get(key)
    if not (isinstance(value, str) and 1 <= len(value) <= 20 and value.isascii() and value.isdigit() and int(value) <= _U64_MAX):
        raise ValueError(f"{key} must be a decimal string of a u64, got {value!r:.40}")
    return int(value)


class RemoteSource:
    """``source(step) -> (start, end)`` leased from idloom-server's
    ``POST {url}/v1/segment/{tag}/lease?step=N``, for ``Segment`` (which
    refills it in a background thread). ``url`` is the server's base URL
    (``http://host:port``, or ``https://`` with the system's CAs, a path
    prefix allowed); ``tag`` the segment's tag, by the core's ``biz_tag``
    rules, percent-encoded into the path; ``token`` sent as
    ``Authorization: Bearer``; ``timeout`` bounds each wait, in seconds
    (connecting, sending, each read of the answer).

    One keep-alive connection, one call at a time (thread-safe). A call that
    finds the kept connection closed by the server (its idle timeout)
    reconnects once; that repeat may cost the range the first request
    leased, a gap in the IDs, never a repeat. After ``os.fork()`` the child
    opens a connection of its own.
    """

    #: ``Segment`` refills from a remote source in a background thread by default.
    background_refill = True

    def __init__(self, url: str, tag: str, *, token: Optional[str] = None, timeout: float = 5.0) -> None:
        self._scheme, self._host, self._port, base = _check_url(url)
        #: The segment's tag (names the ``Segment``'s events, as a store source's).
        self.biz_tag: str = _check_tag(tag)
        self._token = _check_token(token)
        #: Seconds each network wait may take.
        self.timeout: float = _check_timeout(timeout)
        #: The server's base URL.
        self.url: str = url
        from urllib.parse import quote

        self._path = f"{base}/v1/segment/{quote(self.biz_tag, safe='')}/lease"
        self._headers = {"Accept": "application/json"}
        if self._token is not None:
            self._headers["Authorization"] = f"Bearer {self._token}"
        self._lock = threading.Lock()
        self._conn: Optional["http.client.HTTPConnection"] = None
        self._pid = os.getpid()

    def __repr__(self) -> str:
        token = ", token=<secret>" if self._token is not None else ""
        return f"RemoteSource({self.url!r}, {self.biz_tag!r}{token}, timeout={self.timeout})"

    def __call__(self, step: int) -> Tuple[int, int]:
        step = _check_arg("step", step)
        if self._pid != os.getpid():
            # The parent's connection and lock are the parent's: this child uses its own.
            self._lock, self._conn, self._pid = threading.Lock(), None, os.getpid()
        with self._lock:
            status, body = self._exchange(step)
        return self._read(step, status, body)

    def close(self) -> None:
        """Close the kept connection (the next call opens another)."""
        with self._lock:
            self._drop()

    def _unavailable(self, what: str) -> IdloomError:
        return _error("store_unavailable", f"idloom-server {self.url} (tag {self.biz_tag}): {what}")

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> "http.client.HTTPConnection":
        if self._conn is None:
            import http.client

            if self._scheme == "https":
                import ssl

                self._conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout,
                                                         context=ssl.create_default_context())
            else:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        return self._conn

    def _exchange(self, step: int) -> Tuple[int, bytes]:
        """The answer's status and body (under the lock)."""
        import http.client

        conn = self._connection()
        kept = conn.sock is not None  # open since an earlier call: the server may have closed it meanwhile
        dropped = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
        try:
            return self._roundtrip(conn, step)
        except dropped as e:
            if not kept:
                raise self._no_answer(e) from None
            self._drop()
        except (OSError, http.client.HTTPException) as e:
            raise self._no_answer(e) from None
        try:  # the kept connection had been closed: once more, on a new one
            return self._roundtrip(self._connection(), step)
        except (OSError, http.client.HTTPException) as e:
            raise self._no_answer(e) from None

    def _no_answer(self, e: Exception) -> IdloomError:
        import socket

        self._drop()
        if isinstance(e, (TimeoutError, socket.timeout)):  # socket.timeout is TimeoutError from Python 3.10
            return self._unavailable(f"no answer within {self.timeout:g} s (timeout)")
        return self._unavailable(f"no answer: {type(e).__name__}: {e}")

    def _roundtrip(self, conn: "http.client.HTTPConnection", step: int) -> Tuple[int, bytes]:
        conn.request("POST", f"{self._path}?step={step}", headers=self._headers)
        response = conn.getresponse()
        body = response.read(MAX_ANSWER_BYTES + 1)
        if len(body) > MAX_ANSWER_BYTES:
            self._drop()  # the rest is unread: the connection cannot carry another request
            raise self._unavailable(f"a malformed answer: HTTP {response.status} with a body over {MAX_ANSWER_BYTES} bytes")
        return response.status, body

    def _read(self, step: int, status: int, body: bytes) -> Tuple[int, int]:
        import json

        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if status != 200:
            code = answer.get("code") if isinstance(answer, dict) else None
            message = answer.get("message") if isinstance(answer, dict) else None
            if isinstance(code, str) and code in BY_CODE and isinstance(message, str):
                raise _error(code, message)
            raise self._unavailable(f"HTTP {status} without an idloom error: {body[:200]!r}")
        try:
            if not isinstance(answer, dict):
                raise ValueError(f"the body is not a JSON object: {body[:200]!r}")
            start, end = _counter(answer, "start"), _counter(answer, "end")
            if end - start != step:
                raise ValueError(f"the range [{start}, {end}) is not the {step} counters asked for")
        except ValueError as e:
            raise self._unavailable(f"a malformed answer: {e}") from None
        return (start, end)


class AsyncRemoteSource:
    """``await source(step) -> (start, end)``: ``RemoteSource`` for asyncio's
    ``idloom.stores.AsyncSegment``, with the same arguments, checks and
    errors. Each call runs the blocking client in ``asyncio.to_thread`` (the
    default executor), so the event loop never waits on the network and no
    HTTP dependency is added; calls take turns on the one kept connection."""

    def __init__(self, url: str, tag: str, *, token: Optional[str] = None, timeout: float = 5.0) -> None:
        self._source = RemoteSource(url, tag, token=token, timeout=timeout)
        #: The segment's tag (names the ``AsyncSegment``'s events).
        self.biz_tag: str = self._source.biz_tag
        #: The server's base URL.
        self.url: str = self._source.url
        #: Seconds each network wait may take.
        self.timeout: float = self._source.timeout

    def __repr__(self) -> str:
        return "Async" + repr(self._source)

    async def __call__(self, step: int) -> Tuple[int, int]:
        import asyncio

        return await asyncio.to_thread(self._source, _check_arg("step", step))

    def close(self) -> None:
        """Close the kept connection (the next call opens another)."""
        self._source.close()
