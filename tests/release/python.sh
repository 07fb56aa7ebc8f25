#!/usr/bin/env bash
# The wheel in dist/pypi installed as a user would: a fresh venv, no Rust
# toolchain on PATH, pip choosing this platform's wheel from dist/pypi (a
# wheel only: the sdist would need Rust) and the redis extra's driver from
# the index; then the import, the version, the CLI and a store example on the
# local Redis (IDLOOM_RELEASE_SKIP_STORE=1 where there is none).
#   tests/release/python.sh DIST
set -euo pipefail
dist=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
version=$("$here/../../scripts/version")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
py=python3
command -v python3 >/dev/null || py=python
. "$here/lib.sh"
without_rust
"$py" -m venv venv
bin=venv/bin
[ -d venv/Scripts ] && bin=venv/Scripts
"$bin/python" -m pip install -q --disable-pip-version-check --find-links "$dist/pypi" --only-binary idloom "idloom[redis]==$version"
wheel=$("$bin/python" -c "import importlib.metadata as m; print([f for f in m.files('idloom') if str(f).endswith('WHEEL')][0].read_text().split('Tag: ')[1].split()[0])")
"$bin"/python -c "import idloom, sys; assert idloom.__version__ == sys.argv[1], idloom.__version__; print('import ok', idloom.__version__)" "$version"
[ "$("$bin"/idloom --version)" = "idloom $version" ]
"$bin"/idloom demo --node 3 | grep "node=3 seq=0" >/dev/null
"$bin"/idloom snowflake --node 7 -n 2 | wc -l | grep -qx 2
[ -n "${IDLOOM_RELEASE_SKIP_STORE:-}" ] || "$bin/python" "$here/store_example.py"
echo "wheel ok: tag $wheel"
