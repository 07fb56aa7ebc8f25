#!/usr/bin/env bash
# scripts/version --check fails, naming the file, when two manifests disagree
# (run on a copy of the files it reads): an npm manifest a version behind, and
# the workspace's version moved alone; `scripts/version X.Y.Z` then makes
# them agree again.   tests/release/version_mismatch.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"
for f in Cargo.toml Cargo.lock CHANGELOG.md LICENSE-MIT LICENSE-APACHE bindings-python/pyproject.toml bindings-node/package.json \
  bindings-node/package-lock.json bindings-wasm/npm/package.json {core,stores,server,sim,bindings-python,bindings-node,bindings-wasm}/Cargo.toml \
  {core,stores,server,bindings-python,bindings-node,bindings-wasm/npm}/LICENSE-{MIT,APACHE}; do
  mkdir -p "$work/$(dirname "$f")" && cp "$f" "$work/$f"
done
v=$(scripts/version --root "$work")
scripts/version --root "$work" --check
sed -i "s/\"version\": \"$v\"/\"version\": \"9.9.9\"/" "$work/bindings-wasm/npm/package.json"
if scripts/version --root "$work" --check 2>"$work/err"; then echo "a stale idloom-wasm version passed"; exit 1; fi
grep -q "bindings-wasm/npm/package.json" "$work/err"
scripts/version --root "$work" "$v" && scripts/version --root "$work" --check
sed -i "0,/^version = \"$v\"/s//version = \"9.9.9\"/" "$work/Cargo.toml"
if scripts/version --root "$work" --check 2>"$work/err"; then echo "the workspace version moved alone and passed"; exit 1; fi
for f in bindings-node/package.json bindings-node/package-lock.json bindings-wasm/npm/package.json Cargo.lock CHANGELOG.md; do
  grep -q "$f" "$work/err" || { echo "--check did not name $f:"; cat "$work/err"; exit 1; }
done
echo "scripts/version --check names each disagreeing manifest"
