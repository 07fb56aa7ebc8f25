# Sourced by tests/release/*.sh: what every install test shares.

# PATH without the Rust toolchain (every directory holding cargo, rustc or
# rustup dropped): an artifact that needs a build would fail here, as on a
# user's machine without Rust.
without_rust() {
  local d out="" IFS=:
  for d in $PATH; do
    [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || [ -e "$d/rustup" ] || [ -e "$d/cargo.exe" ] || out="$out${out:+:}$d"
  done
  PATH=$out
  export PATH
  if command -v cargo >/dev/null || command -v rustc >/dev/null; then echo "a Rust toolchain is still on PATH"; return 1; fi
}
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
