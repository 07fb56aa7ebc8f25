from __future__ import annotations

import json
import pathlib

import pytest

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "tests" / "vectors"


@pytest.fixture(scope="session")
def vectors():
    """Load a shared conformance file by name."""
    return lambda name: json.loads((VECTORS / name).read_text())


@pytest.fixture(scope="session")
def zookeeper():
    """A private ZooKeeper for the session (tests/kv_support.py)."""
    from kv_support import PrivateZooKeeper

    server = PrivateZooKeeper()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def etcd():
    """A private etcd for the session (tests/kv_support.py)."""
    from kv_support import PrivateEtcd

    server = PrivateEtcd()
    yield server
    server.stop()
