# Sourced by scripts/test and scripts/demo: make .venv (if missing) with the
# pinned build tools, then build and install ./bindings-python into it.
# Each step is skipped when already done; the package is rebuilt each time
# (cargo makes an unchanged rebuild quick).
venv=${IDLOOM_VENV:-.venv} # IDLOOM_VENV: another venv (the "demo first, then test" check)
export PIP_DISABLE_PIP_VERSION_CHECK=1 # keep stderr to what the commands themselves say
case $venv in /*) ;; *) venv=$PWD/$venv ;; esac
venv_bin=$venv/bin
case "$(uname -s)" in MINGW* | MSYS* | CYGWIN*) venv_bin=$venv/Scripts ;; esac # Windows (the release workflow's Git Bash)
export PATH="$venv_bin:$PATH" # maturin's build backend runs the `maturin` binary from PATH

ensure_python_env() { # ensure_python_env NAME==VERSION... : the venv with exactly these packages
  local python3=python3
  command -v python3 >/dev/null || python3=python # Windows names it python
  [ -x "$venv_bin/python" ] || "$python3" -m venv "$venv" || return 1
  # Each pin is checked on its own: one package present must not hide another
  # missing (the demo's venv has maturin only; the tests need pytest and mypy too).
  local missing=() spec have
  for spec in "$@"; do
    have=$("$venv_bin/python" -c 'import sys, importlib.metadata as m; print(m.version(sys.argv[1]))' "${spec%%==*}" 2>/dev/null) || have=""
    [ "$have" = "${spec#*==}" ] || missing+=("$spec")
  done
  [ ${#missing[@]} -eq 0 ] || "$venv_bin/python" -m pip install -q "${missing[@]}"
}

install_idloom_python() { # build ./bindings-python from source into the venv
  "$venv_bin/python" -m pip install -q --no-build-isolation ./bindings-python
}
