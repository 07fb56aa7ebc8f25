#!/usr/bin/env bash
# idloom-wasm from dist/npm installed as a user would: a fresh project, no
# Rust toolchain on PATH, `npm install` of the tarball; then Node imports
# (`.`, `./stores`), the declarations of every entry (`.`, `./workers`,
# `./stores`) type-checked by tsc, the size budget of both modules, and the
# README's bundler quickstart built by vite from node_modules and run in
# headless Chromium.   tests/release/wasm.sh DIST
set -euo pipefail
dist=$(realpath "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=$("$repo/scripts/version")
tgz="$dist/npm/idloom-wasm-$version.tgz"
[ -f "$tgz" ] || { echo "missing $tgz"; exit 1; }
# The size budget, gzip -9 of each .wasm: the browser module (the API every host loads), the
# coordination module (idloom-wasm/workers) and the stores module (idloom-wasm/stores under Node:
# coordination and the ZooKeeper and etcd calls). See bindings-wasm/README.md, "Size".
BROWSER_GZ_MAX=${BROWSER_GZ_MAX:-61440}
COORD_GZ_MAX=${COORD_GZ_MAX:-118784}
STORES_GZ_MAX=${STORES_GZ_MAX:-147456}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$repo/tests/release/lib.sh"
without_rust

cd "$work" && npm init -y >/dev/null
npm install --loglevel=error "$tgz" >npm.log 2>&1 || { cat npm.log; exit 1; }
pkg=node_modules/idloom-wasm
for f in LICENSE-MIT LICENSE-APACHE README.md index.d.mts workers.d.mts stores.d.mts glue/idloom_wasm_bg.wasm glue-coord/idloom_wasm_bg.wasm glue-stores/idloom_wasm_bg.wasm; do
  [ -f "$pkg/$f" ] || { echo "the tarball lacks $f"; exit 1; }
done
browser=$(gzip -9 -c "$pkg/glue/idloom_wasm_bg.wasm" | wc -c)
coord=$(gzip -9 -c "$pkg/glue-coord/idloom_wasm_bg.wasm" | wc -c)
stores=$(gzip -9 -c "$pkg/glue-stores/idloom_wasm_bg.wasm" | wc -c)
echo "size: browser module $browser B gzipped (budget $BROWSER_GZ_MAX), coordination module $coord B (budget $COORD_GZ_MAX), stores module $stores B (budget $STORES_GZ_MAX)"
[ "$browser" -le "$BROWSER_GZ_MAX" ] || { echo "the browser module is over its budget"; exit 1; }
[ "$coord" -le "$COORD_GZ_MAX" ] || { echo "the coordination module is over its budget"; exit 1; }
[ "$stores" -le "$STORES_GZ_MAX" ] || { echo "the stores module is over its budget"; exit 1; }

# One entry per program (the package refuses a second implementation in one process).
node --input-type=module -e "
  import { Snowflake, v7, validate } from 'idloom-wasm';
  const gen = new Snowflake({ node: 9 });
  if (gen.decode(gen.next()).node !== 9 || !validate(v7())) throw new Error('wrong IDs');
  console.log('node import ok');"
node --input-type=module -e "
  import { Snowflake, RedisStore } from 'idloom-wasm/stores';
  if (new Snowflake({ node: 2 }).node !== 2 || typeof RedisStore.fromUrl !== 'function') throw new Error('wrong stores entry');
  console.log('node import of idloom-wasm/stores ok');"

# Every entry's declarations resolve and describe what the entry exports.
cat >usage.mts <<'TS'
import { Snowflake, v7 } from 'idloom-wasm';
import { leaseNode, segment, IdloomCoordinator, DurableObjectStore, NodeLease } from 'idloom-wasm/workers';
import { RedisStore, PostgresStore } from 'idloom-wasm/stores';
import { Snowflake as WorkersSnowflake } from 'idloom-wasm/workers';
import { Snowflake as StoresSnowflake } from 'idloom-wasm/stores';
const id: bigint = new Snowflake({ node: 1 }).next();
const u: string = v7();
const a: typeof Snowflake = WorkersSnowflake;
const b: typeof Snowflake = StoresSnowflake;
const lease: (binding: any, namespace: string) => Promise<NodeLease> = leaseNode;
void [id, u, a, b, lease, segment, IdloomCoordinator, DurableObjectStore, RedisStore, PostgresStore];
// @ts-expect-error: a node is a number
new Snowflake({ node: 'one' });
TS
printf '{ "compilerOptions": { "module": "nodenext", "target": "es2022", "strict": true, "noEmit": true, "types": [] }, "files": ["usage.mts"] }\n' >tsconfig.json
node "$repo/bindings-wasm/node_modules/typescript/bin/tsc" -p tsconfig.json
echo "types ok"

# The README's bundler quickstart, built by vite from node_modules, in headless Chromium.
cp "$repo/bindings-wasm/test/bundler/index.html" "$repo/bindings-wasm/test/bundler/vite.config.mjs" .
node --input-type=module -e "
  import { readFileSync, writeFileSync } from 'node:fs';
  const readme = readFileSync('$pkg/README.md', 'utf8');
  const js = /\`\`\`js\n([\s\S]*?)\`\`\`/.exec(readme)[1];
  writeFileSync('main.js', js + \"\nwindow.result = document.querySelector('#out').textContent;\ndocument.title = 'done';\n\");"
node "$repo/bindings-wasm/node_modules/vite/bin/vite.js" build >vite.log 2>&1 || { cat vite.log; exit 1; }
node "$repo/tests/release/browser.mjs" "$work/dist"
echo "idloom-wasm ok: $(basename "$tgz")"
