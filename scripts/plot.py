"""Draw docs/bench/ns-per-id.png from the rows scripts/bench wrote.

    python scripts/plot.py docs/bench

One panel per runtime present (rust.json, python.json, node.json,
wasm.json, the store-backed rows python-stores.json, node-stores.json, and
idloom-server over HTTP, server.json): for each comparison, idloom's ns per
ID beside the peer's, on a log scale, labelled with the ratio (peer time /
idloom time; above 1 means idloom is faster). In the server's panel a
single-ID route's peer is the no-op handler on the same stack, so its ratio
is route rps / no-op rps (at most about 1: the share of the stack's ceiling
the route keeps).
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

PANELS = [
    ("rust", "Rust (criterion)"),
    ("python", "Python (CPython 3.11)"),
    ("node", "Node 20 (napi addon)"),
    ("wasm", "wasm in Node 20"),
    ("python-stores", "Python store-backed segments (PostgreSQL, MariaDB, Redis)"),
    ("node-stores", "Node store-backed segments (PostgreSQL, MariaDB, Redis)"),
    ("server", "idloom-server over HTTP on Redis (wrk on loopback, sharing 2 cores)"),
]


def comparisons(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r.get("peer") and r.get("peer_ns") and r.get("ours_ns")]


def main(folder: str) -> None:
    root = Path(folder)
    present = [(name, title, comparisons(json.loads((root / f"{name}.json").read_text())))
               for name, title in PANELS if (root / f"{name}.json").exists()]
    if not present:
        sys.exit(f"no benchmark JSON in {folder}: run scripts/bench first")
    heights = [max(len(rows), 1) for _, _, rows in present]
    fig, axes = plt.subplots(len(present), 1, figsize=(11, 0.42 * sum(heights) + 1.2 * len(present)),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (_, title, rows) in zip(axes[:, 0], present):
        labels = [f"{r['what']}\nvs {r['peer']}" for r in rows]
        ys = range(len(rows))
        ours = [r["ours_ns"] for r in rows]
        peers = [r["peer_ns"] for r in rows]
        ax.barh([y - 0.2 for y in ys], ours, height=0.38, color="#2b6cb0", label="idloom")
        ax.barh([y + 0.2 for y in ys], peers, height=0.38, color="#a0aec0", label="peer")
        for y, o, p in zip(ys, ours, peers):
            ax.text(max(o, p) * 1.08, y, f"{p / o:.2f}×", va="center", fontsize=8)
        ax.set_yticks(list(ys), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlim(right=max(max(ours), max(peers)) * 4)
        ax.set_title(title, fontsize=10, loc="left")
        ax.grid(axis="x", which="both", alpha=0.25)
    axes[0, 0].legend(loc="lower right", fontsize=8)
    axes[-1, 0].set_xlabel("ns per ID (log scale; lower is faster; label: peer ÷ idloom)")
    fig.tight_layout()
    out = root / "ns-per-id.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/bench")
