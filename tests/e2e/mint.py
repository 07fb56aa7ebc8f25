"""The Python minter of the cross-runtime test: see core/examples/mint.rs."""

import struct
import sys
import threading
import time

import idloom

# The fault scripts' policies, the same in every minter.
POLICIES = {
    "fail": dict(backwards="fail"),
    "wait": dict(backwards="wait", max_backwards_ms=10_000),
    "logical": dict(backwards="logical", max_backwards_ms=10_000, exhausted="borrow", max_borrow_ms=10_000),
}


def pack(ids: list[int]) -> bytes:
    return struct.pack(f"<{len(ids)}Q", *ids)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def on_threads(target, n: int) -> None:
    """Run target(t) for t in range(n) on n threads and wait for them."""
    workers = [threading.Thread(target=target, args=(t,)) for t in range(n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def main(argv: list[str]) -> None:
    layout = idloom.Layout.TWITTER
    if argv[0] == "mint":
        out, node, count, threads = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
        gen = idloom.Snowflake(node, layout)

        def run(t: int) -> None:
            ids: list[int] = []
            while len(ids) < count:
                ids.extend(gen.next_batch(min(4096, count - len(ids))))
            with open(f"{out}.t{t}", "wb") as f:
                f.write(pack(ids))

        on_threads(run, threads)
    elif argv[0] == "decode":
        data = open(argv[1], "rb").read()
        ids = struct.unpack(f"<{len(data) // 8}Q", data)
        with open(argv[2], "w") as f:
            for id in ids:
                p = layout.decompose(id)
                f.write(f"{p.timestamp_ms} {p.node} {p.sequence}\n")
    elif argv[0] == "run":
        out, node, count = argv[1], int(argv[2]), int(argv[3])
        gen = idloom.Snowflake(node, layout)
        with open(out, "wb", buffering=0) as f:
            done = 0
            while done < count:
                batch = gen.next_batch(min(4096, count - done))
                f.write(pack(batch))
                done += len(batch)
    elif argv[0] == "fault":
        # The injected clock: the script's own time passed to the pure machine's
        # next_at, which answers an ID or when to retry (sleeping is the host's job).
        out, node, count, policy, after = argv[1], int(argv[2]), int(argv[3]), argv[4], int(argv[5])
        gen = idloom.SnowflakeMachine(node, layout, **POLICIES[policy])
        ids: list[int] = []
        offset, pause, result = 0, 0, "ok"
        for i in range(count):
            if i == after:
                offset = -5000
            t = time.monotonic()
            try:
                while True:
                    r = gen.next_at(now_ms() + offset)
                    if isinstance(r, int):
                        ids.append(r)
                        break
                    time.sleep(max(0, r.at_ms - (now_ms() + offset)) / 1000)
            except idloom.IdloomError as e:
                result = f"error {e.code}"
                break
            pause = max(pause, int((time.monotonic() - t) * 1000))
        with open(out, "wb") as f:
            f.write(pack(ids))
        with open(f"{out}.result", "w") as f:
            f.write(f"{result} {pause}\n")
    elif argv[0] == "segment":
        # segment ENGINE URL TAG OUT COUNT THREADS: one Segment over the store's counter.
        engine, url, tag, out, count, threads = argv[1], argv[2], argv[3], argv[4], int(argv[5]), int(argv[6])
        from idloom.stores import MySQLStore, PostgresStore, RedisStore

        store = {"postgres": PostgresStore, "mysql": MySQLStore, "redis": RedisStore}[engine].from_url(url)
        fetch = store.segment_source(tag)
        ranges: list[tuple[int, int]] = []

        def source(step: int) -> tuple[int, int]:
            r = fetch(step)
            ranges.append(r)
            return r

        seg = idloom.Segment(source, step=1000)

        def draw(t: int) -> None:
            ids = [seg.next() for _ in range(count)]
            with open(f"{out}.t{t}", "wb") as f:
                f.write(pack(ids))

        on_threads(draw, threads)
        with open(f"{out}.ranges", "w") as f:
            f.writelines(f"{a} {b}\n" for a, b in ranges)
    else:
        sys.exit("usage: mint OUT NODE COUNT THREADS | decode IN OUT | run OUT NODE COUNT | fault OUT NODE COUNT POLICY AFTER | segment ENGINE URL TAG OUT COUNT THREADS")


if __name__ == "__main__":
    main(sys.argv[1:])
