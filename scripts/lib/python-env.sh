# Sourced by scripts/test and scripts/demo: make .venv (if missing) with the
# pinned build tools, then build and install ./bindings-python into it.
# Each step is skipped when already done; the package is rebuilt each time
# (cargo makes an unchanged rebuild quick).
venv=.venv
export PIP_DISABLE_PIP_VERSION_CHECK=1 # keep stderr to what the commands themselves say
export PATH="$PWD/$venv/bin:$PATH" # maturin's build backend runs the `maturin` binary from PATH

ensure_python_env() { # ensure_python_env PIP_SPEC... : the venv with these packages
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" || return 1
  local names=()
  for spec in "$@"; do names+=("${spec%%==*}"); done
  "$venv/bin/python" -m pip show "${names[@]}" >/dev/null 2>&1 \
    || "$venv/bin/python" -m pip install -q "$@"
}

install_idloom_python() { # build ./bindings-python from source into the venv
  "$venv/bin/python" -m pip install -q --no-build-isolation ./bindings-python
}
