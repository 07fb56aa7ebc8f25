"""A WSGI app that mints IDs with its worker's slot (see gunicorn.conf.py)."""

import json
import os

import ids


def app(environ, start_response):  # type: ignore[no-untyped-def]
    assert ids.slot is not None and ids.gen is not None
    body = json.dumps({"pid": os.getpid(), "node": ids.slot.node, "ids": ids.gen.next_batch(200)}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
