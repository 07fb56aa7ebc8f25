"""Running a function in a forked child, for the fork tests."""

from __future__ import annotations

import json
import os

import idloom


def in_child(fn, fork=os.fork):
    """Run fn() in a child forked by ``fork``; return ``{"ok": what it returned}``
    (JSON), or ``{"error": code, "message": text}`` for the IdloomError it raised."""
    r, w = os.pipe()
    pid = fork()
    if pid == 0:  # the child: report, never return into pytest
        code = 1
        try:
            try:
                result = {"ok": fn()}
            except idloom.IdloomError as e:
                result = {"error": e.code, "message": str(e)}
            os.write(w, json.dumps(result).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    data = b""
    while chunk := os.read(r, 1 << 16):
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0, data
    return json.loads(data)
