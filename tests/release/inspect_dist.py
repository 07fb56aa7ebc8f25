"""What a registry would receive, read from dist/ before anyone installs it.

    python tests/release/inspect_dist.py DIST AUDITWHEEL

Every artifact carries the workspace's version and both license texts, and a
README whose links work where the registry shows it (absolute, an anchor, or
a file inside the same artifact). Wheels: `auditwheel show` accepts the
platform tag in the file name; the metadata has the license expression, the
URLs, keywords and classifiers. The sdist carries what builds it (the core's
sources, Cargo.lock) and cargo resolves it offline. npm: the root package's
declarations, its optional per-platform packages at this very version; each
platform package its addon and os/cpu/libc. Crates: README and licenses.
Prints one line per artifact; exits 1 naming each problem.
"""

from __future__ import annotations

import email.parser
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable, Dict, List

ROOT = Path(__file__).resolve().parents[2]
LICENSES = ["LICENSE-MIT", "LICENSE-APACHE"]
LINK = re.compile(r"\]\(([^)\s]+)\)")
problems: List[str] = []


def problem(artifact: str, text: str) -> None:
    problems.append(f"{artifact}: {text}")


def version() -> str:
    return subprocess.run([str(ROOT / "scripts/version")], check=True, capture_output=True, text=True).stdout.strip()


def readme_links(artifact: str, readme_path: str, text: str, files: List[str]) -> None:
    """Each link in a packaged README works there: absolute, an anchor, or a file in the artifact."""
    base = PurePosixPath(readme_path).parent
    for target in LINK.findall(text):
        if re.match(r"^(https?:|mailto:|#)", target):
            continue
        path = str(PurePosixPath(base, target.split("#")[0]))
        parts: List[str] = []
        for part in path.split("/"):
            if part == "..":
                if parts:
                    parts.pop()
                else:
                    parts.append("..")
            elif part not in (".", ""):
                parts.append(part)
        resolved = "/".join(parts)
        if resolved not in files and not any(f.startswith(resolved + "/") for f in files):
            problem(artifact, f"README link {target} leads nowhere inside the artifact")


def licenses_equal(artifact: str, read: Callable[[str], bytes], names: Dict[str, str]) -> None:
    for name in LICENSES:
        inside = names.get(name)
        if inside is None:
            problem(artifact, f"no {name}")
        elif read(inside) != (ROOT / name).read_bytes():
            problem(artifact, f"{inside} differs from the repository's {name}")


def wheel(path: Path, ver: str, auditwheel: str) -> None:
    name = path.name
    tag = name[:-4].split("-")[-1]  # the platform tag(s), e.g. manylinux_2_17_x86_64.manylinux2014_x86_64
    with zipfile.ZipFile(path) as z:
        files = z.namelist()
        dist_info = f"idloom-{ver}.dist-info"
        licenses_equal(name, z.read, {n: f"{dist_info}/licenses/{n}" for n in LICENSES if f"{dist_info}/licenses/{n}" in files})
        meta = email.parser.Parser().parsestr(z.read(f"{dist_info}/METADATA").decode())
        if not any(f.startswith("idloom/_idloom") for f in files):
            problem(name, "no native module idloom/_idloom")
        for must in ["idloom/py.typed", "idloom/_idloom.pyi", "idloom/__main__.py"]:
            if must not in files:
                problem(name, f"no {must}")
    check_metadata(name, meta, ver)
    if "linux" in tag:
        shown = subprocess.run([auditwheel, "show", str(path)], capture_output=True, text=True)
        text = " ".join(shown.stdout.split())
        # The file names each tag it claims (manylinux2014_x86_64.manylinux_2_17_x86_64); auditwheel names one.
        accepted = re.search(r'consistent with the following platform tag: "([^"]+)"', text)
        if shown.returncode != 0 or not accepted or accepted.group(1) not in tag.split("."):
            problem(name, f"auditwheel show does not accept the tag {tag}: {text or shown.stderr}")
    print(f"wheel ok: {name}")


def check_metadata(name: str, meta: email.message.Message, ver: str) -> None:
    if meta["Version"] != ver:
        problem(name, f"Version {meta['Version']}, not {ver}")
    if meta["License-Expression"] != "MIT OR Apache-2.0":
        problem(name, f"License-Expression {meta['License-Expression']!r}")
    for file in LICENSES:
        if file not in (meta.get_all("License-File") or []):
            problem(name, f"License-File {file} not declared")
    urls = meta.get_all("Project-URL") or []
    for label in ["Homepage", "Repository", "Issues", "Changelog"]:
        if not any(u.startswith(f"{label}, https://") for u in urls):
            problem(name, f"no Project-URL {label}")
    classifiers = meta.get_all("Classifier") or []
    for prefix in ["Operating System :: ", "Programming Language :: Python :: 3.9", "Programming Language :: Python :: 3.13"]:
        if not any(c.startswith(prefix) for c in classifiers):
            problem(name, f"no classifier {prefix}…")
    if not meta["Keywords"]:
        problem(name, "no keywords")
    readme = meta.get_payload()
    readme_links(name, "README.md", readme if isinstance(readme, str) else "", [])


def sdist(path: Path, ver: str) -> None:
    name = path.name
    with tarfile.open(path) as t:
        files = [m.name.split("/", 1)[1] for m in t.getmembers() if "/" in m.name]
        top = f"idloom-{ver}"

        def read(member: str) -> bytes:
            f = t.extractfile(f"{top}/{member}")
            assert f is not None
            return f.read()

        licenses_equal(name, read, {n: f for f in files for n in LICENSES if f.endswith(n)})
        meta = email.parser.Parser().parsestr(read("PKG-INFO").decode())
        check_metadata(name, meta, ver)
        for must in ["pyproject.toml", "core/src/lib.rs", "core/stores/postgres/schema_version.sql"]:
            if not any(f == must or f.endswith("/" + must) for f in files):
                problem(name, f"no {must}: the sdist would not build from its own contents")
        if not any(f.endswith("Cargo.lock") for f in files):
            problem(name, "no Cargo.lock: an sdist build would resolve other versions than the ones tested")
        with tempfile.TemporaryDirectory() as tmp:
            t.extractall(tmp, filter="data")
            pyproject = (Path(tmp) / top / "pyproject.toml").read_text()
            manifest = re.search(r'^manifest-path = "([^"]+)"', pyproject, re.M)
            manifest_path = Path(tmp) / top / (manifest.group(1) if manifest else "Cargo.toml")
            # The sdist carries the workspace's lockfile; a build trims the crates it does not use and
            # must add none (offline: nothing but the cache, every version one the workspace tested).
            lock = Path(tmp) / top / "Cargo.lock"
            before = locked_versions(lock)
            resolved = subprocess.run(["cargo", "metadata", "--offline", "--format-version", "1", "--manifest-path", str(manifest_path)],
                                      capture_output=True, text=True)
            if resolved.returncode != 0:
                problem(name, f"cargo cannot resolve the sdist offline: {resolved.stderr.strip()[-300:]}")
            elif not locked_versions(lock) <= before:
                problem(name, f"resolving the sdist adds crates its Cargo.lock lacks: {sorted(locked_versions(lock) - before)[:5]}")
    print(f"sdist ok: {name}")


def locked_versions(lock: Path) -> set[tuple[str, str]]:
    return set(re.findall(r'^name = "([^"]+)"\nversion = "([^"]+)"', lock.read_text(), re.M))


def npm(path: Path, ver: str) -> None:
    name = path.name
    with tarfile.open(path) as t:
        files = [m.name[len("package/"):] for m in t.getmembers() if m.isfile()]

        def read(member: str) -> bytes:
            f = t.extractfile(f"package/{member}")
            assert f is not None
            return f.read()

        pkg = json.loads(read("package.json"))
        licenses_equal(name, read, {n: n for n in LICENSES if n in files})
        if pkg.get("version") != ver:
            problem(name, f"version {pkg.get('version')}, not {ver}")
        for key in ["license", "repository", "homepage", "bugs", "keywords", "engines"]:
            if key not in pkg:
                problem(name, f"package.json has no {key}")
        if pkg.get("engines", {}).get("node") != "^20.19.0 || >=22.12.0":
            problem(name, f"engines.node {pkg.get('engines')}")
        if "README.md" in files:
            readme_links(name, "README.md", read("README.md").decode(), files)
        else:
            problem(name, "no README.md")
        if pkg["name"] == "idloom":
            for must in ["lib/index.mjs", "lib/index.js", "lib/index.d.mts", "lib/index.d.cts", "lib/api.d.mts", "lib/stores.d.mts", "native/index.js", "native/index.d.ts", "bin/idloom.mjs"]:
                if must not in files:
                    problem(name, f"no {must}")
            if any(f.endswith(".node") for f in files):
                problem(name, "carries a .node: the addons belong to the per-platform packages")
            want = {f"@idloom/binding-{p}" for p in ["linux-x64-gnu", "linux-x64-musl", "linux-arm64-gnu", "linux-arm64-musl", "darwin-x64", "darwin-arm64", "win32-x64-msvc"]}
            optional = pkg.get("optionalDependencies", {})
            if set(optional) != want or any(v != ver for v in optional.values()):
                problem(name, f"optionalDependencies {optional}")
            if "sideEffects" not in pkg or "prepublishOnly" not in pkg.get("scripts", {}):
                problem(name, "no sideEffects or prepublishOnly")
        elif pkg["name"].startswith("@idloom/binding-"):
            platform = pkg["name"][len("@idloom/binding-"):]
            if pkg.get("main") != f"idloom.{platform}.node" or pkg["main"] not in files:
                problem(name, f"main {pkg.get('main')} is not its addon")
            if not pkg.get("os") or not pkg.get("cpu") or (platform.startswith("linux") and not pkg.get("libc")):
                problem(name, "os, cpu or libc unset")
        elif pkg["name"] == "idloom-wasm":
            for entry, types in [(".", "index.d.mts"), ("./workers", "workers.d.mts"), ("./stores", "stores.d.mts")]:
                declared = pkg["exports"][entry]
                if not isinstance(declared, dict) or declared.get("types") != f"./{types}" or types not in files:
                    problem(name, f"exports[{entry!r}] has no types ./{types} in the tarball")
        else:
            problem(name, f"an unexpected package {pkg['name']}")
    print(f"npm ok: {name} ({len(files)} files)")


def crate(path: Path, ver: str) -> None:
    name = path.name
    with tarfile.open(path) as t:
        top = name[: -len(".crate")]
        files = [m.name[len(top) + 1:] for m in t.getmembers() if m.isfile()]

        def read(member: str) -> bytes:
            f = t.extractfile(f"{top}/{member}")
            assert f is not None
            return f.read()

        licenses_equal(name, read, {n: n for n in LICENSES if n in files})
        manifest = read("Cargo.toml").decode()
        if f'version = "{ver}"' not in manifest:
            problem(name, f"Cargo.toml does not say version {ver}")
        for key in ["description", "documentation", "repository", "keywords", "categories", "readme"]:
            if not re.search(rf"^{key} = ", manifest, re.M):
                problem(name, f"Cargo.toml has no {key}")
        readme = re.search(r'^readme = "([^"]+)"', manifest, re.M)
        if readme and readme.group(1) in files:
            readme_links(name, readme.group(1), read(readme.group(1)).decode(), [])
        else:
            problem(name, "its readme is not in the package")
    print(f"crate ok: {name} ({len(files)} files)")


def main() -> int:
    dist, auditwheel = Path(sys.argv[1]), sys.argv[2]
    ver = version()
    wheels = sorted((dist / "pypi").glob(f"idloom-{ver}-*.whl"))
    sdists = sorted((dist / "pypi").glob(f"idloom-{ver}.tar.gz"))
    tarballs = sorted((dist / "npm").glob(f"*-{ver}.tgz"))
    crates = sorted((dist / "crates").glob(f"*-{ver}.crate"))
    for kind, found in [("wheel", wheels), ("sdist", sdists), ("npm tarball", tarballs), ("crate", crates)]:
        if not found:
            problems.append(f"dist has no {kind} of {ver}")
    for w in wheels:
        wheel(w, ver, auditwheel)
    for s in sdists:
        sdist(s, ver)
    for n in tarballs:
        npm(n, ver)
    if {c.name for c in crates} != {f"{c}-{ver}.crate" for c in ["idloom", "idloom-stores", "idloom-server"]}:
        problems.append(f"dist/crates holds {[c.name for c in crates]}")
    for c in crates:
        crate(c, ver)
    for p in problems:
        print(f"PROBLEM {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
