#!/usr/bin/env bash
# Build the npm package `idloom-wasm` into bindings-wasm/pkg:
#   cargo (wasm32-unknown-unknown, release) → wasm-bindgen --target web
#   → wasm-opt -Oz (npm binaryen; Debian's v108 emits modules that fail at load)
#   → the shared JS API from bindings-node/lib + one entry per host.
# Installs what it needs (wasm32 target, wasm-bindgen CLI in .tools/, npm
# dev tools) and skips what is present. Prints the .wasm sizes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$here"

WASM_BINDGEN_VERSION=0.2.130 # must equal the wasm-bindgen crate pinned in Cargo.toml
bindgen="$root/.tools/bin/wasm-bindgen"

rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown
if ! "$bindgen" --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  echo "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION into .tools (a few minutes, once)"
  # No --locked: its lockfile wants a crate version the registry here lacks.
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$root/.tools"
fi
for tool in .bin/wasm-opt .bin/tsc .bin/vite playwright-core miniflare; do [ -e "node_modules/$tool" ] || { npm install --no-audit --no-fund --loglevel=error; break; }; done

cargo build -q --locked --release --target wasm32-unknown-unknown -p idloom-wasm
raw="$root/target/wasm32-unknown-unknown/release/idloom_wasm.wasm"

rm -rf pkg
mkdir -p pkg/glue pkg/lib pkg/types
# --weak-refs: a handle the JS GC collects frees its Rust side (and its node registration).
"$bindgen" --target web --weak-refs --no-typescript --out-dir pkg/glue "$raw"
bg=pkg/glue/idloom_wasm_bg.wasm
before=$(stat -c %s "$bg")
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals "$bg" -o "$bg.opt"
mv "$bg.opt" "$bg"

cp "$root/bindings-node/lib/api.mjs" "$root/bindings-node/lib/native.mjs" "$root/bindings-node/lib/tables.mjs" js/adapter.mjs js/install-*.mjs pkg/lib/
for host in node browser workerd; do cp "js/entry-$host.mjs" "pkg/$host.mjs"; done
node_modules/.bin/tsc -p "$root/bindings-node/tsconfig.json" --outDir pkg/types
{ echo '// Generated from the JSDoc in lib/api.mjs (shared with the Node package). Do not edit.'; cat pkg/types/api.d.mts; } >pkg/index.d.mts
rm -rf pkg/types
cp README.md pkg/README.md
cat >pkg/package.json <<'JSON'
{
  "name": "idloom-wasm",
  "version": "0.1.0",
  "description": "idloom for browsers, Cloudflare Workers and Node: the same API and types as the `idloom` Node package, on WebAssembly.",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "types": "./index.d.mts",
  "exports": {
    ".": {
      "types": "./index.d.mts",
      "workerd": "./workerd.mjs",
      "worker": "./workerd.mjs",
      "browser": "./browser.mjs",
      "node": "./node.mjs",
      "default": "./browser.mjs"
    },
    "./package.json": "./package.json"
  },
  "files": ["*.mjs", "*.d.mts", "lib", "glue"],
  "sideEffects": ["./lib/install-*.mjs", "./*.mjs"]
}
JSON

after=$(stat -c %s "$bg")
gz=$(gzip -9 -c "$bg" | wc -c)
echo "idloom-wasm built in bindings-wasm/pkg: .wasm raw (cargo) $(stat -c %s "$raw") B, after wasm-bindgen $before B, after wasm-opt -Oz $after B, gzipped $gz B"
