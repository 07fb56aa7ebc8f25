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

Where docs/bench/before/NAME.json exists (the rows before a piece of
performance work), each row also shows idloom's figure from it, and the
label gives the ratio before beside the ratio now. callgrind.json (Rust hot
paths, instructions per ID under callgrind) is its own panel, counted in
instructions rather than ns.
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

PANELS = [
    ("rust", "Rust (criterion)"),
    ("callgrind", "Rust, instructions per ID (callgrind; stable on a busy machine)"),
    ("python", "Python (CPython 3.11)"),
    ("node", "Node 20 (napi addon)"),
    ("wasm", "wasm in Node 20"),
    ("python-stores", "Python store-backed segments (PostgreSQL, MariaDB, Redis)"),
    ("node-stores", "Node store-backed segments (PostgreSQL, MariaDB, Redis)"),
    ("server", "idloom-server over HTTP on Redis (wrk on loopback, sharing 2 cores)"),
]


def figures(row: dict) -> tuple[float, float] | None:
    """(idloom, peer) of a comparison row: ns, or instructions for callgrind's rows."""
    for ours, peer in (("ours_ns", "peer_ns"), ("ours_instructions", "peer_instructions")):
        if row.get("peer") and row.get(ours) and row.get(peer):
            return float(row[ours]), float(row[peer])
    return None


def comparisons(rows: list[dict]) -> list[dict]:
    return [r for r in rows if figures(r)]


def earlier(root: Path, name: str) -> dict[tuple[str, str], tuple[float, float]]:
    """The rows of before/NAME.json, by (what, peer); empty when there is none."""
    path = root / "before" / f"{name}.json"
    if not path.exists():
        return {}
    return {(r["what"], r["peer"]): figures(r) for r in comparisons(json.loads(path.read_text()))}  # type: ignore[misc]


def main(folder: str) -> None:
    root = Path(folder)
    present = [(name, title, comparisons(json.loads((root / f"{name}.json").read_text())))
               for name, title in PANELS if (root / f"{name}.json").exists()]
    before = {name: earlier(root, name) for name, _, _ in present}
    if not present:
        sys.exit(f"no benchmark JSON in {folder}: run scripts/bench first")
    heights = [max(len(rows), 1) for _, _, rows in present]
    fig, axes = plt.subplots(len(present), 1, figsize=(11, 0.42 * sum(heights) + 1.2 * len(present)),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (name, title, rows) in zip(axes[:, 0], present):
        labels = [f"{r['what']}\nvs {r['peer']}" for r in rows]
        ys = range(len(rows))
        pairs = [figures(r) for r in rows]
        ours = [p[0] for p in pairs if p]
        peers = [p[1] for p in pairs if p]
        was = [before[name].get((r["what"], r["peer"])) for r in rows]
        if any(was):
            ax.barh([y - 0.27 for y in ys], [w[0] if w else 0 for w in was], height=0.26, color="#90cdf4",
                    label="idloom before")
            ax.barh(list(ys), ours, height=0.26, color="#2b6cb0", label="idloom")
            ax.barh([y + 0.27 for y in ys], peers, height=0.26, color="#a0aec0", label="peer")
        else:
            ax.barh([y - 0.2 for y in ys], ours, height=0.38, color="#2b6cb0", label="idloom")
            ax.barh([y + 0.2 for y in ys], peers, height=0.38, color="#a0aec0", label="peer")
        for y, r, o, p, w in zip(ys, rows, ours, peers, was):
            # The row's own ratio where it has one (interleaved pairs: the median of
            # the rounds' ratios, not the ratio of the two medians).
            text = f"{r.get('ratio') or p / o:.2f}×" + (f" (before {w[1] / w[0]:.2f}×)" if w else "")
            ax.text(max(o, p, w[0] if w else 0) * 1.08, y, text, va="center", fontsize=8)
        ax.set_yticks(list(ys), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlim(right=max(max(ours), max(peers)) * 8)
        ax.set_title(title, fontsize=10, loc="left")
        ax.grid(axis="x", which="both", alpha=0.25)
        ax.legend(loc="lower right", fontsize=7)
    axes[-1, 0].set_xlabel("ns per ID (log scale; lower is faster; label: peer ÷ idloom)")
    fig.tight_layout()
    out = root / "ns-per-id.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/bench")
