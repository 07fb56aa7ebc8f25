"""Seed corpora for scripts/fuzz from the shared vectors: every string in
tests/vectors/*.json seeds the text targets; the byte targets get a few
fixed inputs (the fuzzer grows the rest). Writes DIR/TARGET/seed-N."""

import hashlib
import json
import sys
from pathlib import Path

TEXT = {"uuid_parse", "encodings", "friendly", "objectid"}


def strings(value, out):
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, list):
        for v in value:
            strings(v, out)
    elif isinstance(value, dict):
        for k, v in value.items():
            strings(k, out)
            strings(v, out)


def main(root: str, targets: list) -> None:
    texts: set = set()
    for f in sorted(Path("tests/vectors").glob("*.json")):
        strings(json.loads(f.read_text()), texts)
    seeds_text = sorted(t for t in texts if 0 < len(t) <= 200)
    seeds_bytes = [bytes((i * 37 + k) % 256 for i in range(64))
                   for k in range(8)]
    for target in targets:
        d = Path(root) / target
        d.mkdir(parents=True, exist_ok=True)
        for s in (seeds_text if target in TEXT else seeds_bytes):
            data = s.encode() if isinstance(s, str) else s
            (d / f"seed-{hashlib.sha1(data).hexdigest()[:16]}").write_bytes(data)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
