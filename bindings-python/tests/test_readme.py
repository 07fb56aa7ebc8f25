"""Every ```python block of the package README runs as written."""

from __future__ import annotations

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(zookeeper, etcd):  # type: ignore[no-untyped-def]
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "the README has Python examples"
    # The store examples name the machine's servers; scripts/test may have
    # started private ones instead (IDLOOM_PG, IDLOOM_MYSQL, IDLOOM_REDIS).
    from remote_support import Server
    from stores_support import MYSQL, PG, REDIS

    # The thin-client example's idloom-server: a free port, a namespace of its own.
    remote = Server(["receipts"], {"receipts": "SECRET"})
    servers = {
        '"http://127.0.0.1:8080"': repr(remote.url),
        '"host=127.0.0.1 port=5432 user=postgres dbname=test"': repr(PG),
        '"mysql://root@127.0.0.1:3306/test"': repr(MYSQL),
        'redis.Redis(host="127.0.0.1", port=6379, socket_timeout=5)': f"redis.Redis.from_url({REDIS!r}, socket_timeout=5)",
        '"redis://127.0.0.1:6379/"': repr(REDIS),
        # The private ZooKeeper and etcd of the session (conftest.py): never the standard ports.
        '"zookeeper://127.0.0.1:2181"': repr(zookeeper.url),
        '"etcd://127.0.0.1:2379"': repr(etcd.url),
    }
    try:
        for block in blocks:
            for default, actual in servers.items():
                block = block.replace(default, actual)
            exec(compile(block, str(README), "exec"), {})
    finally:
        remote.stop()
    text = README.read_text()
    assert all(default in text for default in servers), "the README names the servers this test substitutes"
