"""A WSGI app for uWSGI's default prefork (the master imports it, then forks
4 workers; no lazy-apps): every kind of ID, including from a generator the
master made before the fork, which a worker must refuse, never repeat."""

import json
import os

import idloom
from idloom import Snowflake

import ids

# Made at import, in the master: every worker inherits it (and the master's
# random state, which has drawn already).
BEFORE_FORK = Snowflake(7, clock="system")
BEFORE_FORK.next()
idloom.uuid4_str(), idloom.nanoid(), idloom.uuid7()


def app(environ, start_response):  # type: ignore[no-untyped-def]
    body = {"pid": os.getpid(), "node": ids.slot.node if ids.slot else None,
            "ids": ids.gen.next_batch(100) if ids.gen else [],
            "random": [str(f()) for _ in range(5) for f in (idloom.uuid4_str, idloom.nanoid, idloom.uuid7)]}
    try:
        body["inherited"] = BEFORE_FORK.next_batch(100)
    except idloom.ForkedError as e:
        body["inherited"] = e.code
    data = json.dumps(body).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
