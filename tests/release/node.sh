#!/usr/bin/env bash
# The npm tarballs in dist/npm installed as a user would: a fresh project, no
# Rust toolchain on PATH, `npm install` of the root package and this
# platform's addon package; then require, import, `npx idloom`, the usage
# files of bindings-node/test/types type-checked by tsc against the installed
# declarations, and the error a user gets when the platform's package is
# missing.   tests/release/node.sh DIST
set -euo pipefail
dist=$(realpath "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=$("$repo/scripts/version")
platform=$(node --input-type=module -e "import { hostPlatform } from '$repo/bindings-node/lib/platforms.mjs'; console.log(hostPlatform())")
root_tgz="$dist/npm/idloom-$version.tgz"
addon_tgz="$dist/npm/idloom-binding-$platform-$version.tgz"
[ -f "$root_tgz" ] && [ -f "$addon_tgz" ] || { echo "missing $root_tgz or $addon_tgz"; exit 1; }
tsc="$repo/bindings-node/node_modules/typescript/bin/tsc"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$repo/tests/release/lib.sh"
without_rust

mkdir "$work/app" && cd "$work/app"
npm init -y >/dev/null
# The other platforms' packages are not published yet: npm skips an optional
# dependency it cannot fetch, as it skips one for another os/cpu/libc.
npm install --loglevel=error "$addon_tgz" "$root_tgz" >npm.log 2>&1 || { cat npm.log; exit 1; }
[ -f "node_modules/@idloom/binding-$platform/idloom.$platform.node" ]
node -e "
  const idloom = require('idloom');
  const gen = new idloom.Snowflake({ node: 3 });
  const id = gen.next();
  if (gen.decode(id).node !== 3 || !idloom.validate(idloom.v7())) throw new Error('require: wrong IDs');
  console.log('require ok', String(id));"
node --input-type=module -e "
  import { Snowflake, v4, nanoid } from 'idloom';
  import { RedisStore } from 'idloom/stores';
  const gen = new Snowflake({ node: 5, layout: 'sonyflake' });
  if (gen.decode(gen.next()).node !== 5 || v4().length !== 36 || nanoid().length !== 21 || typeof RedisStore.fromUrl !== 'function') throw new Error('import: wrong IDs');
  console.log('import ok');"
[ "$(npx --no-install idloom --version)" = "idloom $version" ]
npx --no-install idloom demo --node 3 | grep "node=3 seq=0" >/dev/null
# The declarations in the tarball: the repository's usage files, lines that must not compile included.
cp "$repo"/bindings-node/test/types/{usage.mts,usage.cts,stores-usage.mts,tsconfig.json} .
node "$tsc" -p tsconfig.json
echo "types ok"

# Without the platform's package (npm install --omit=optional): an error naming the platform and the package.
mkdir "$work/bare" && cd "$work/bare"
npm init -y >/dev/null
npm install --loglevel=error --omit=optional "$root_tgz" >npm.log 2>&1 || { cat npm.log; exit 1; }
if node -e "require('idloom')" 2>err.txt; then echo "idloom loaded without its platform package"; exit 1; fi
grep -q "($platform)" err.txt && grep -q "@idloom/binding-$platform" err.txt || { cat err.txt; exit 1; }
echo "npm ok: $(basename "$root_tgz"), $(basename "$addon_tgz")"
