from __future__ import annotations

import json
import pathlib

import pytest

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "tests" / "vectors"


@pytest.fixture(scope="session")
def vectors():
    """Load a shared conformance file by name."""
    return lambda name: json.loads((VECTORS / name).read_text())
