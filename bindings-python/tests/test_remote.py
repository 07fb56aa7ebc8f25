"""The thin client of idloom-server (idloom.RemoteSource, AsyncRemoteSource):
its argument checks, and what it makes of every kind of answer — against a
scripted peer for the answers the server never gives (malformed, dropped,
silent)."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time

import pytest

import idloom
from idloom.stores import AsyncSegment
from remote_support import Peer, Server, Silent, closed_port_url, unique

SECRET = "s3cret-Token_value"


def lease_answer(path: str, headers: dict) -> tuple:  # type: ignore[type-arg]
    """A well-formed answer: [step × 1000, step × 1001) for the asked step."""
    step = int(path.rsplit("step=", 1)[1])
    return (200, json.dumps({"start": str(step * 1000), "end": str(step * 1001)}).encode(), False)


class Counter:
    """Well-formed answers from one counter: each range after the last."""

    def __init__(self, start: int) -> None:
        self.next = start
        self._lock = threading.Lock()

    def __call__(self, path: str, headers: dict) -> tuple:  # type: ignore[type-arg]
        step = int(path.rsplit("step=", 1)[1])
        with self._lock:
            start, self.next = self.next, self.next + step
        return (200, json.dumps({"start": str(start), "end": str(start + step)}).encode(), False)


# --- arguments, checked before anything is sent


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        (None, "invalid_type", "url must be a str"),
        (b"http://127.0.0.1", "invalid_type", "url must be a str"),
        ("127.0.0.1:8080", "invalid_argument", "url must be http://"),
        ("ftp://127.0.0.1", "invalid_argument", "url must be http://"),
        ("http://", "invalid_argument", "url must be http://"),
        ("http://127.0.0.1:99999", "invalid_argument", "url must be http://"),
        ("http://127.0.0.1:port", "invalid_argument", "url must be http://"),
        ("http://[::1", "invalid_argument", "url must be http://"),
        ("http://127.0.0.1/a b", "invalid_argument", "without spaces"),
        ("http://127.0.0.1/\n", "invalid_argument", "control characters"),
        ("http://hôte.example", "invalid_argument", "url must be ASCII"),
        ("http://127.0.0.1/\ud800", "invalid_argument", "url must be ASCII"),
    ],
)
def test_url_is_checked(url, code, words):
    with pytest.raises(idloom.IdloomError, match=words) as e:
        idloom.RemoteSource(url, "orders")
    assert e.value.code == code


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"http://user:{SECRET}@127.0.0.1", "must not hold credentials"),
        (f"http://{SECRET}@127.0.0.1", "must not hold credentials"),
        (f"http://127.0.0.1/?token={SECRET}", "must not have a query"),
        (f"http://127.0.0.1/#{SECRET}", "must not have a query or a fragment"),
        ("http://127.0.0.1/?", "must not have a query"),
    ],
)
def test_a_url_that_could_hold_a_secret_is_refused_without_echoing_it(url, words):
    with pytest.raises(idloom.InvalidArgumentError, match=words) as e:
        idloom.RemoteSource(url, "orders")
    assert SECRET not in str(e.value)


@pytest.mark.parametrize(
    ("tag", "cls", "words"),
    [
        (None, idloom.InvalidTypeError, "tag must be a str, got NoneType"),
        (7, idloom.InvalidTypeError, "tag must be a str, got int"),
        ("", idloom.InvalidArgumentError, "tag must be 1 to 128 characters of A-Z a-z 0-9 _ . - :, got 0 characters"),
        ("t" * 129, idloom.InvalidArgumentError, "tag must be 1 to 128 characters .*, got 129 characters"),
        ("a/b", idloom.InvalidArgumentError, "tag must be .*, got U\\+002F at character 1"),
        ("a b", idloom.InvalidArgumentError, "tag must be .*, got U\\+0020 at character 1"),
        ("{x}", idloom.InvalidArgumentError, "tag must be .*, got U\\+007B at character 0"),
        ("é", idloom.InvalidArgumentError, "tag must be .*, got U\\+00E9 at character 0"),
    ],
)
def test_tag_follows_the_cores_biz_tag_rules_and_the_error_names_tag(tag, cls, words):
    with pytest.raises(cls, match=f"^{words}"):
        idloom.RemoteSource("http://127.0.0.1:1", tag)
    assert idloom.RemoteSource("http://127.0.0.1:1", "A-z_0.9:x" + "t" * 119).biz_tag.endswith("t")


@pytest.mark.parametrize(
    ("token", "cls", "words"),
    [
        (b"abc", idloom.InvalidTypeError, "token must be a str or None, got bytes"),
        (5, idloom.InvalidTypeError, "token must be a str or None, got int"),
        ("", idloom.InvalidArgumentError, "got 0 characters"),
        ("x" * 4097, idloom.InvalidArgumentError, "got 4097 characters"),
        ("ab cd", idloom.InvalidArgumentError, "at character 2"),
        ("ab\r\nX-Injected: 1", idloom.InvalidArgumentError, "at character 2"),
        ("tökén", idloom.InvalidArgumentError, "at character 1"),
    ],
)
def test_token_is_checked_and_never_shown(token, cls, words):
    with pytest.raises(cls, match=words) as e:
        idloom.RemoteSource("http://127.0.0.1:1", "orders", token=token)
    assert str(e.value).startswith("token must be")
    if isinstance(token, str) and len(token) > 3:
        assert token not in str(e.value)
    source = idloom.RemoteSource("http://127.0.0.1:1", "orders", token=SECRET)
    assert SECRET not in repr(source) and "token=<secret>" in repr(source)
    assert SECRET not in repr(idloom.AsyncRemoteSource("http://127.0.0.1:1", "orders", token=SECRET))


@pytest.mark.parametrize(
    ("timeout", "cls"),
    [
        (True, idloom.InvalidTypeError),
        ("5", idloom.InvalidTypeError),
        (None, idloom.InvalidTypeError),
        (0, idloom.InvalidArgumentError),
        (-1.0, idloom.InvalidArgumentError),
        (math.nan, idloom.InvalidArgumentError),
        (math.inf, idloom.InvalidArgumentError),
        (86_400.5, idloom.InvalidArgumentError),
    ],
)
def test_timeout_is_checked(timeout, cls):
    with pytest.raises(cls, match="^timeout must be"):
        idloom.RemoteSource("http://127.0.0.1:1", "orders", timeout=timeout)
    assert idloom.RemoteSource("http://127.0.0.1:1", "orders", timeout=86_400).timeout == 86_400.0


@pytest.mark.parametrize(("step", "cls"), [(0, idloom.InvalidArgumentError), (2**40 + 1, idloom.InvalidArgumentError),
                                           (True, idloom.InvalidTypeError), (1.0, idloom.InvalidTypeError)])
def test_step_is_the_cores_store_step_and_is_checked_before_sending(step, cls):
    with Peer(lease_answer) as peer:
        with pytest.raises(cls, match="^step must be"):
            idloom.RemoteSource(peer.url, "orders")(step)
        with pytest.raises(cls, match="^step must be"):
            asyncio.run(idloom.AsyncRemoteSource(peer.url, "orders")(step))
        assert peer.requests == []


def test_the_request_is_the_routes_contract():
    with Peer(lease_answer) as peer:
        source = idloom.RemoteSource(peer.url + "/prefix/", "billing:eu.v1-a_b", token=SECRET)
        assert source(10) == (10_000, 10_010)
        assert idloom.RemoteSource(peer.url, "orders")(1) == (1000, 1001)
    (method, path, headers), (_, plain_path, plain_headers) = peer.requests
    assert (method, path) == ("POST", "/prefix/v1/segment/billing%3Aeu.v1-a_b/lease?step=10")
    assert headers["authorization"] == f"Bearer {SECRET}" and headers["content-length"] == "0"
    assert plain_path == "/v1/segment/orders/lease?step=1" and "authorization" not in plain_headers


def test_one_keep_alive_connection_serves_every_call_and_threads_take_turns():
    with Peer(lease_answer) as peer:
        source = idloom.RemoteSource(peer.url, "orders")
        got = []
        threads = [threading.Thread(target=lambda: got.extend(source(5) for _ in range(20))) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got == [(5000, 5005)] * 80
        assert peer.connections == 1


def test_a_kept_connection_the_server_closed_is_opened_again_once():
    # The peer closes every connection after its answer, without saying so
    # (as a server's idle timeout does): every later call finds it closed.
    with Peer(lambda path, headers: (*lease_answer(path, headers)[:2], True)) as peer:
        source = idloom.RemoteSource(peer.url, "orders")
        for _ in range(3):
            time.sleep(0.05)  # the close has reached the client's socket
            assert source(2) == (2000, 2002)
        assert peer.connections == 3 and len(peer.requests) == 3


def test_a_server_that_drops_every_request_is_unavailable_after_one_new_connection():
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        accepted = []

        def drop() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                accepted.append(conn.recv(65536))  # the request, then the connection closes unanswered
                conn.close()

        threading.Thread(target=drop, daemon=True).start()
        source = idloom.RemoteSource(f"http://127.0.0.1:{listener.getsockname()[1]}", "orders")
        with pytest.raises(idloom.StoreUnavailableError, match=r"^idloom-server http://127\.0\.0\.1:\d+ \(tag orders\): no answer: RemoteDisconnected"):
            source(3)
        assert len(accepted) == 1  # a new connection's failure is not retried


def test_no_server_is_store_unavailable_at_once():
    url = closed_port_url()
    source = idloom.RemoteSource(url, "orders", timeout=5)
    t0 = time.monotonic()
    with pytest.raises(idloom.StoreUnavailableError, match=f"^idloom-server {url} \\(tag orders\\): no answer: ConnectionRefusedError"):
        source(10)
    assert time.monotonic() - t0 < 1
    with pytest.raises(idloom.StoreUnavailableError, match="ConnectionRefusedError"):
        asyncio.run(idloom.AsyncRemoteSource(url, "orders")(10))


def test_a_server_that_never_answers_is_store_unavailable_within_the_timeout():
    with Silent() as silent:
        source = idloom.RemoteSource(silent.url, "orders", timeout=0.3)
        t0 = time.monotonic()
        with pytest.raises(idloom.StoreUnavailableError, match=r"no answer within 0\.3 s \(timeout\)"):
            source(10)
        assert 0.25 < time.monotonic() - t0 < 1.5


MALFORMED = [
    (200, b"not json", "a malformed answer: the body is not a JSON object"),
    (200, b"[1, 2]", "a malformed answer: the body is not a JSON object"),
    (200, b'{"start": 1, "end": 11}', "a malformed answer: start must be a decimal string of a u64, got 1"),
    (200, b'{"start": "1"}', "a malformed answer: end must be a decimal string of a u64, got None"),
    (200, b'{"start": "-1", "end": "9"}', "start must be a decimal string"),
    (200, b'{"start": " 1", "end": "11"}', "start must be a decimal string"),
    (200, b'{"start": "1_0", "end": "20"}', "start must be a decimal string"),
    (200, '{"start": "١", "end": "11"}'.encode(), "start must be a decimal string"),  # an Arabic-Indic digit: int() would take it
    (200, b'{"start": "18446744073709551616", "end": "18446744073709551626"}', "start must be a decimal string of a u64"),
    (200, b'{"start": "5", "end": "10"}', r"a malformed answer: the range \[5, 10\) is not the 10 counters asked for"),
    (200, b'{"start": "10", "end": "0"}', r"the range \[10, 0\) is not the 10 counters"),
    (502, b"<html>Bad Gateway</html>", "HTTP 502 without an idloom error: b'<html>Bad Gateway</html>'"),
    (500, b'{"code": "no_such_code", "message": "x"}', "HTTP 500 without an idloom error"),
    (400, b'{"code": "invalid_argument"}', "HTTP 400 without an idloom error"),
    (200, b'{"start": "1", "end": "11", "pad": "' + b"x" * 70_000 + b'"}', "a malformed answer: HTTP 200 with a body over 65536 bytes"),
]


@pytest.mark.parametrize(("status", "body", "words"), MALFORMED)
def test_an_answer_outside_the_contract_is_store_unavailable_saying_what_was_wrong(status, body, words):
    with Peer(lambda path, headers: (status, body, False)) as peer:
        source = idloom.RemoteSource(peer.url, "orders")
        with pytest.raises(idloom.StoreUnavailableError, match=f"^idloom-server {peer.url} \\(tag orders\\): .*{words}"):
            source(10)
        with pytest.raises(idloom.StoreUnavailableError, match=words):
            source(10)  # the connection is still usable, or was replaced


def test_every_code_an_answer_names_is_raised_as_its_class_with_the_servers_message():
    codes = iter(idloom.BY_CODE)
    with Peer(lambda path, headers: (418, json.dumps({"code": code, "message": f"as said: {code}"}).encode(), False)) as peer:
        source = idloom.RemoteSource(peer.url, "orders")
        for code in codes:
            with pytest.raises(idloom.BY_CODE[code]) as e:
                source(10)
            assert (e.value.code, str(e.value)) == (code, f"as said: {code}")


def test_the_largest_counters_pass_exactly():
    top = 2**64 - 1
    with Peer(lambda path, headers: (200, json.dumps({"start": str(top - 7), "end": str(top)}).encode(), False)) as peer:
        assert idloom.RemoteSource(peer.url, "orders")(7) == (top - 7, top)


def test_close_ends_the_connection_and_the_next_call_opens_another():
    with Peer(lease_answer) as peer:
        source = idloom.RemoteSource(peer.url, "orders")
        source(1)
        source.close()
        source(1)
        assert peer.connections == 2


def test_a_forked_child_leases_on_a_connection_of_its_own():
    import os

    with Peer(Counter(1)) as peer:
        source = idloom.RemoteSource(peer.url, "orders")
        before = source(3)  # the parent's connection is open
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: a connection of its own (the parent's socket is the parent's)
            try:
                os.write(write, json.dumps(source(3)).encode())
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as r:
            child = tuple(json.loads(r.read()))
        assert os.waitpid(pid, 0)[1] == 0
        after = source(3)  # the parent's connection still serves the parent
        assert [before, child, after] == [(1, 4), (4, 7), (7, 10)]
        assert peer.connections == 2


def test_segment_events_name_the_tag():
    seen = []
    hook = idloom.events.add_hook(lambda name, facts: seen.append((name, facts.get("detail"))))
    try:
        with Peer(Counter(40)) as peer:
            ids = idloom.Segment(idloom.RemoteSource(peer.url, "named-tag"), step=4)
            assert ids.background  # a remote source refills in a background thread by default
            assert [ids.next() for _ in range(10)] == list(range(40, 50))
            ids.stats()
    finally:
        idloom.events.remove_hook(hook)
    assert ("segment_fetched", "named-tag") in seen


def test_async_source_serves_an_async_segment_off_the_event_loop():
    async def main(url: str) -> list:  # type: ignore[type-arg]
        source = idloom.AsyncRemoteSource(url, "orders", timeout=2)
        assert source.biz_tag == "orders" and source.url == url and source.timeout == 2.0
        ids = AsyncSegment(source, step=3)
        got = [await ids.next() for _ in range(5)]
        # The loop keeps running while a call waits on a silent server.
        with Silent() as silent:
            slow = idloom.AsyncRemoteSource(silent.url, "orders", timeout=0.5)
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            ticker = asyncio.ensure_future(tick())
            with pytest.raises(idloom.StoreUnavailableError, match="timeout"):
                await slow(3)
            ticker.cancel()
            assert ticks > 10
        source.close()
        return got

    with Peer(Counter(30)) as peer:
        got = asyncio.run(main(peer.url))
    assert got == [30, 31, 32, 33, 34]


# --- against the real idloom-server (over the test Redis, names of this run's own)


@pytest.fixture(scope="module")
def server():
    """One server for the tests that do not stop it: a tag with a token (its
    name has a ``:``, which the path percent-encodes) and an open one."""
    tag, open_tag = unique("remote:py"), unique("remote-open")
    with Server([tag, open_tag], {tag: SECRET}) as s:
        s.tag, s.open_tag = tag, open_tag
        yield s


def test_a_segment_over_a_remote_source_yields_unique_increasing_ids_across_refills(server):
    ids = idloom.Segment(idloom.RemoteSource(server.url, server.tag, token=SECRET), step=50)
    got = [ids.next() for _ in range(2_000)]
    assert all(a < b for a, b in zip(got, got[1:])), "strictly increasing"
    assert ids.stats()["segment_fetched"] >= 40  # 2,000 IDs in ranges of 50: refilled many times


def test_two_sources_never_share_a_range(server):
    # Two clients (two connections) leasing at once from one server, and a
    # second server on the same counter: every range is its own.
    with Server([server.tag], {server.tag: SECRET}) as other:
        sources = [idloom.RemoteSource(url, server.tag, token=SECRET) for url in (server.url, server.url, other.url)]
        ranges: list = []  # type: ignore[type-arg]

        def lease(source: idloom.RemoteSource) -> None:
            ranges.extend(source(7) for _ in range(100))

        threads = [threading.Thread(target=lease, args=(s,)) for s in sources]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(ranges) == 300 and all(end - start == 7 for start, end in ranges)
    ordered = sorted(ranges)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(ordered, ordered[1:])), "no two ranges overlap"


def test_a_wrong_or_missing_token_is_unauthorized(server):
    for token, words in [(None, "a token is required"), ("not-the-secret", "the token does not match")]:
        source = idloom.RemoteSource(server.url, server.tag, token=token)
        with pytest.raises(idloom.UnauthorizedError, match=words) as e:
            source(10)
        assert e.value.code == "unauthorized" and isinstance(e.value, RuntimeError)
        assert SECRET not in str(e.value)
        ids = idloom.Segment(source, step=10, timeout_ms=2_000)
        with pytest.raises(idloom.UnauthorizedError):  # the source's error, once memory is dry
            ids.next()
    assert idloom.RemoteSource(server.url, server.open_tag)(10)[1] > 0  # a tag without a token needs none


def test_an_unknown_tag_is_not_found(server):
    with pytest.raises(idloom.NotFoundError, match='biz_tag "no-such-tag" is not served here') as e:
        idloom.RemoteSource(server.url, "no-such-tag", token=SECRET)(10)
    assert e.value.code == "not_found" and isinstance(e.value, ValueError)


def test_a_bad_step_is_invalid_argument_as_the_server_says(server):
    import http.client

    with pytest.raises(idloom.InvalidArgumentError) as e:
        idloom.RemoteSource(server.url, server.open_tag)(0)
    # The client's check answers what the server does for the same request.
    conn = http.client.HTTPConnection(server.url.split("//")[1], timeout=5)
    conn.request("POST", f"/v1/segment/{server.open_tag}/lease?step=0")
    answer = conn.getresponse()
    assert answer.status == 400
    assert json.loads(answer.read()) == {"code": "invalid_argument", "message": str(e.value)}
    conn.close()


def test_a_server_that_is_gone_is_store_unavailable_within_the_timeout():
    import os
    import signal

    tag = unique("remote-gone")
    with Server([tag]) as s:
        source = idloom.RemoteSource(s.url, tag, timeout=0.5)
        assert source(5)[1] > 0  # the connection is kept open
        os.kill(s.process.pid, signal.SIGSTOP)  # paused: the connection accepts, nothing answers
        try:
            t0 = time.monotonic()
            with pytest.raises(idloom.StoreUnavailableError, match=r"no answer within 0\.5 s \(timeout\)"):
                source(5)
            assert time.monotonic() - t0 < 1.5
        finally:
            os.kill(s.process.pid, signal.SIGCONT)
        assert source(5)[1] > 0  # answered again, on a new connection
        s.stop()
        t0 = time.monotonic()
        with pytest.raises(idloom.StoreUnavailableError, match="no answer: ConnectionRefusedError"):
            source(5)
        with pytest.raises(idloom.StoreUnavailableError, match="no answer"):
            asyncio.run(idloom.AsyncRemoteSource(s.url, tag, timeout=0.5)(5))
        assert time.monotonic() - t0 < 1.5


def test_an_async_segment_over_the_server(server):
    async def main() -> list:  # type: ignore[type-arg]
        ids = AsyncSegment(idloom.AsyncRemoteSource(server.url, server.tag, token=SECRET), step=25)
        got = [await ids.next() for _ in range(300)]
        refused = AsyncSegment(idloom.AsyncRemoteSource(server.url, server.tag), step=25)
        with pytest.raises(idloom.UnauthorizedError):
            await refused.next()
        return got

    got = asyncio.run(main())
    assert all(a < b for a, b in zip(got, got[1:]))
