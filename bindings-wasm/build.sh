#!/usr/bin/env bash
# Build the npm package `idloom-wasm` into bindings-wasm/pkg:
#   cargo (wasm32-unknown-unknown, release) → wasm-bindgen --target web
#   → wasm-opt -Oz (npm binaryen; Debian's v108 emits modules that fail at load)
#   → the shared JS layer from js/ (owned by neither package) + one entry per host.
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
for tool in .bin/wasm-opt .bin/tsc .bin/vite playwright-core miniflare pg ioredis mysql2 redis; do [ -e "node_modules/$tool" ] || { npm ci --no-audit --no-fund --loglevel=error; break; }; done

# Three modules from one crate: the API every host loads (glue/), the same
# API with coordination (glue-coord/: leases, the Durable Object's store, the
# store texts) for idloom-wasm/workers, and that with the ZooKeeper and etcd
# calls (glue-stores/) for idloom-wasm/stores under Node.
rm -rf pkg
mkdir -p pkg/glue pkg/glue-coord pkg/glue-stores pkg/lib pkg/types
sizes=""
for variant in base coord stores; do
  features=(); out=pkg/glue
  if [ "$variant" = coord ]; then features=(--features coord); out=pkg/glue-coord; fi
  if [ "$variant" = stores ]; then features=(--features kv); out=pkg/glue-stores; fi
  cargo build -q --locked --release --target wasm32-unknown-unknown -p idloom-wasm "${features[@]}"
  raw="${CARGO_TARGET_DIR:-$root/target}/wasm32-unknown-unknown/release/idloom_wasm.wasm" # cargo's CARGO_TARGET_DIR (absolute) if set
  # --weak-refs: a handle the JS GC collects frees its Rust side (and its node registration).
  "$bindgen" --target web --weak-refs --no-typescript --out-dir "$out" "$raw"
  bg=$out/idloom_wasm_bg.wasm
  before=$(stat -c %s "$bg")
  node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-reference-types --enable-multivalue --enable-mutable-globals "$bg" -o "$bg.opt"
  mv "$bg.opt" "$bg"
  sizes="$sizes
  $variant: .wasm raw (cargo) $(stat -c %s "$raw") B, after wasm-bindgen $before B, after wasm-opt -Oz $(stat -c %s "$bg") B, gzipped $(gzip -9 -c "$bg" | wc -c) B"
done

# The shared JS layer (js/: api.mjs, stores.mjs, a module per idea, stores/), then this package's own modules.
node "$root/js/tools/layer.mjs" copy pkg/lib
cp js/install-*.mjs js/workers-do.mjs pkg/lib/
# lib/stores.mjs imports './index.mjs' to install its native half: here, the stores module under Node.
printf "// Under Node with idloom-wasm/stores: the stores module, then the API.\nimport './install-node-coord.mjs';\nexport * from './api.mjs';\n" >pkg/lib/index.mjs
for host in node browser workerd workers stores; do cp "js/entry-$host.mjs" "pkg/$host.mjs"; done
node_modules/.bin/tsc -p "$root/js/tsconfig.json" --outDir pkg/types
banner='// Generated from the JSDoc of the shared JS layer (js/api.mjs and its modules, shared with the Node package). Do not edit.'
node "$root/js/tools/layer.mjs" types pkg/types api pkg/index.d.mts "$banner"
# idloom-wasm/stores: the API's names and the stores', the latter importing the former from the root entry.
node "$root/js/tools/layer.mjs" types pkg/types stores pkg/stores.d.mts "$banner"
sed -i "s|from './api.mjs';|from './index.mjs';|" pkg/stores.d.mts
printf "export * from './index.mjs';\n" >>pkg/stores.d.mts
node "$here/js/workers-types.mjs" pkg
rm -rf pkg/types
cp README.md pkg/README.md
# The package's manifest and license texts (scripts/version keeps them at the workspace's version).
cp npm/package.json npm/LICENSE-MIT npm/LICENSE-APACHE pkg/

echo "idloom-wasm built in bindings-wasm/pkg:$sizes"
