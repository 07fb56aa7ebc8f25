"""The Python CLI replays tests/cli/transcript.txt, which the Node CLI
replays too (bindings-node/test/cli-transcript.test.mjs): the same commands
print the same lines and exit with the same status."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
from pathlib import Path
from typing import List, NamedTuple

import pytest

TRANSCRIPT = Path(__file__).resolve().parents[2] / "tests" / "cli" / "transcript.txt"


class Case(NamedTuple):
    argv: List[str]
    stdout: List[str]
    stderr: List[str]  # fnmatch patterns: `*` matches any text
    status: int


def cases() -> List[Case]:
    found: List[Case] = []
    for block in TRANSCRIPT.read_text(encoding="utf-8").split("\n$ ")[1:]:
        lines = [line for line in block.split("\n") if line and not line.startswith("#")]
        argv = lines[0].split()[1:]  # after "idloom"
        out = [line for line in lines[1:] if not line.startswith(("! ", "exit "))]
        err = [line[2:] for line in lines[1:] if line.startswith("! ")]
        status = next((int(line[5:]) for line in lines[1:] if line.startswith("exit ")), 0)
        found.append(Case(argv, out, err, status))
    return found


@pytest.mark.parametrize("case", cases(), ids=lambda c: " ".join(c.argv) or "(no arguments)")
def test_the_cli_prints_the_transcript(case: Case) -> None:
    env = {k: v for k, v in os.environ.items() if k != "IDLOOM_STORE_URL"}
    r = subprocess.run([sys.executable, "-m", "idloom", *case.argv], capture_output=True, text=True, timeout=60, env=env)
    assert r.stdout == "".join(f"{line}\n" for line in case.stdout)
    err = r.stderr.splitlines()
    assert len(err) == len(case.stderr) and all(fnmatch.fnmatchcase(a, b) for a, b in zip(err, case.stderr)), r.stderr
    assert r.returncode == case.status


def test_the_transcript_has_every_kind_of_case() -> None:
    all_cases = cases()
    assert len(all_cases) >= 30
    assert any(c.status == 0 for c in all_cases) and any(c.status == 2 for c in all_cases)
