"""The package's version is the workspace's one version (Cargo.toml), in the module and the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import idloom

WORKSPACE = Path(__file__).resolve().parents[2] / "Cargo.toml"


def workspace_version() -> str:
    found = re.search(r'^\[workspace\.package\][^[]*?^version = "([^"]+)"', WORKSPACE.read_text(), re.M)
    assert found is not None
    return found.group(1)


def test_dunder_version_is_the_workspace_version() -> None:
    assert idloom.__version__ == workspace_version()


def test_cli_version_prints_it() -> None:
    out = subprocess.run([sys.executable, "-m", "idloom", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout == f"idloom {workspace_version()}\n"
