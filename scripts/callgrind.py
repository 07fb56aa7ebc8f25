"""Instructions per ID on the Rust hot paths, counted by callgrind.

    python scripts/callgrind.py BINARY --json docs/bench/callgrind.json

BINARY is core/examples/instructions.rs built in release (scripts/bench
callgrind builds it). Each path runs twice under `valgrind --tool=callgrind`,
with N and 2N calls; (count(2N) - count(N)) / N is one call's instructions,
start-up and set-up cancelled out. Counts are the same on a busy machine and
an idle one, so before/after comparisons need no quiet hour. Not a test:
nothing asserts a count.
"""

import argparse
import json
import re
import subprocess

N = 200_000

# (what, idloom path, peer path or None)
ROWS = [
    ("snowflake next_id (single owner)", "snowflake", "ferroid_basic"),
    ("snowflake next_id (single owner, fenced)", "snowflake_fenced", "ferroid_basic"),
    ("snowflake next_id (shared, one thread)", "shared", "ferroid_atomic"),
    ("snowflake next_id (shared, fenced)", "shared_fenced", "ferroid_atomic"),
    ("uuid v7 (monotonic)", "uuid_v7", "ulid_monotonic"),
    ("uuid v7 (monotonic), system clock", "uuid_v7_system_clock", "ulid_generate"),
    ("uuid v4", "uuid_v4", "uuid_crate_v4"),
    ("uuid v4 as hyphenated text", "uuid_v4_text", "uuid_crate_v4_text"),
]
PEER_NAMES = {
    "ferroid_basic": "ferroid BasicSnowflakeGenerator",
    "ferroid_atomic": "ferroid AtomicSnowflakeGenerator",
    "ulid_monotonic": "ulid Generator (monotonic)",
    "ulid_generate": "ulid Generator::generate (system clock, thread rng)",
    "uuid_crate_v4": "uuid Builder::from_random_bytes (StdRng)",
    "uuid_crate_v4_text": "uuid ... hyphenated().encode_lower (StdRng)",
}


def collected(binary: str, path: str, n: int) -> int:
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", binary, path, str(n)],
        capture_output=True, text=True, check=True,
    )
    found = re.search(r"Collected\s*:\s*(\d+)", run.stderr)
    if not found:
        raise SystemExit(f"no count from callgrind for {path}:\n{run.stderr}")
    return int(found.group(1))


def per_call(binary: str, path: str, cache: dict[str, float]) -> float:
    if path not in cache:
        cache[path] = (collected(binary, path, 2 * N) - collected(binary, path, N)) / N
    return cache[path]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--json")
    args = parser.parse_args()
    cache: dict[str, float] = {}
    rows = []
    print(f"{'what':<44} {'idloom':>8} {'peer':>8} {'ratio':>6}  (instructions per ID; ratio = peer / idloom)")
    for what, ours, peer in ROWS:
        a = per_call(args.binary, ours, cache)
        row: dict[str, object] = {"what": what, "ours_instructions": round(a, 2)}
        if peer:
            b = per_call(args.binary, peer, cache)
            row.update(peer=PEER_NAMES[peer], peer_instructions=round(b, 2), ratio=round(b / a, 3))
            print(f"{what:<44} {a:>8.2f} {b:>8.2f} {b / a:>6.2f}  vs {PEER_NAMES[peer]}")
        rows.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
