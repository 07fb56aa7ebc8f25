"""The stubs match the compiled module, and the package type-checks."""

from __future__ import annotations

import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1]


def test_stubs_match_the_compiled_module():
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", "idloom"], capture_output=True, text=True, cwd=PACKAGE, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_package_and_examples_type_check():
    example = PACKAGE / "tests" / "typed_usage.py"
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", str(PACKAGE / "python" / "idloom"), str(example)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_typed_usage_runs():
    from typed_usage import test_typed_usage

    test_typed_usage()


def test_every_public_name_has_a_docstring():
    import inspect

    import idloom

    missing = []
    for name in idloom.__all__:
        obj = getattr(idloom, name)
        if name in ("BY_CODE", "NIL_UUID", "MAX_UUID"):
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj) and obj.__module__ != "idloom._errors":
            for attr, member in vars(obj).items():
                if attr.startswith("_") or attr.isupper():
                    continue
                if not (getattr(member, "__doc__", None) or "").strip():
                    missing.append(f"{name}.{attr}")
    assert not missing, missing
