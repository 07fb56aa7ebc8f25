"""Running draws on several threads at once, for the thread-safety tests."""

from __future__ import annotations

import threading
from typing import Any, Callable


def in_threads(work: Callable[[int], object], n: int) -> None:
    """Run ``work(i)`` for each ``i < n``, each on a thread of its own, all at
    once; fail with every error a thread raised (a thread's error is otherwise
    only printed)."""
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def draws_in_threads(draw: Callable[[], Any], n: int, each: int) -> list[list[Any]]:
    """``each`` calls of ``draw()`` on each of ``n`` threads at once; what each
    thread drew, in its order."""
    out: list[list[Any]] = [[] for _ in range(n)]
    in_threads(lambda i: out[i].extend(draw() for _ in range(each)), n)
    return out
