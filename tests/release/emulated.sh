#!/usr/bin/env bash
# The artifacts of `scripts/release --all` for the targets this machine does
# not run natively. aarch64 (glibc): the wheel and the addon package run
# under qemu-aarch64-static in an arm64 userland (tests/release/arm64-sysroot.sh):
# import, version, CLI, IDs decoded, on the arm64 Python 3.11 and Node.
# musl (x86_64 and aarch64): no musl Python or Node exists on this Debian
# machine kind, so each musl wheel and addon is checked as an ELF file: built
# for its machine, needing only musl's libc (and libgcc_s) — auditwheel's
# musllinux check is in inspect_dist.py.   tests/release/emulated.sh DIST SYSROOT_DIR
set -euo pipefail
dist=$(realpath "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=$("$repo/scripts/version")
"$repo/tests/release/arm64-sysroot.sh" "$2"
sysroot=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
arm() { qemu-aarch64-static -L "$sysroot/root" "$@"; }

# aarch64 glibc wheel: unpacked as pip would install it, imported by the arm64 Python.
wheel=$(ls "$dist"/pypi/idloom-"$version"-cp39-abi3-manylinux*aarch64*.whl | head -1)
mkdir "$work/site" && (cd "$work/site" && python3 -m zipfile -e "$wheel" .)
PYTHONPATH="$work/site" arm "$sysroot/root/usr/bin/python3.11" -c "
import platform, idloom
assert platform.machine() == 'aarch64' and idloom.__version__ == '$version'
gen = idloom.Snowflake(node=3)
assert gen.decode(gen.next()).node == 3 and idloom.uuid7().version == 7
print('aarch64 wheel ok:', platform.machine(), idloom.__version__)"
PYTHONPATH="$work/site" arm "$sysroot/root/usr/bin/python3.11" -m idloom demo --node 3 | grep "node=3 seq=0" >/dev/null

# aarch64 glibc addon: the root package and the platform package unpacked into node_modules, as npm lays them out.
mkdir -p "$work/app/node_modules/@idloom/binding-linux-arm64-gnu" "$work/app/node_modules/idloom"
tar -xzf "$dist/npm/idloom-$version.tgz" -C "$work/app/node_modules/idloom" --strip-components=1
tar -xzf "$dist/npm/idloom-binding-linux-arm64-gnu-$version.tgz" -C "$work/app/node_modules/@idloom/binding-linux-arm64-gnu" --strip-components=1
(cd "$work/app" && arm "$sysroot/node/bin/node" -e "
  const idloom = require('idloom');
  const gen = new idloom.Snowflake({ node: 5 });
  if (process.arch !== 'arm64' || gen.decode(gen.next()).node !== 5 || !idloom.validate(idloom.v7())) throw new Error('wrong IDs');
  console.log('aarch64 addon ok:', process.arch, process.version);")
(cd "$work/app" && arm "$sysroot/node/bin/node" node_modules/idloom/bin/idloom.mjs demo --node 3) | grep "node=3 seq=0" >/dev/null

# musl: the ELF files, not run (see above).
elf_ok() { # elf_ok FILE MACHINE : built for MACHINE, needing only musl's libc and libgcc_s
  local file=$1 machine=$2 needed
  readelf -h "$file" | grep -q "Machine:.*$machine" || { echo "$file is not built for $machine"; return 1; }
  needed=$(readelf -d "$file" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort -u | tr '\n' ' ')
  for lib in $needed; do
    # libc.so: zig's name for musl's libc, which musl's loader maps to itself (the addons keep it;
    # the wheels are renamed to libc.musl-<arch>.so.1 for the musllinux policy)
    case $lib in libc.musl-*.so.1|libc.so|libgcc_s.so.1) ;; *) echo "$file needs $lib"; return 1 ;; esac
  done
  echo "  $(basename "$file"): $machine, needs $needed"
}
for arch in x86_64:X86-64:x64 aarch64:AArch64:arm64; do
  IFS=: read -r py machine node <<<"$arch"
  wheel=$(ls "$dist"/pypi/idloom-"$version"-cp39-abi3-musllinux_1_2_"$py".whl)
  mkdir -p "$work/musl-$py" && (cd "$work/musl-$py" && python3 -m zipfile -e "$wheel" .)
  elf_ok "$(ls "$work/musl-$py"/idloom/_idloom*.so)" "$machine"
  mkdir -p "$work/addon-$node" && tar -xzf "$dist/npm/idloom-binding-linux-$node-musl-$version.tgz" -C "$work/addon-$node" --strip-components=1
  elf_ok "$work/addon-$node/idloom.linux-$node-musl.node" "$machine"
done
echo "emulated and musl artifacts ok"
