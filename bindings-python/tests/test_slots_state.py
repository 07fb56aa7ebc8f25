"""Restarts without a store: host-local slots (an exclusive file lock per
slot) and state files (the fence written ahead of use), as a gunicorn or
Celery worker and a manual node use them."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import idloom
from idloom import Layout, Slot, Snowflake


def test_slots_are_exclusive_and_come_back_when_released(tmp_path: Path) -> None:
    a = Slot.claim(tmp_path, "web", 2, host_base=8)
    b = Slot.claim(tmp_path, "web", 2, host_base=8)
    assert (a.index, a.node, b.index, b.node) == (0, 8, 1, 9)
    with pytest.raises(idloom.NoFreeNodeError):
        Slot.claim(tmp_path, "web", 2, host_base=8)
    a.release()
    assert not a.held
    with Slot.claim(tmp_path, "web", 2, host_base=8) as again:
        assert again.index == 0
    with pytest.raises(idloom.InvalidArgumentError, match="slots must be in 1..=1"):
        Slot.claim(tmp_path, "web", 2, host_base=1023)  # nodes 1023 and 1024: past the layout
    with pytest.raises(idloom.NodeOutOfRangeError):
        Slot.claim(tmp_path, "web", 1, host_base=1024)
    with pytest.raises(idloom.InvalidArgumentError):
        Slot.claim(tmp_path, "web", 0)
    with pytest.raises(idloom.InvalidArgumentError):
        Slot.claim(tmp_path, "../web", 1)
    with pytest.raises(idloom.InvalidTypeError):
        Slot.claim(42, "web", 1)  # type: ignore[arg-type]


def test_a_slot_held_by_another_process_is_refused_and_freed_when_it_dies(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from idloom import Slot
            s = Slot.claim({str(tmp_path)!r}, "jobs", 1)
            print(s.node, flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "0"
        with pytest.raises(idloom.NoFreeNodeError):
            Slot.claim(tmp_path, "jobs", 1)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert Slot.claim(tmp_path, "jobs", 1).node == 0  # the kernel freed it at once


def test_a_snowflake_on_a_slot_keeps_its_fence_in_the_slots_state_file(tmp_path: Path) -> None:
    layout = Layout.TWITTER.with_epoch(1_400_000_000_000)  # a layout of its own: no other test's node
    slot = Slot.claim(tmp_path, "api", 4, layout=layout)
    gen = Snowflake(slot=slot, state_lead_ms=500)
    first = [gen.next() for _ in range(1000)]
    state = (tmp_path / "api" / f"slot-{slot.index}.state").read_text()
    fence = int(state.split("fence_ms=")[1].split()[0])
    assert all(gen.decode(i).timestamp_ms < fence for i in first)
    time.sleep(0.6)  # past the first fence: it is written ahead again
    later = gen.next()
    assert int((tmp_path / "api" / f"slot-{slot.index}.state").read_text().split("fence_ms=")[1].split()[0]) > fence
    assert later > first[-1]
    with pytest.raises(idloom.InvalidArgumentError):
        Snowflake(slot=slot, state_dir=tmp_path)
    with pytest.raises(idloom.InvalidArgumentError):
        Snowflake(node=1, slot=slot)
    with pytest.raises(idloom.InvalidArgumentError):
        gen.rekey(5)


MINTER = """
import sys
from idloom import Layout, Snowflake
gen = Snowflake(node=5, layout=Layout.TWITTER.with_epoch(1_300_000_000_000), state_dir=sys.argv[1],
                namespace="orders", state_lead_ms=int(sys.argv[2]) or None)
out = sys.stdout
while True:
    out.write(f"{gen.next()}\\n")
    out.flush()
"""


def run_minter(state_dir: Path, lead_ms: int, count: int) -> list[int]:
    p = subprocess.Popen([sys.executable, "-c", MINTER, str(state_dir), str(lead_ms)], stdout=subprocess.PIPE, text=True)
    return collect_then_kill(p, count)


def collect_then_kill(p: subprocess.Popen[str], count: int) -> list[int]:
    """The IDs a minter prints, `count` of them (or what it printed in 30 s), then SIGKILL."""
    assert p.stdout is not None
    ids: list[int] = []
    deadline = time.monotonic() + 30
    while len(ids) < count and time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        ids.append(int(line))
    p.send_signal(signal.SIGKILL)  # no cleanup, no last write
    rest, _ = p.communicate()
    ids += [int(x) for x in rest.split() if x.strip().isdigit()]
    return ids


def test_a_killed_manual_node_restarts_above_its_state_file_even_with_a_clock_behind(tmp_path: Path) -> None:
    layout = Layout.TWITTER.with_epoch(1_300_000_000_000)
    before = run_minter(tmp_path, 300, 20_000)
    assert len(before) >= 20_000
    state = (tmp_path / "orders.node-5.state").read_text()
    fence = int(state.split("fence_ms=")[1].split()[0])
    assert max(layout.decompose(i).timestamp_ms for i in before) < fence
    after = run_minter(tmp_path, 0, 5_000)  # restarted at once (default lead): its clock is below its start
    assert min(after) > max(before), "the restart never repeats the killed run"
    assert min(layout.decompose(i).timestamp_ms for i in after) >= fence
    fence = int((tmp_path / "orders.node-5.state").read_text().split("fence_ms=")[1].split()[0])
    again = run_minter(tmp_path, 0, 5_000)
    assert min(again) > max(after) and min(layout.decompose(i).timestamp_ms for i in again) >= fence
    with pytest.raises(idloom.InvalidArgumentError):
        Snowflake(node=5, namespace="orders")  # namespace goes with state_dir
    (tmp_path / "orders.node-6.state").write_text("garbage")
    with pytest.raises(idloom.StoreSchemaError):
        Snowflake(node=6, layout=layout, state_dir=tmp_path, namespace="orders")


def test_one_state_file_per_node_in_a_process(tmp_path: Path) -> None:
    layout = Layout.TWITTER.with_epoch(1_350_000_000_000)
    a = Snowflake(node=9, layout=layout, state_dir=tmp_path / "a")
    b = Snowflake(node=9, layout=layout, state_dir=tmp_path / "a")  # the same file: shared
    first = a.next()
    assert b.next() > first
    with pytest.raises(idloom.NodeInUseError, match="one state file per node"):
        Snowflake(node=9, layout=layout, state_dir=tmp_path / "b")
    with pytest.raises(idloom.NodeInUseError):
        Snowflake(node=9, layout=layout, state_dir=tmp_path / "a", namespace="other")


def test_a_snowflake_keeps_its_slot_even_when_the_slot_object_is_dropped(tmp_path: Path) -> None:
    import gc

    layout = Layout.TWITTER.with_epoch(1_360_000_000_000)
    gen = Snowflake(slot=Slot.claim(tmp_path, "keep", 1, layout=layout))  # the Slot is not kept
    gc.collect()
    with pytest.raises(idloom.NoFreeNodeError):
        Slot.claim(tmp_path, "keep", 1, layout=layout)  # still held: gen mints on its node
    gen.next()
    del gen
    gc.collect()
    assert Slot.claim(tmp_path, "keep", 1, layout=layout).node == 0


POD = """
import sys
from idloom import Layout, Slot, Snowflake
slot = Slot.statefulset(sys.argv[1], "orders", base=int(sys.argv[2]), slots=2, layout=Layout.TWITTER.with_epoch(1_350_000_000_000))
gen = Snowflake(slot=slot, state_lead_ms=300)
out = sys.stdout
out.write(f"node {slot.node}\\n")
while True:
    out.write(f"{gen.next()}\\n")
    out.flush()
"""


def run_pod(volume: Path, hostname: str, base: int, count: int) -> tuple[int, list[int]]:
    import os
    env = {**os.environ, "HOSTNAME": hostname}
    p = subprocess.Popen([sys.executable, "-c", POD, str(volume), str(base)], stdout=subprocess.PIPE, text=True, env=env)
    assert p.stdout is not None
    first = p.stdout.readline().split()
    assert first[:1] == ["node"], first
    return int(first[1]), collect_then_kill(p, count)  # the pod is deleted: no cleanup


def test_a_statefulset_pod_takes_its_ordinals_node_and_restarts_above_its_predecessor(tmp_path: Path) -> None:
    # The ordinal comes from $HOSTNAME (the pod's name); node = base + ordinal × slots + k.
    node, before = run_pod(tmp_path, "orders-api-3", 100, 10_000)
    assert node == 106 and len(before) >= 10_000
    node, after = run_pod(tmp_path, "orders-api-3", 100, 5_000)  # the same pod, the same volume
    assert node == 106
    assert min(after) > max(before), "a restarted pod never repeats its predecessor"
    state = (tmp_path / "orders" / "slot-0.state").read_text()
    assert "node=106" in state


def test_statefulset_ordinals_are_checked_with_typed_errors(tmp_path: Path) -> None:
    a = Slot.statefulset(tmp_path, "web", hostname="web-2", slots=2)
    b = Slot.statefulset(tmp_path, "web", hostname="web-2", slots=2)
    assert (a.node, b.node) == (4, 5)
    with pytest.raises(idloom.NoFreeNodeError):
        Slot.statefulset(tmp_path, "web", hostname="web-2", slots=2)  # a third process in the pod
    for bad in ["web", "web-03", "web-3a", "-3", ""]:
        with pytest.raises(idloom.InvalidArgumentError, match="hostname: must end in -ORDINAL"):
            Slot.statefulset(tmp_path, "web", hostname=bad)
    with pytest.raises(idloom.NodeOutOfRangeError, match="node"):
        Slot.statefulset(tmp_path, "web", hostname="web-512", slots=2)  # nodes 1024 and 1025
    with pytest.raises(idloom.NodeOutOfRangeError, match="base"):
        Slot.statefulset(tmp_path, "web", hostname="web-1", base=1024)
    with pytest.raises(idloom.InvalidArgumentError, match="slots"):
        Slot.statefulset(tmp_path, "web", hostname="web-1", slots=0)
    with pytest.raises(idloom.InvalidTypeError):
        Slot.statefulset(tmp_path, "web", hostname=3)  # type: ignore[arg-type]
