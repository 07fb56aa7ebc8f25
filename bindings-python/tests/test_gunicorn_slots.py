"""gunicorn with 4 workers, each on a host-local slot claimed in post_fork
(the README's config, run as written): no two workers on one node, no
duplicate ID, and a SIGKILLed worker's replacement takes the freed slot and
starts above its predecessor."""

from __future__ import annotations

import concurrent.futures
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from http_support import free_port, get, wait_up

APP = Path(__file__).resolve().parent / "gunicorn_app"
README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_shows_the_config_the_test_runs() -> None:
    config = (APP / "gunicorn.conf.py").read_text()
    assert config.strip() in README.read_text(), "README's gunicorn.conf.py block is the tested file"


def test_four_gunicorn_workers_hold_four_nodes_and_never_repeat(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "IDLOOM_SLOT_DIR": str(tmp_path), "HOST_BASE": "100", "PYTHONPATH": str(APP)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(APP / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "app:app"],
        cwd=APP, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_up(port, server, "gunicorn")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: get(port), range(200)))
        node_of = {}
        for a in answers:
            assert node_of.setdefault(a["pid"], a["node"]) == a["node"], "a worker changed node"
        assert len(node_of) >= 2, f"requests reached {len(node_of)} worker(s)"
        assert len(set(node_of.values())) == len(node_of), f"two workers on one node: {node_of}"
        assert set(node_of.values()) <= {100, 101, 102, 103}
        every = [i for a in answers for i in a["ids"]]
        assert len(set(every)) == len(every)
        # Kill one worker: gunicorn forks a replacement, which claims the freed slot.
        victim_pid, victim_node = next(iter(node_of.items()))
        before = max(i for a in answers if a["pid"] == victim_pid for i in a["ids"])
        os.kill(victim_pid, signal.SIGKILL)
        later = []
        deadline = time.monotonic() + 30
        while not any(a["node"] == victim_node and a["pid"] != victim_pid for a in later):
            assert time.monotonic() < deadline, "no replacement worker took the freed slot"
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                later += list(pool.map(lambda _: get(port), range(40)))
        replacement = [i for a in later if a["node"] == victim_node and a["pid"] != victim_pid for i in a["ids"]]
        assert min(replacement) > before, "the replacement starts above its predecessor"
        everything = every + [i for a in later for i in a["ids"]]
        assert len(set(everything)) == len(everything)
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
        assert not re.search(r"Traceback", out), out
