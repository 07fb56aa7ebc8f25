"""uWSGI's default prefork: the master imports the app once and forks 4
workers with fork() from C — no lazy-apps, no os.register_at_fork hooks (uWSGI
runs them only with --py-call-osafterfork). No ID is served twice across the
workers: random IDs differ, the generator the master made at import refuses
with `forked`, and the nodes claimed in @postfork are one per worker. Before
the core noticed forks itself, the workers served the master's next IDs."""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from http_support import free_port, get, wait_up

APP = Path(__file__).resolve().parent / "uwsgi_app"
README = Path(__file__).resolve().parents[1] / "README.md"
UWSGI = shutil.which("uwsgi", path=str(Path(sys.executable).parent)) or shutil.which("uwsgi")


def test_the_readme_shows_the_postfork_hook_the_test_runs() -> None:
    hook = (APP / "ids.py").read_text()
    block = hook[hook.index("@postfork"):].strip()
    assert block in README.read_text(), "README's @postfork block is the tested file's"


def test_four_prefork_workers_never_serve_an_id_twice(tmp_path: Path) -> None:
    assert UWSGI, "uwsgi is installed by scripts/test (PyPI uwsgi)"
    port = free_port()
    env = {**os.environ, "IDLOOM_SLOT_DIR": str(tmp_path), "HOST_BASE": "100", "PYTHONPATH": str(APP)}
    server = subprocess.Popen(
        [UWSGI, "--master", "--processes", "4", "--http-socket", f"127.0.0.1:{port}", "--wsgi-file", "app.py",
         "--callable", "app", "--need-app", "--die-on-term", "--disable-logging", "--virtualenv", sys.prefix],
        cwd=APP, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_up(port, server, "uwsgi")
        answers: list = []  # type: ignore[type-arg]
        deadline = time.monotonic() + 30
        while len({a["pid"] for a in answers}) < 4:
            assert time.monotonic() < deadline, f"requests reached {len({a['pid'] for a in answers})} worker(s)"
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                answers += list(pool.map(lambda _: get(port), range(80)))
        assert {a["inherited"] if isinstance(a["inherited"], str) else "minted" for a in answers} == {"forked"}, \
            "the generator made in the master before the fork refuses in every worker"
        node_of = {}
        for a in answers:
            assert node_of.setdefault(a["pid"], a["node"]) == a["node"], "a worker changed node"
        assert sorted(node_of.values()) == [100, 101, 102, 103], node_of
        snowflakes = [i for a in answers for i in a["ids"]]
        assert len(set(snowflakes)) == len(snowflakes)
        random = [r for a in answers for r in a["random"]]
        repeats = len(random) - len(set(random))
        assert repeats == 0, f"{repeats} random IDs served twice across workers"
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
