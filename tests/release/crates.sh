#!/usr/bin/env bash
# The crate packages in dist/crates built as crates.io would serve them,
# offline (the dependencies from cargo's cache, nothing from the checkout):
# a new project depending on idloom and idloom-stores mints an ID, and
# idloom-server builds from its package and answers --version. The
# workspace's crates are not on the registry yet, so [patch.crates-io]
# points their names at the unpacked .crate files.   tests/release/crates.sh DIST
set -euo pipefail
dist=$(realpath "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=$("$repo/scripts/version")
# The workspace's target dir: the dependencies (same versions from the same lockfile, same
# features) are already built there; the packaged crates build apart (other source paths).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for c in idloom idloom-stores idloom-server; do
  tar -xzf "$dist/crates/$c-$version.crate" -C "$work"
done
patch="[patch.crates-io]
idloom = { path = \"$work/idloom-$version\" }
idloom-stores = { path = \"$work/idloom-stores-$version\" }"
mkdir -p "$work/app/src"
cat >"$work/app/Cargo.toml" <<TOML
[package]
name = "release-app"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
idloom = "=$version"
idloom-stores = { version = "=$version", default-features = false, features = ["redis"] }

[workspace]

$patch
TOML
cat >"$work/app/src/main.rs" <<'RS'
use idloom::{Layout, ManualClock, Policy, Snowflake};

fn main() {
    let clock = ManualClock::new(1_700_000_000_000);
    let mut ids = Snowflake::new(Layout::TWITTER, 3, Policy::default(), &clock).expect("node 3 fits");
    let id = ids.next_id().expect("an ID");
    assert_eq!(Layout::TWITTER.decompose(id).expect("decodes").node, 3);
    let _store: Option<idloom_stores::redis::RedisStore> = None; // the stores crate links
    println!("crate ok: {id}");
}
RS
cp "$repo/Cargo.lock" "$work/app/Cargo.lock" # the versions the workspace was tested with (cargo trims the rest)
(cd "$work/app" && cargo run -q --offline)
server="$work/idloom-server-$version"
printf '\n[workspace]\n\n%s\n' "$patch" >>"$server/Cargo.toml"
(cd "$server" && cargo build -q --offline) # its packaged Cargo.lock, the patched names aside
"$CARGO_TARGET_DIR/debug/idloom-server" --version | grep -qx "idloom-server $version"
echo "crates ok: idloom, idloom-stores, idloom-server $version"
