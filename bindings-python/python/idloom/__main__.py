"""The ``idloom`` command line: mint, decode and describe IDs.

    idloom demo --node 3                      mint and decode one of every kind
    idloom snowflake --node 3 --layout twitter -n 5
    idloom uuid7 -n 3 | idloom uuid4 | idloom nanoid --size 10
    idloom segment -n 5 --step 100            from an in-memory source
    idloom decode 2124501500691492864 --layout twitter
    idloom layout --layout sonyflake          capacity report
    idloom store init --url URL --namespace orders [--nodes 1024 --ttl-ms 10000 --fresh]
    idloom store init --url URL --segment order --floor 1 [--step 1000 --table leaf_alloc]
    idloom store status --url URL --namespace orders | --segment order
    idloom store release --url URL --namespace orders --node 7   free a dead holder's node now

A store URL can come from the environment instead (``IDLOOM_STORE_URL``,
keeping its password off the command line and out of ``ps``); a flag wins.
A URL is only ever shown with its password as ``***``.

Bad arguments exit with status 2 and one line on stderr naming the error
code, the same line as the Node CLI's (``npx idloom``): both replay
``tests/cli/transcript.txt``.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from typing import Any, Callable, Dict, List, NoReturn, Sequence, TextIO

import idloom

PRESETS = ["twitter", "sonyflake", "baidu", "js_safe"]
FORMATS = ["int", "friendly", "base62", "base36", "base32", "hex"]
COMMANDS = ["demo", "snowflake", "uuid4", "uuid7", "nanoid", "segment", "decode", "layout", "store"]
URL_ALPHABET = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + message
        # A check below names its option itself ("--layout must be …"): drop argparse's "argument --layout: ".
        message = re.sub(r"^argument [^:]+: (?=-)", "", message)
        self.exit(2, f"idloom: error: {message} (invalid_argument)\n")


def _int_in(name: str, lo: int, hi: int) -> Callable[[str], int]:
    """A decimal integer argument in lo..=hi (the Node CLI's ``intArg``)."""

    def parse(text: str) -> int:
        if re.fullmatch(r"[0-9]+", text) is None or not lo <= int(text) <= hi:
            raise argparse.ArgumentTypeError(f'{name} must be an integer in {lo}..={hi}, got "{text}"')
        return int(text)

    return parse


def _non_negative(name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if re.fullmatch(r"[0-9]+", text) is None:
            raise argparse.ArgumentTypeError(f'{name} must be a non-negative integer, got "{text}"')
        return int(text)

    return parse


def _one_of(name: str, options: List[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise argparse.ArgumentTypeError(f'{name} must be one of {", ".join(options)}, got "{text}"')
        return text

    return parse


_count = _int_in("-n", 1, 1_000_000)
_layout = _one_of("--layout", PRESETS)

#: The store flags (their dests) bounded by the core's argument specs
#: (``idloom::stores::args``) and the spec of each: the Node CLI's ``STORE_NUMBERS``.
_STORE_NUMBERS = {"nodes": "nodes", "ttl_ms": "ttl_ms", "max_skew_ms": "max_skew_ms", "floor": "floor",
                  "step": "counter_step"}


def _check_store_numbers(args: argparse.Namespace) -> None:
    """Every store number given, checked by the core before a store is reached:
    ``InvalidArgumentError`` naming the parameter and its range, as in Node."""
    from ._idloom import _check_arg

    for dest, key in _STORE_NUMBERS.items():
        value = getattr(args, dest, None)
        if value is not None:
            _check_arg(key, value)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="idloom", description="Mint, decode and describe unique IDs (idloom).")
    p.add_argument("--version", action="version", version=f"idloom {idloom.__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    d = sub.add_parser("demo", help="mint and decode IDs of every kind")
    d.add_argument("--node", type=_non_negative("--node"), help="this process's node ID (never guessed); or --store to lease one")
    d.add_argument("--store", metavar="URL", help="lease the node from a store (postgresql://, mysql://, redis://, zookeeper://, etcd://) "
                   "in a throwaway namespace, draw a segment there, then release (without --node, "
                   "$IDLOOM_STORE_URL is the default)")
    d.add_argument("--layout", type=_layout, default="twitter", help=f"one of {', '.join(PRESETS)}")

    s = sub.add_parser("snowflake", help="mint snowflake IDs")
    s.add_argument("--node", type=_non_negative("--node"), help="this process's node ID (required: never guessed)")
    s.add_argument("--layout", type=_layout, default="twitter", help=f"one of {', '.join(PRESETS)}")
    s.add_argument("-n", type=_count, default=1, help="how many (1..=1000000)")
    s.add_argument("--format", type=_one_of("--format", FORMATS), default="int", help=f"one of {', '.join(FORMATS)}")

    for name, text in (("uuid4", "mint random UUIDs"), ("uuid7", "mint time-ordered UUIDs")):
        u = sub.add_parser(name, help=text)
        u.add_argument("-n", type=_count, default=1)

    n = sub.add_parser("nanoid", help="mint NanoIDs")
    n.add_argument("-n", type=_count, default=1)
    n.add_argument("--size", type=_int_in("--size", 1, 1024), default=21, help="symbols per NanoID (1..=1024)")
    n.add_argument("--alphabet", default=None, help="custom alphabet (2..=256 distinct symbols)")

    g = sub.add_parser("segment", help="mint IDs from an in-memory segment source")
    g.add_argument("-n", type=_count, default=1)
    g.add_argument("--start", type=_non_negative("--start"), default=1)
    g.add_argument("--step", type=_int_in("--step", 1, 2**40), default=1000)

    c = sub.add_parser("decode", help="decode a snowflake ID or a UUID")
    c.add_argument("id", nargs="?", help="a snowflake ID (decimal) or a UUID (any form)")
    c.add_argument("--layout", type=_layout, default="twitter", help=f"one of {', '.join(PRESETS)}")

    l_ = sub.add_parser("layout", help="print a layout's capacity report")
    l_.add_argument("--layout", type=_layout, default="twitter", help=f"one of {', '.join(PRESETS)}")

    st = sub.add_parser("store", help="namespaces, nodes and segment counters on a store")
    ops = st.add_subparsers(dest="op", required=True, parser_class=_Parser)
    for op, text in (("init", "create a namespace or a segment counter"), ("status", "show a namespace's nodes or a counter"),
                     ("release", "free a node now (a holder that died without releasing); its fence stays")):
        o = ops.add_parser(op, help=text)
        o.add_argument("--url", default=None, help="postgresql://…, mysql://…, redis://…, zookeeper://…, etcd://… (default: $IDLOOM_STORE_URL, "
                       "which keeps a password off the command line)")
        what = o.add_mutually_exclusive_group(required=True)
        what.add_argument("--namespace")
        if op != "release":
            what.add_argument("--segment", metavar="BIZ_TAG")
            o.add_argument("--table", default=None, help="the Leaf-compatible segment table (default idloom_alloc)")
        if op == "init":
            o.add_argument("--layout", type=_layout, default="twitter", help=f"one of {', '.join(PRESETS)}")
            o.add_argument("--nodes", type=_non_negative("--nodes"), default=None)
            o.add_argument("--ttl-ms", type=_non_negative("--ttl-ms"), default=10_000)
            o.add_argument("--max-skew-ms", type=_non_negative("--max-skew-ms"), default=1_000)
            o.add_argument("--fresh", action="store_true", help="floor 0: a first deployment (else above every old fence)")
            o.add_argument("--floor", type=_non_negative("--floor"), default=None, help="a new counter's first max_id (required with --segment)")
            o.add_argument("--step", type=_non_negative("--step"), default=1000)
            o.add_argument("--guard", action="store_true",
                           help="the counter records the store's identity (PostgreSQL, Redis); run again with a floor "
                                "above every ID handed out to go on after a restore (Redis: after any restart)")
        if op == "release":
            o.add_argument("--node", type=_non_negative("--node"), required=True)
    return p


def _store(args: argparse.Namespace, out: TextIO) -> None:
    import idloom.stores

    store = idloom.stores.from_url(args.url)
    table = getattr(args, "table", None)
    if table is not None and isinstance(store, idloom.stores.RedisStore):
        raise idloom.InvalidArgumentError("--table: Redis keeps counters in keys, not a table", "invalid_argument")
    if args.op == "init" and args.namespace is not None:
        layout = idloom.Layout.preset(args.layout)
        r = store.init_namespace(args.namespace, layout=layout, nodes=args.nodes, ttl_ms=args.ttl_ms,
                                 max_skew_ms=args.max_skew_ms, fresh=args.fresh)
        print(f"namespace {args.namespace}: {r.nodes} nodes, ttl {r.ttl_ms} ms, max skew {r.max_skew_ms} ms, "
              f"floor {r.floor_ms}, layout {r.layout}", file=out)
    elif args.op == "init":
        if args.floor is None:
            raise idloom.InvalidArgumentError("--floor is required with --segment: the counter's first max_id, "
                                              "above every ID handed out before", "invalid_argument")
        options: Dict[str, Any] = {} if table is None else {"table": table}
        if args.guard:
            if isinstance(store, idloom.stores.MySQLStore):
                from ._idloom import _store_texts

                raise idloom.InvalidArgumentError(f"--guard: {_store_texts('mysql')['GUARD_REFUSED']}", "invalid_argument")
            options["guard"] = True
        store.init_segment(args.segment, floor=args.floor, step=args.step, **options)
        print(f"segment {args.segment}: ready (floor {args.floor})", file=out)
    elif args.op == "status" and args.namespace is not None:
        status = store.status(args.namespace)
        r = status["record"]
        print(f"namespace {args.namespace}: {r.nodes} nodes, ttl {r.ttl_ms} ms, max skew {r.max_skew_ms} ms, "
              f"floor {r.floor_ms}, layout {r.layout}", file=out)
        print("node  holder  epoch  expires_ms  start_ms  fence_ms", file=out)
        for node, holder, epoch, expires, start, fence in status["nodes"]:
            if epoch:
                print(f"{node}  {holder or '-'}  {epoch}  {expires}  {start}  {fence}", file=out)
    elif args.op == "status":
        print(f"segment {args.segment}: next range starts at {store.segment_peek(args.segment, table=table)}", file=out)
    else:
        rows = {row[0]: row for row in store.status(args.namespace)["nodes"]}
        if args.node not in rows:
            raise idloom.NodeOutOfRangeError(f"--node must be in 0..={len(rows) - 1}, got {args.node}", "node_out_of_range")
        _, holder, epoch, _, start, fence = rows[args.node]
        store._release(args.namespace, args.node, epoch, start, holder, fence)
        print(f"namespace {args.namespace}, node {args.node}: free (epoch {epoch}, fence stays at {fence})", file=out)


def _iso(ms: int) -> str:
    """UTC with milliseconds and a Z, as the capacity report and JavaScript's toISOString."""
    return (_EPOCH + datetime.timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _snowflake_line(layout: idloom.Layout, id_: int) -> str:
    parts = layout.decompose(id_)
    return f"{id_}  time={_iso(parts.timestamp_ms)} node={parts.node} seq={parts.sequence} friendly={layout.friendly(id_)}"


def _decode(text: str, layout: idloom.Layout) -> str:
    if text.isdigit():
        return _snowflake_line(layout, int(text))
    u = idloom.parse_uuid(text)
    ms = idloom.uuid_timestamp_ms(u)
    when = "" if ms is None else f" time={_iso(ms)}"
    return f"{u}  version={u.version}{when}"


def _demo(node: int, layout: idloom.Layout, out: TextIO) -> None:
    gen = idloom.Snowflake(node, layout)
    print(f"== snowflake, layout {layout}", file=out)
    print(layout.capacity(), file=out)
    for _ in range(3):
        print(_snowflake_line(layout, gen.next()), file=out)
    print("\n== segment (in-memory source, step 1000, Leaf-style prefetch at 10 %)", file=out)
    seg = idloom.Segment(idloom.MemorySource(1))
    print([seg.next() for _ in range(5)], f"(in memory: {seg.remaining} more)", file=out)
    print("\n== UUID", file=out)
    for u in (idloom.uuid4(), idloom.uuid7(), idloom.uuid7()):
        print(_decode(str(u), layout), file=out)
    print("\n== NanoID", file=out)
    print("default ", idloom.nanoid(), file=out)
    print("hex, 12 ", idloom.custom_alphabet("0123456789abcdef", 12)(), file=out)
    print("\n== encodings and masking", file=out)
    id_ = gen.next()
    mask = idloom.Mask(63, b"demo-key-16bytes")
    print(f"{id_} base62={idloom.encode(id_)} masked={mask.mask(id_)} unmasked={mask.unmask(mask.mask(id_))}", file=out)


def _demo_store(url: str, layout: idloom.Layout, out: TextIO) -> None:
    """The coordinated path: a throwaway namespace on the store, a leased node
    (fenced generator), a segment from the same store, a clean release."""
    import os
    import secrets
    import time

    import idloom.stores

    store = idloom.stores.from_url(url)
    ns = f"demo-{os.getpid()}-{secrets.token_hex(3)}"
    rec = store.init_namespace(ns, layout=layout, nodes=min(16, 1 << layout.node_bits), ttl_ms=10_000,
                               max_skew_ms=1_000, fresh=True)
    print(f"== {type(store).__name__}: throwaway namespace {ns} ({rec.nodes} nodes, ttl {rec.ttl_ms} ms, "
          f"max skew {rec.max_skew_ms} ms)", file=out)
    lease = store.lease_node(ns, layout=layout)
    now = int(time.time() * 1000)
    print(f"lease: node {lease.node}, epoch {lease.epoch}, mints ticks in [{lease.start_ms}, {lease.fence_ms}) "
          f"(the fence is {lease.fence_ms - now} ms ahead; renewed every {rec.ttl_ms // 3} ms), "
          f"the store may give the node away from {lease.expires_ms} unless a renewal lands", file=out)
    gen = idloom.Snowflake(lease=lease)
    print(f"\n== snowflake on the leased node, layout {layout}", file=out)
    for _ in range(3):
        print(_snowflake_line(layout, gen.next()), file=out)
    print("\n== segment from the same store (step 1000, refilled in the background)", file=out)
    store.init_segment(ns, floor=1)
    seg = idloom.Segment(store.segment_source(ns), step=1000)
    print([seg.next() for _ in range(5)], f"(in memory: {seg.remaining} more; the store's counter is at "
          f"{store.segment_peek(ns)})", file=out)
    high = lease.release()
    print(f"\nreleased node {lease.node} with high-water {high}: the next holder starts there at once, "
          f"and this generator refuses to mint ({lease.state})", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    import os

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        print(f'idloom: error: unknown command "{argv[0]}" (choose from {", ".join(COMMANDS)}) (invalid_argument)',
              file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    out = sys.stdout
    env_url = os.environ.get("IDLOOM_STORE_URL") or None
    if args.command == "store" and args.url is None:
        args.url = env_url
    if args.command == "demo" and args.store is None and args.node is None:
        args.store = env_url
    url = getattr(args, "url", None) or getattr(args, "store", None)
    try:
        if args.command == "store":
            _check_store_numbers(args)
            if args.url is None:
                raise idloom.InvalidArgumentError("--url URL or IDLOOM_STORE_URL is required (postgres://…, mysql://…, "
                                                  "redis://…, zookeeper://…, etcd://…)", "invalid_argument")
        layout = idloom.Layout.preset(getattr(args, "layout", "twitter"))
        if args.command == "demo":
            if (args.node is None) == (args.store is None):
                print("idloom demo: error: give --node N (in memory) or --store URL (a leased node), not both or neither",
                      file=sys.stderr)
                return 2
            if args.store is not None:
                _demo_store(args.store, layout, out)
            else:
                _demo(args.node, layout, out)
        elif args.command == "snowflake":
            if args.node is None:
                print("idloom: error: --node is required: idloom never guesses a node ID (invalid_argument)", file=sys.stderr)
                return 2
            gen = idloom.Snowflake(args.node, layout)
            for id_ in gen.next_batch(args.n):
                if args.format == "int":
                    print(id_, file=out)
                elif args.format == "friendly":
                    print(layout.friendly(id_), file=out)
                else:
                    print(idloom.encode(id_, args.format), file=out)
        elif args.command in ("uuid4", "uuid7"):
            make = idloom.uuid4_str if args.command == "uuid4" else idloom.uuid7_str
            for _ in range(args.n):
                print(make(), file=out)
        elif args.command == "nanoid":
            ids = idloom.custom_alphabet(args.alphabet or URL_ALPHABET, args.size)
            for _ in range(args.n):
                print(ids(), file=out)
        elif args.command == "segment":
            seg = idloom.Segment(idloom.MemorySource(args.start), step=args.step)
            for _ in range(args.n):
                print(seg.next(), file=out)
        elif args.command == "decode":
            if args.id is None:
                print("idloom: error: decode needs an ID (a snowflake integer or a UUID) (invalid_argument)", file=sys.stderr)
                return 2
            print(_decode(args.id, layout), file=out)
        elif args.command == "layout":
            print(layout, file=out)
            print(layout.capacity(), file=out)
        elif args.command == "store":
            _store(args, out)
    except idloom.IdloomError as e:
        message = str(e) if url is None else idloom._idloom._redact(str(e), url)
        print(f"idloom: error: {message} ({e.code})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
